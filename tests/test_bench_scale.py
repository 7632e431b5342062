"""bench/scale.py end to end on a tiny database (only with WEIQUAN_BENCH=1: it needs PostgreSQL and wrk, ~40 s)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    os.getenv("WEIQUAN_BENCH") != "1", reason="set WEIQUAN_BENCH=1 to run the bench"
)


def scratch_databases() -> set[str]:
    import psycopg

    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3) as conn:
            rows = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'weiquan_scale_%'"
            ).fetchall()
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    return {r[0] for r in rows}


def test_the_scale_bench_measures_every_page_and_leaves_nothing_behind(tmp_path):
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    before = scratch_databases()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(
        [sys.executable, "bench/scale.py", "--cases", "200", "--duration", "1", "--runs", "1", "--clients", "8"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    for page in (
        "/healthz",
        "已登录空视图",
        "案件页（缓存）",
        "案件页（不缓存）",
        "平台页（缓存）",
        "平台页（不缓存）",
    ):
        assert f"  {page}" in out
    assert "目标（issue 11）" in out
    assert list(tmp_path.iterdir()) == []  # the data folder and the generated files are gone
    assert scratch_databases() == before  # its weiquan_scale_<pid> database was dropped
