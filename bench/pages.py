"""Benchmark of the case page: requests/s of /cases/<id>/ vs the trivial /healthz, on the real server.

    uv run python bench/pages.py                 # 4 clients, 5 s per URL
    uv run python bench/pages.py --clients 8 --seconds 10 --profile

Starts `weiquan serve` (waitress) on a free port with a temporary WEIQUAN_DATA_DIR, creates a user and the seed
case (examples/seed-invalid-code.json) in that database, logs in over HTTP, then lets N keep-alive clients request
each URL for a fixed time. Prints both rates and their ratio (target: the case page at least half as fast as a view
that does nothing). --profile also profiles the case page in-process and prints where its time goes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed-invalid-code.json"
USER, PASSWORD = "bench", "bench-password-2026"
TARGET = 0.5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"服务器没能启动（退出码 {proc.returncode}）")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("服务器 60 秒内没有响应 /healthz")


def setup_case() -> str:
    """Creates the user and the seed case in the server's database (same WEIQUAN_DATA_DIR); returns the case id."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weiquan.settings")
    django.setup()
    from django.contrib.auth import get_user_model

    from weiquan.cases.models import Case

    user = get_user_model().objects.create_user(USER, password=PASSWORD)
    case = Case.create_from_case_file(user, json.loads(SEED.read_text(encoding="utf-8")))
    return str(case.public_id)


def log_in(port: int) -> str:
    """The Cookie header of a logged-in session, obtained through the real log-in form."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/accounts/login/")
    r = conn.getresponse()
    html = r.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", r.getheader("Set-Cookie") or "").group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": USER, "password": PASSWORD})
    conn.request(
        "POST",
        "/accounts/login/",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}"},
    )
    r = conn.getresponse()
    r.read()
    session = re.search(r"sessionid=([^;]+)", r.getheader("Set-Cookie") or "")
    if r.status != 302 or not session:
        raise SystemExit(f"登录失败：HTTP {r.status}")
    return f"csrftoken={csrf_cookie}; sessionid={session.group(1)}"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rate(port: int, path: str, cookie: str, clients: int, seconds: float) -> tuple[float, int]:
    """Requests per second over `seconds`, with `clients` keep-alive connections requesting back to back;
    and how many requests were made."""
    counts = [0] * clients
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            conn.request("GET", path, headers={"Cookie": cookie})
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                errors.append(f"{path}: HTTP {r.status}")
                return
            counts[i] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(errors[0])
    return sum(counts) / (time.monotonic() - started), sum(counts)


def measure(
    pid: int, port: int, path: str, cookie: str, clients: int, seconds: float
) -> tuple[float, float | None]:
    """Requests/s, and the server's CPU milliseconds per request (independent of how fast the client is)."""
    before = cpu_seconds(pid)
    rps, n = rate(port, path, cookie, clients, seconds)
    after = cpu_seconds(pid)
    return rps, (after - before) * 1000 / n if before is not None and after is not None and n else None


def profile(case_id: str) -> None:
    """Where the case page's time goes: render it in-process under cProfile."""
    import cProfile
    import pstats

    from django.test import Client

    client = Client()
    client.login(username=USER, password=PASSWORD)
    url = f"/cases/{case_id}/"
    client.get(url)  # warm caches
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(50):
        client.get(url)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\n进程内 50 次案件页：每次 {total / 50 * 1000:.1f} ms（cProfile 计时，偏慢）")
    groups = {
        "plan (Case.plan + to_dict)": ("escalation.py", "plan"),
        "template rendering": ("django/template", None),
        "database": ("django/db", None),
    }
    for label, (fragment, func) in groups.items():
        cum = max(
            (v[3] for k, v in stats.stats.items() if fragment in k[0] and (func is None or k[2] == func)),  # type: ignore[attr-defined]
            default=0.0,
        )
        print(f"  {label:<30} 最大累计 {cum / 50 * 1000:6.1f} ms/次")
    stats.sort_stats("cumulative").print_stats(15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="weiquan-bench-") as data_dir:
        os.environ["WEIQUAN_DATA_DIR"] = data_dir
        os.environ.setdefault("LOG_LEVEL", "ERROR")
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "weiquan.cli",
            "serve",
            "--port",
            str(port),
            "--threads",
            str(args.threads),
        ]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL)
        try:
            wait_for(port, proc)
            case_id = setup_case()
            cookie = log_in(port)
            case_path = f"/cases/{case_id}/"
            for path in ("/healthz", case_path):  # warm-up: imports, template loading, connections
                rate(port, path, cookie, args.clients, 1.0)
            trivial, trivial_cpu = measure(proc.pid, port, "/healthz", cookie, args.clients, args.seconds)
            page, page_cpu = measure(proc.pid, port, case_path, cookie, args.clients, args.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        ratio = page / trivial
        print(
            f"服务器：weiquan serve（waitress，{args.threads} 线程），{args.clients} 个并发客户端，每个地址 {args.seconds:g} 秒"
        )
        cpu = lambda ms: f"（服务器 CPU {ms:.2f} ms/请求）" if ms is not None else ""  # noqa: E731
        print(f"  /healthz       {trivial:8.1f} 请求/秒{cpu(trivial_cpu)}")
        print(f"  案件页          {page:8.1f} 请求/秒{cpu(page_cpu)}")
        print(
            f"  比值 案件页/healthz = {ratio:.2f}（目标 ≥ {TARGET}）{'  达标' if ratio >= TARGET else '  未达标'}"
        )
        if args.profile:
            profile(case_id)
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
