"""Issue 12 point 8 on PostgreSQL: `weiquan backup` with pg_dump, `weiquan restore` into an empty database with
pg_restore, then every evidence hash and case log chain verified. Skipped without pg_dump or a server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PG = "postgres://postgres@127.0.0.1:5432/"
POPULATE = """
import json
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from weiquan.cases.models import Case
from weiquan.evidence.services import store_upload
user = User.objects.create_user("pg-owner", password="pg-owner-secret-2026")
for i in range(2):
    case = Case.create_from_case_file(user, json.load(open("examples/seed-invalid-code.json", encoding="utf-8")))
    store_upload(case, SimpleUploadedFile(f"chat{i}.txt", f"客服拒绝退款 {i}\\n".encode() * 100), kind="cs_chat", actor=user)
"""


def psql(sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql],
        capture_output=True,
        text=True,
    )


@pytest.fixture
def databases():
    if not shutil.which("pg_dump") or psql("SELECT 1").returncode:
        pytest.skip("needs pg_dump and PostgreSQL on 127.0.0.1:5432")
    names = [f"weiquan_ops_backup_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("src", "dst")]
    for name in names:
        assert psql(f"CREATE DATABASE {name}").returncode == 0
    yield names
    for name in names:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def weiquan(args: list[str], db: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEIQUAN_", "DJANGO_", "REDIS_URL"))}
    env.update(DATABASE_URL=PG + db, WEIQUAN_DATA_DIR=str(data_dir), SECRET_KEY="s" * 40)
    return subprocess.run(
        [sys.executable, "-m", "weiquan.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )


def test_a_postgresql_backup_restores_into_an_empty_database_and_verifies(databases, tmp_path):
    src, dst = databases
    assert weiquan(["manage", "migrate", "-v", "0"], src, tmp_path / "src").returncode == 0
    filled = weiquan(["manage", "shell", "-c", POPULATE], src, tmp_path / "src")
    assert filled.returncode == 0, filled.stderr
    archive = tmp_path / "pg.tar"
    made = weiquan(["backup", str(archive)], src, tmp_path / "src")
    assert made.returncode == 0, made.stderr
    assert "数据库（postgresql）和 2 个证据文件" in made.stdout
    restored = weiquan(["restore", str(archive)], dst, tmp_path / "dst")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "已恢复：2 个案件" in restored.stdout and "2 个证据文件" in restored.stdout
    assert "每个证据文件的 SHA-256 与登记一致，每个案件日志的哈希链完整" in restored.stdout
    again = weiquan(["restore", str(archive)], dst, tmp_path / "other")
    assert again.returncode == 1 and "目标 PostgreSQL 数据库不是空的" in again.stderr
