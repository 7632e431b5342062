"""Benchmark of open data at scale: importing a million historical complaints, and the platform page afterwards.

    uv run python bench/stats.py                   # 1,000,000 complaints (about a minute of import, 2 cores)
    uv run python bench/stats.py --n 100000        # smaller
    uv run python bench/stats.py --url postgres://postgres@127.0.0.1:5432/weiquan_bench

Needs PostgreSQL (the scale it is about): it creates (and drops again, unless --keep) a scratch database, by default
``weiquan_bench`` on 127.0.0.1:5432 as user postgres; without a reachable server it says so and exits.

1. Generates two JSON Lines files of realistic complaints (personal data in a third of them, so masking works):
   1,000 and N rows, over a few thousand platforms with a Zipf-like spread; the biggest platform gets ~10 %.
2. Imports the small file with ``import_complaints`` and times the biggest platform's page (url ``platform_detail``;
   the public API ``/api/public/platforms/{id}`` if the page does not exist) and this app's list pages.
3. Empties the tables, imports the big file (timed: target under 2 minutes), ANALYZE, times the same pages.
4. Prints the times and the ratios big/small (target for the platform page: at most 1.5). Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/weiquan_bench"
SMALL = 1000
IMPORT_TARGET_S = 120.0
RATIO_TARGET = 1.5

TYPES = ["invalid_code", "delayed_delivery", "fake_stock", "service_shrink", "fraud_runaway", "data_leak", ""]
TYPE_WEIGHTS = [30, 20, 10, 8, 15, 5, 12]
STORIES = [
    "在{p}买了{a}元的游戏点卡，卡密显示已被使用，客服说卡密发出后概不退换。",
    "{d}付款{a}元，{p}一直不发货，客服只回复“正在处理”，已经等了五天。",
    "{p}页面显示有货，付款{a}元后说缺货，要我换别的商品，不给退款。",
    "在{p}充值的会员{a}元，说好一年，三个月就用不了了，联系客服不理。",
    "{p}跑路了，网站打不开，客服失联，我还有{a}元余额没用。",
    "{p}泄露了我的信息，付款后天天接到诈骗电话，涉及金额{a}元。",
]
LEAKS = [
    "我的电话{phone}，",
    "客服让我加QQ：{qq}，",
    "订单号{order}，",
    "卡密：{code}，",
    "我叫{name}，邮箱{email}，",
    "身份证{id}也给了他们，",
]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇"]


def rows(n: int, platforms: int, seed: int, offset: int = 0) -> list[str]:
    rnd = random.Random(seed)
    # Zipf-like: platform k gets weight 1/(k+1); platform 0 (the one timed) ends up with about a tenth of all rows.
    weights = [1 / (k + 1) ** 1.1 for k in range(platforms)]
    picks = rnd.choices(range(platforms), weights=weights, k=n)
    types = rnd.choices(TYPES, weights=TYPE_WEIGHTS, k=n)
    out = []
    for i in range(n):
        k = picks[i]
        name = "大卡盟" if k == 0 else f"卡盟{k:05d}"
        y, m, d = 2023 + rnd.randrange(3), 1 + rnd.randrange(12), 1 + rnd.randrange(28)
        amount = rnd.choice([10, 30, 50, 100, 199, 500, 648, 1299, 2000])
        text = rnd.choice(STORIES).format(p=name, a=amount, d=f"{m}月{d}日")
        if rnd.random() < 0.33:
            text += rnd.choice(LEAKS).format(
                phone=f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d}",
                qq=rnd.randrange(10**5, 10**10),
                order=f"KM{y}{m:02d}{d:02d}{rnd.randrange(10**6):06d}",
                code="-".join(f"{rnd.randrange(16**4):04X}" for _ in range(4)),
                name=rnd.choice(NAMES),
                email=f"user{rnd.randrange(10**6)}@163.com",
                id=f"110101{1970 + rnd.randrange(40)}{m:02d}{d:02d}{rnd.randrange(1000):03d}X",
            )
            text += "希望平台处理。"
        row = {
            "source": "bench",
            "source_id": str(offset + i),
            "platform_name": name,
            "platform_domain": "dakameng.com" if k == 0 else f"km{k:05d}.cn",
            "text": text,
            "amount": amount,
            "date": f"{y}-{m:02d}-{d:02d}",
            "problem_type": types[i],
        }
        out.append(json.dumps(row, ensure_ascii=False))
    return out


def write_file(path: Path, n: int, seed: int) -> None:
    platforms = max(20, n // 300)
    with path.open("w", encoding="utf-8") as f:
        for start in range(0, n, 100_000):
            for line in rows(min(100_000, n - start), platforms, seed + start, offset=start):
                f.write(line + "\n")


def server_url(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def database_available(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(server_url(url, "postgres"), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def recreate(url: str, drop_only: bool = False) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def time_page(client: object, url: str, repeat: int) -> float:
    """Median seconds of ``repeat`` GETs after three warm-up requests."""
    get = client.get  # type: ignore[attr-defined]
    for _ in range(3):
        r = get(url)
        if r.status_code != 200:
            raise RuntimeError(f"{url} → {r.status_code}")
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        get(url)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def pages() -> list[tuple[str, str]]:
    from django.urls import NoReverseMatch, reverse

    from weiquan.platforms.models import PlatformAlias

    platform = PlatformAlias.objects.get(kind="domain", value="dakameng.com").platform
    out = []
    try:
        out.append(("平台页面 platform_detail", reverse("platform_detail", args=[platform.public_id])))
    except NoReverseMatch:
        out.append(("平台 API /api/public/platforms/{id}", f"/api/public/platforms/{platform.public_id}"))
    out += [
        ("公开投诉列表（该平台）", reverse("public_complaints") + f"?platform={platform.public_id}"),
        ("公开投诉列表（全部）", reverse("public_complaints")),
        ("公开投诉 API（该平台）", f"/api/public/complaints?platform={platform.public_id}"),
    ]
    return out


def empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE public_complaintreply, public_publiccomplaint, public_collectivecomplaint, "
            "platforms_platformstats, platforms_platformalias, platforms_platform RESTART IDENTITY CASCADE"
        )


def run_import(path: Path) -> float:
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("import_complaints", str(path), stdout=io.StringIO())
    return time.perf_counter() - t0


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of complaints of the big run")
    parser.add_argument(
        "--url", default=os.getenv("BENCH_DATABASE_URL", DEFAULT_URL), help="scratch database"
    )
    parser.add_argument("--repeat", type=int, default=30, help="requests timed per page")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()

    problem = database_available(args.url)
    if problem is not None:
        print(f"跳过：连不上 PostgreSQL（{problem}）。这个基准只在 PostgreSQL 上有意义。")
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="weiquan-bench-"))
    os.environ["DATABASE_URL"] = args.url
    os.environ["WEIQUAN_DATA_DIR"] = str(tmp / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weiquan.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    recreate(args.url)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", interactive=False, verbosity=0)
        small_file, big_file = tmp / "small.jsonl", tmp / "big.jsonl"
        t0 = time.perf_counter()
        write_file(small_file, SMALL, seed=1)
        write_file(big_file, args.n, seed=2)
        print(f"生成数据：{SMALL:,} + {args.n:,} 行，{time.perf_counter() - t0:.1f} 秒", file=sys.stderr)

        client = Client()
        run_import(small_file)
        analyze()
        small = {label: time_page(client, url, args.repeat) for label, url in pages()}

        empty_tables()
        seconds = run_import(big_file)
        analyze()
        big = {label: time_page(client, url, args.repeat) for label, url in pages()}

        from weiquan.public.models import PublicComplaint

        count = PublicComplaint.objects.count()
        print()
        print(
            f"导入 {count:,} 条投诉：{seconds:.1f} 秒（{count / seconds:,.0f} 条/秒；目标 < {IMPORT_TARGET_S:.0f} 秒）"
        )
        print(f"页面响应时间中位数（{args.repeat} 次），{SMALL:,} 条 → {args.n:,} 条：")
        for label in small:
            ratio = big[label] / small[label]
            target = f"（目标 ≤ {RATIO_TARGET}）" if label.startswith("平台") else ""
            print(
                f"  {label}：{small[label] * 1000:.1f} ms → {big[label] * 1000:.1f} ms，比值 {ratio:.2f}{target}"
            )
    finally:
        from django.db import connections

        connections.close_all()
        # The generated JSON Lines files and the data folder (~290 MB for a million rows) go too, --keep or not.
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            with contextlib.suppress(Exception):
                recreate(args.url, drop_only=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
