"""The server at scale: 1k and N cases in PostgreSQL, the real server on every core, wrk at 1, 8 and 32 clients.

    uv run python bench/scale.py                          # 1k, then 100,000 cases (default; see below)
    uv run python bench/scale.py --cases 1000000          # the issue's million (5M events, 2M evidence rows)
    uv run python bench/scale.py --cases 200 --duration 1 --runs 1 --clients 8   # smoke run (tests/test_bench_scale.py)

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust; ``--url`` to change) and wrk
(``apt-get install -y wrk``; the Debian package — a C load generator that costs the 2-core machine far less CPU
than locust would, which matters when client and server share the cores). Without either it says so and exits 0.

What it does, all of it undone at the end (the database dropped, the temporary folder removed, the servers stopped):

1. Creates the scratch database ``weiquan_scale_<pid>`` and runs the migrations there (in this process).
2. Creates the measured user and case through the app (``Case.create_from_case_file`` with
   examples/seed-invalid-code.json) and imports 2,000 public complaints (``import_complaints``) for a platform page.
3. Seeds filler by COPY (psycopg 3 ``cursor.copy``) up to 1,000 cases, then to ``--cases``: per case 1.5 contacts,
   5 log events and 2 evidence rows (the issue's 1M / 5M / 2M), one user per two cases; ANALYZE after each step.
   Foreign-key triggers are off during the load (``session_replication_role = replica``; the rows are generated
   consistent), so the load is bounded by PostgreSQL writing rows and indexes.
4. Starts two gunicorn servers (``python -m gunicorn weiquan.wsgi``, the same as ``uv run gunicorn`` in this venv),
   ``--workers`` = cores, with DATABASE_URL, SECRET_KEY and a temporary WEIQUAN_DATA_DIR, DEBUG off, no
   WEIQUAN_PRODUCTION, settings bench/scale_settings.py (the app's settings plus the bench's trivial view). The
   second runs with BENCH_PAGE_CACHE=off: its page cache is emptied before every request (uncached pages).
5. Logs in through the real form, then runs wrk (``--runs`` times per cell, ``--duration`` seconds each) against:
   /healthz; /bench/trivial (authenticated trivial view: session + user, nothing else); /accounts/ (the lightest
   real authenticated page); the case page cached and uncached; the platform page cached and uncached. At N cases
   at every ``--clients``; at 1k cases at 8 clients (for 1k-vs-N).
6. Prints per cell req/s (min/median/max of the runs), p50/p99 (median of the runs) and the servers' CPU per request
   (all workers, from /proc: independent of how busy the machine is), then the issue's ratios and targets.

Timing on this 2-core machine (shared with other work, load average 4-9): the default (100,000 cases) seeds in
8-36 s and takes about 5 minutes in all (3 runs x 3 s per cell); --cases 1000000 seeds in about 95 s and takes about
5 minutes with --duration 2. Throughput on a shared machine swings with the neighbours' load; the servers' CPU per
request, and the ratios of it, are the figures to compare. Asserts nothing; exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))
SEED = ROOT / "examples" / "seed-invalid-code.json"
USER, PASSWORD = "scalebench", "scale-bench-password-2026"
SMALL = 1000
COMPLAINTS = 2000
CONTACTS_PER_2_CASES = 3  # 1.5 per case
EVENTS_PER_CASE = 5
EVIDENCE_PER_CASE = 2
CHUNK = 20_000  # cases per generated block

# --- the database -------------------------------------------------------------------------------------------------


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def reachable(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(with_db(url, "postgres"), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _esc(value: str) -> str:
    """A literal in COPY's text format."""
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("{", "{{")
        .replace("}", "}}")
    )


def _default(f: Any) -> str:
    if f.null:
        return r"\N"
    kind = f.get_internal_type()
    if kind in ("CharField", "TextField", "EmailField", "SlugField", "URLField"):
        return ""
    if kind == "BooleanField":
        return "f"
    if kind == "JSONField":
        return "[]"
    if kind in ("DateTimeField",):
        return "2026-11-20 10:00:00+08"
    if kind == "DateField":
        return "2026-11-20"
    if "Integer" in kind or kind in ("DecimalField", "BigAutoField", "AutoField", "FloatField"):
        return "0"
    raise ValueError(f"no filler value for {f.model.__name__}.{f.name} ({kind})")


def row_template(model: Any, fixed: dict[str, str], varying: tuple[str, ...]) -> tuple[list[str], str]:
    """Columns of ``model`` and a str.format template of one COPY line: ``varying`` columns as {placeholders}."""
    columns, parts = [], []
    for f in model._meta.concrete_fields:
        columns.append(f.column)
        if f.attname in varying:
            parts.append("{" + f.attname + "}")
        else:
            parts.append(_esc(fixed[f.attname]) if f.attname in fixed else _default(f))
    missing = set(varying) - {f.attname for f in model._meta.concrete_fields}
    if missing:
        raise ValueError(f"{model.__name__}: no columns {missing}")
    return columns, "\t".join(parts) + "\n"


def uid(tag: int, i: int) -> str:
    return f"{tag:08x}{i:024x}"


@dataclass
class Seeder:
    """Appends filler cases (and their users, contacts, events, evidence) by COPY, ids after the existing ones."""

    dsn: str
    cases: int = 0  # filler cases so far
    templates: dict[str, tuple[list[str], str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from django.contrib.auth import get_user_model

        from weiquan.cases.models import Case, CaseEvent, Contact
        from weiquan.evidence.models import Evidence

        story = "在某某卡盟买了100元游戏点卡，卡密显示已被使用，客服说概不退换。"
        self.models = {
            "user": get_user_model(),
            "case": Case,
            "contact": Contact,
            "event": CaseEvent,
            "evidence": Evidence,
        }
        self.templates = {
            "user": row_template(
                self.models["user"], {"password": "!", "is_active": "t"}, ("id", "username")
            ),
            "case": row_template(
                Case,
                {
                    "description": story,
                    "problem_type": "invalid_code",
                    "amount": "100.00",
                    "paid_at_time_known": "t",
                    "payment_method": "alipay",
                    "province": "广东",
                    "platform_name": "某某卡盟",
                    "platform_domain": "example.com",
                    "platform_reachable": "t",
                    "status": "open",
                    "item": "100元游戏点卡",
                },
                ("id", "public_id", "owner_id", "order_no", "log_head", "created_at", "paid_at"),
            ),
            "contact": row_template(
                Contact,
                {"channel": "platform_cs", "response": "refused", "at_time_known": "t", "asked": "退款"},
                ("id", "public_id", "case_id", "at"),
            ),
            "event": row_template(
                CaseEvent,
                {"kind": "contact", "payload": '{"channel": "platform_cs"}'},
                ("id", "case_id", "seq", "at", "prev_hash", "hash"),
            ),
            "evidence": row_template(
                Evidence,
                {
                    "kind": "order_screenshot",
                    "description": "订单截图",
                    "content_type": "image/png",
                    "size": "48213",
                },
                ("id", "public_id", "case_id", "sha256", "original_name"),
            ),
        }

    def _next_ids(self, conn: Any) -> dict[str, int]:
        out = {}
        for name, model in self.models.items():
            table = model._meta.db_table
            out[name] = conn.execute(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"').fetchone()[0]
        return out

    def _lines(self, name: str, first_case: int, n: int, ids: dict[str, int]) -> Iterator[str]:
        """COPY text of ``n`` filler cases starting with filler case number ``first_case``, in blocks."""
        tmpl = self.templates[name][1]
        fmt = tmpl.format
        for start in range(0, n, CHUNK):
            block = []
            for k in range(start, min(n, start + CHUNK)):
                i = first_case + k  # filler case number, global across calls
                case_id = ids["case"] + k
                day = f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}"
                if name == "user":
                    if k % 2 == 0:
                        block.append(fmt(id=ids["user"] + k // 2, username=f"filler{i // 2}"))
                elif name == "case":
                    block.append(
                        fmt(
                            id=case_id,
                            public_id=uid(0xCA5E0000, i),
                            owner_id=ids["user"] + k // 2,
                            order_no=f"KM{i:010d}",
                            log_head=f"{i:064x}",
                            created_at=f"{day} 09:00:00+08",
                            paid_at=f"{day} 08:00:00+08",
                        )
                    )
                elif name == "contact":
                    for j in range(1 + i % 2):  # 1 or 2: 1.5 per case
                        block.append(
                            fmt(
                                id=ids["contact"] + (k // 2) * CONTACTS_PER_2_CASES + (k % 2) + j,
                                public_id=uid(0xC0470000, i * 2 + j),
                                case_id=case_id,
                                at=f"{day} 1{j}:30:00+08",
                            )
                        )
                elif name == "event":
                    prev = ""
                    for seq in range(1, EVENTS_PER_CASE + 1):
                        h = f"{i:056x}{seq:08x}"
                        block.append(
                            fmt(
                                id=ids["event"] + k * EVENTS_PER_CASE + seq - 1,
                                case_id=case_id,
                                seq=seq,
                                at=f"{day} 1{seq}:00:00+08",
                                prev_hash=prev,
                                hash=h,
                            )
                        )
                        prev = h
                elif name == "evidence":
                    for j in range(EVIDENCE_PER_CASE):
                        block.append(
                            fmt(
                                id=ids["evidence"] + k * EVIDENCE_PER_CASE + j,
                                public_id=uid(0xE71D0000, i * EVIDENCE_PER_CASE + j),
                                case_id=case_id,
                                sha256=f"{i * EVIDENCE_PER_CASE + j:064x}",
                                original_name=f"订单截图{j + 1}.png",
                            )
                        )
            yield "".join(block)

    def add(self, n: int) -> dict[str, int]:
        """Appends ``n`` filler cases; returns rows written per table."""
        import psycopg

        if n % 2:
            n += 1  # users and contacts come in pairs of cases
        written: dict[str, int] = {}
        with psycopg.connect(self.dsn) as conn:
            conn.execute(
                "SET session_replication_role = replica"
            )  # no FK triggers: rows are consistent by design
            ids = self._next_ids(conn)
            with conn.cursor() as cur:
                for name, model in self.models.items():
                    columns, _ = self.templates[name]
                    cols = ", ".join(f'"{c}"' for c in columns)
                    count = 0
                    with cur.copy(f'COPY "{model._meta.db_table}" ({cols}) FROM STDIN') as copy:
                        for text in self._lines(name, self.cases, n, ids):
                            copy.write(text)
                            count += text.count("\n")
                    written[name] = count
                for model in self.models.values():
                    table = model._meta.db_table
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
                    )
            conn.commit()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
        self.cases += n
        return written


# --- the app's own rows -------------------------------------------------------------------------------------------


def setup_app(tmp: Path) -> tuple[str, str]:
    """Migrations, the measured user and case, public complaints; returns (case path, platform path)."""
    import django

    django.setup()
    import stats as stats_bench  # bench/stats.py: the same generated complaints
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.urls import reverse

    from weiquan.cases.models import Case
    from weiquan.platforms.models import PlatformAlias

    call_command("migrate", interactive=False, verbosity=0)
    user = get_user_model().objects.create_user(USER, password=PASSWORD)
    case = Case.create_from_case_file(user, json.loads(SEED.read_text(encoding="utf-8")))
    complaints = tmp / "complaints.jsonl"
    stats_bench.write_file(complaints, COMPLAINTS, seed=1)
    import io

    call_command("import_complaints", str(complaints), stdout=io.StringIO())
    complaints.unlink()
    platform = PlatformAlias.objects.get(kind="domain", value="dakameng.com").platform
    from django.db import connections

    connections.close_all()
    return reverse("case_detail", args=[case.public_id]), reverse(
        "platform_detail", args=[platform.public_id]
    )


# --- the servers ----------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    label: str

    def _stats(self) -> Iterator[tuple[int, list[str]]]:
        """(pid, /proc/<pid>/stat fields after the name) of the gunicorn master and its workers."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                pid, rest = stat.read_text().split(" ", 1)
            except OSError:
                continue
            fields = rest.rsplit(")", 1)[1].split()
            if int(pid) == self.proc.pid or int(fields[1]) == self.proc.pid:
                yield int(pid), fields

    def workers(self) -> list[int]:
        return [pid for pid, _ in self._stats() if pid != self.proc.pid]

    def cpu(self) -> float:
        """CPU seconds (user + system) of the gunicorn master and its workers, from /proc."""
        tick = os.sysconf("SC_CLK_TCK")
        return sum((int(f[11]) + int(f[12])) / tick for _, f in self._stats())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(env: dict[str, str], workers: int, label: str, extra: dict[str, str]) -> Server:
    port = free_port()
    cmd = [
        sys.executable, "-m", "gunicorn", "weiquan.wsgi",
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
        "--backlog", "256", "--timeout", "60", "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**env, **extra}, stdout=subprocess.DEVNULL)
    server = Server(proc, port, label)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn 没能启动（{label}，退出码 {proc.returncode}）")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise SystemExit(f"gunicorn 60 秒内没有响应 /healthz（{label}）")


def log_in(port: int) -> str:
    import pages  # bench/pages.py: through the real log-in form

    pages.USER, pages.PASSWORD = USER, PASSWORD
    return str(pages.log_in(port))


# --- wrk ------------------------------------------------------------------------------------------------------------


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server CPU per request


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(server: Server, path: str, cookie: str, clients: int, duration: float) -> Run:
    cpu0 = server.cpu()
    out = subprocess.run(
        [
            "wrk", "-t", "1", "-c", str(clients), "-d", f"{duration:g}s", "--latency", "--timeout", "10s",
            "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{server.port}{path}",
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    cpu = server.cpu() - cpu0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise SystemExit(f"{path}：{m.group(1)} 个请求没有返回 200\n{out}")
    if m := re.search(r"Socket errors: (.*)", out):
        print(f"  （{path}，{clients} 个客户端：wrk 报告 {m.group(1)}）", file=sys.stderr)
    n = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return Run(rps, _ms(lat["50"]), _ms(lat["99"]), cpu * 1000 / n if n else float("nan"))


def warm_up(server: Server, path: str, cookie: str, per_worker: int = 5) -> None:
    """Every worker's first requests import, compile templates and load rule data: done before timing, by count
    (a slow first request would otherwise fill a short timed run). New connections spread over the workers."""
    import concurrent.futures

    def get(_: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        conn.request("GET", path, headers={"Cookie": cookie, "Connection": "close"})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"{path}：HTTP {r.status}")

    workers = max(1, len(server.workers()))
    with concurrent.futures.ThreadPoolExecutor(workers * 2) as pool:
        list(pool.map(get, range(workers * per_worker)))


@dataclass
class Cell:
    runs: list[Run]

    @property
    def rps(self) -> list[float]:
        return sorted(r.rps for r in self.runs)

    def med(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)

    def show(self) -> str:
        r = self.rps
        return (
            f"{r[0]:7.0f} / {statistics.median(r):7.0f} / {r[-1]:7.0f} 请求/秒   "
            f"p50 {self.med('p50_ms'):6.1f} ms  p99 {self.med('p99_ms'):6.1f} ms   CPU {self.med('cpu_ms'):5.2f} ms/请求"
        )


Targets = list[tuple[str, str, str]]  # (label, server, path)


def measure(
    servers: dict[str, Server], targets: Targets, cookie: str, clients: list[int], runs: int, duration: float
) -> dict[tuple[str, int], Cell]:
    """Run i of every page back to back, then run i+1: a ratio compares runs measured seconds apart, so a burst of
    other load on the machine hits both sides of it rather than one page's three runs."""
    for _label, server, path in targets:
        warm_up(servers[server], path, cookie)
    results: dict[tuple[str, int], Cell] = {}
    for c in clients:
        for _ in range(runs):
            for label, server, path in targets:
                results.setdefault((label, c), Cell([])).runs.append(
                    wrk(servers[server], path, cookie, c, duration)
                )
        for label, _server, _path in targets:
            print(f"  {label:<22} {c:>2} 个客户端  {results[label, c].show()}", flush=True)
    return results


# --- in-process profile --------------------------------------------------------------------------------------------


def profile(paths: dict[str, str], repeat: int) -> None:
    """CPU per request of each page in this process (Django's test client, same database), and where a rendered
    case page and platform page spend it (cProfile, grouped: template rendering, the plan, database, the rest)."""
    import cProfile
    import pstats

    from django.contrib.auth import get_user_model
    from django.test import Client

    from weiquan import pagecache

    client = Client()
    client.force_login(get_user_model().objects.get(username=USER))

    def cpu_ms(path: str, fresh: bool) -> float:
        for _ in range(3):
            client.get(path)
        t0 = time.process_time()
        for _ in range(repeat):
            if fresh:
                pagecache.clear()
            assert client.get(path).status_code == 200
        return (time.process_time() - t0) * 1000 / repeat

    print(f"\n进程内 CPU（{repeat} 次，Django 测试客户端，无网络、无 gunicorn）")
    for label, (path, fresh) in {
        "已登录空视图": (paths["trivial"], False),
        "案件页（缓存）": (paths["case"], False),
        "案件页（不缓存）": (paths["case"], True),
        "平台页（缓存）": (paths["platform"], False),
        "平台页（不缓存）": (paths["platform"], True),
    }.items():
        print(f"  {label:<14} {cpu_ms(path, fresh):6.2f} ms/请求")
    groups = {
        "模板渲染 django/template": lambda k: "django/template" in k[0] or "django/forms" in k[0],
        "计划 escalation.plan": lambda k: k[0].endswith("escalation.py") and k[2] == "plan",
        "数据库 django/db": lambda k: "django/db" in k[0],
    }
    for label, path in (("案件页（不缓存）", paths["case"]), ("平台页（不缓存）", paths["platform"])):
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(repeat):
            pagecache.clear()
            client.get(path)
        prof.disable()
        st = pstats.Stats(prof).stats  # type: ignore[attr-defined]
        total = max(v[3] for v in st.values())
        parts = []
        for name, match in groups.items():
            # the outermost frames of a group: cumulative time without counting nested calls twice
            cum = sum(v[3] for k, v in st.items() if match(k) and not any(match(c) for c in v[4]))
            parts.append(f"{name} {cum / total:.0%}")  # overlapping: a query a template triggers is in both
        print(f"  {label}（cProfile 占比，可重叠：模板里触发的查询两边都算）：" + "，".join(parts))


# --- the report -----------------------------------------------------------------------------------------------------


def report(
    big: dict[tuple[str, int], Cell], small: dict[tuple[str, int], Cell], n: int, clients: list[int]
) -> None:
    base = "已登录空视图"

    def rps_ratios(a: str, c: int) -> list[float]:
        # run i of the page against run i of the trivial view (measured close together, as alike as it gets)
        return sorted(x.rps / y.rps for x, y in zip(big[a, c].runs, big[base, c].runs, strict=True))

    def cpu_ratio(a: str, c: int) -> float:
        return big[base, c].med("cpu_ms") / big[a, c].med("cpu_ms")

    print(
        f"\n比值（{n:,} 个案件）÷ 已登录空视图：请求/秒之比（第 i 次对第 i 次：最小/中位/最大），"
        "CPU 之比（空视图的 CPU/请求 ÷ 本页的 CPU/请求 = 服务器独占各核时的请求/秒之比，不受机器上其他负载影响）"
    )
    for page in (
        "案件页（缓存）",
        "案件页（不缓存）",
        "平台页（缓存）",
        "平台页（不缓存）",
        "/accounts/",
        "/healthz",
    ):
        for c in clients:
            if (page, c) in big and (base, c) in big:
                xs = rps_ratios(page, c)
                print(
                    f"  {page:<12} {c:>2} 个客户端：请求/秒 {xs[0]:.2f} / {statistics.median(xs):.2f} / {xs[-1]:.2f}，"
                    f"CPU {cpu_ratio(page, c):.2f}"
                )
    top, low = max(clients), min(clients)
    print("\n目标（issue 11）")
    for page in ("案件页（缓存）", "平台页（缓存）"):
        if (page, top) in big:
            r, cpu = statistics.median(rps_ratios(page, top)), cpu_ratio(page, low)
            p99 = big[page, top].med("p99_ms")
            print(
                f"  {page}：÷ 空视图 请求/秒 {r:.2f}（{top} 个客户端）、CPU {cpu:.2f}（{low} 个客户端）"
                f"（目标 ≥ 0.5）{'达标' if min(r, cpu) >= 0.5 else '未达标'}；"
                f"p99 {p99:.1f} ms（{top} 个客户端；目标 < 50）{'达标' if p99 < 50 else '未达标'}"
            )
    for page in ("案件页（不缓存）", "平台页（不缓存）"):
        if (page, low) in big:
            # The fewest clients: with many, requests still queued when wrk stops add CPU but no count.
            cpu = big[page, low].med("cpu_ms")
            print(
                f"  {page}：CPU {cpu:.2f} ms/请求（{low} 个客户端；目标 ≤ 4）{'达标' if cpu <= 4 else '未达标'}"
            )
    if small:
        print(
            f"\n{SMALL:,} 个案件 → {n:,} 个案件（8 个客户端：请求/秒中位数之比；CPU/请求之比，1.00 = 一样快）"
        )
        for (label, c), cell in small.items():
            if (label, c) in big:
                b = big[label, c]
                print(
                    f"  {label:<22} 请求/秒 {statistics.median(b.rps) / statistics.median(cell.rps):.2f}，"
                    f"CPU {b.med('cpu_ms') / cell.med('cpu_ms'):.2f}"
                )


# --- main ------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", type=int, default=100_000, help="cases of the big run (the issue: 1000000)"
    )
    parser.add_argument(
        "--url", default=os.getenv("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers (default: cores)"
    )
    parser.add_argument("--clients", default="1,8,32", help="wrk connections, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run")
    parser.add_argument("--profile", action="store_true", help="also profile the pages in this process")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (its name is printed)")
    args = parser.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]

    if shutil.which("wrk") is None:
        print("跳过：没有 wrk（apt-get install -y wrk）。")
        return 0
    if (problem := reachable(args.url)) is not None:
        print(f"跳过：连不上 PostgreSQL（{problem}）。")
        return 0

    name = f"weiquan_scale_{os.getpid()}"
    dsn = with_db(args.url, name)
    tmp = Path(tempfile.mkdtemp(prefix="weiquan-scale-"))
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "WEIQUAN_DATA_DIR": str(tmp / "data"),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "bench.scale_settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("WEIQUAN_PRODUCTION", None)
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DATABASE_URL",
                "SECRET_KEY",
                "WEIQUAN_DATA_DIR",
                "DEBUG",
                "DJANGO_SETTINGS_MODULE",
                "ALLOWED_HOSTS",
            )
        }
    )
    servers: dict[str, Server] = {}
    admin(args.url, f'CREATE DATABASE "{name}"')
    started = time.monotonic()
    try:
        case_path, platform_path = setup_app(tmp)
        seeder = Seeder(dsn.replace("postgres://", "postgresql://", 1))
        targets: Targets = [
            ("/healthz", "cached", "/healthz"),
            ("已登录空视图", "cached", "/bench/trivial"),
            ("/accounts/", "cached", "/accounts/"),
            ("案件页（缓存）", "cached", case_path),
            ("案件页（不缓存）", "uncached", case_path),
            ("平台页（缓存）", "cached", platform_path),
            ("平台页（不缓存）", "uncached", platform_path),
        ]

        def phase(label: str, targets: Targets, clients: list[int]) -> dict[tuple[str, int], Cell]:
            for s in servers.values():
                s.stop()
            servers["cached"] = start_server(env, args.workers, "cached", {})
            servers["uncached"] = start_server(env, args.workers, "uncached", {"BENCH_PAGE_CACHE": "off"})
            cookie = log_in(
                servers["cached"].port
            )  # sessions live in the database: one cookie for both servers
            print(
                f"\n{label}（gunicorn {args.workers} 个 worker × 2 个服务器；wrk {args.runs} 次 × {args.duration:g} 秒）"
            )
            print(
                "  地址                   客户端   请求/秒 最小 / 中位 / 最大              延迟中位数（各次）      服务器 CPU"
            )
            return measure(servers, targets, cookie, clients, args.runs, args.duration)

        small: dict[tuple[str, int], Cell] = {}
        if args.cases > SMALL:
            t0 = time.monotonic()
            seeder.add(SMALL - 1)
            print(f"COPY 到 {SMALL:,} 个案件：{time.monotonic() - t0:.1f} 秒", flush=True)
            small = phase(f"{SMALL:,} 个案件", [t for t in targets if t[0] != "/accounts/"], [8])
        t0 = time.monotonic()
        written = seeder.add(args.cases - seeder.cases - 1)
        seconds = time.monotonic() - t0
        rows = ", ".join(f"{k} {v:,}" for k, v in written.items())
        print(f"\nCOPY 到 {args.cases:,} 个案件：{seconds:.1f} 秒（本次写入 {rows}）", flush=True)
        big = phase(f"{args.cases:,} 个案件", targets, clients)
        report(big, small, args.cases, clients)
        if args.profile:
            profile({"trivial": "/bench/trivial", "case": case_path, "platform": platform_path}, repeat=100)
        print(f"\n总耗时 {time.monotonic() - started:.0f} 秒")
    finally:
        for s in servers.values():
            s.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if args.keep:
            print(f"保留数据库 {name}")
        else:
            with contextlib.suppress(Exception):
                admin(args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
