"""`weiquan backup OUT` and `weiquan restore IN`: one file with the database and every evidence file it names.

Consistency while the server runs:
1. The database is copied first, as one point in time: SQLite's online backup API (sqlite3.Connection.backup,
   a read transaction: writers in WAL mode carry on), or ``pg_dump`` (one repeatable-read snapshot) for PostgreSQL.
2. Then the evidence files. The store is content-addressed and append-only: a file is renamed into place (and
   fsynced) before the row naming it is committed, and is never overwritten. So every file the snapshot names is
   on disk when step 2 runs, whatever uploads happen meanwhile. Each file is hashed while it is copied; a file
   whose bytes no longer match its name stops the backup.

Restore goes into an empty data folder (or an empty PostgreSQL database), applies migrations, then checks
everything: every evidence file's SHA-256 against its row, and every case log's hash chain with the same code
`weiquan verify` uses for bundles (weiquan/evidence/verify.py). Any finding makes the command fail.

The archive is a plain tar: backup.json (what is inside), database.sqlite3 or database.pgdump, evidence/ab/cd/<sha>.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection

from weiquan.cases.models import Case, CaseEvent
from weiquan.evidence.bundle import _event
from weiquan.evidence.models import Evidence
from weiquan.evidence.storage import BlobStore
from weiquan.evidence.verify import VerifyReport, _check_log, _check_uploads_logged

FORMAT = "weiquan-backup/1"
MANIFEST = "backup.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator, in Chinese."""


@dataclass
class RestoreReport:
    cases: int = 0
    events: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        lines = [f"已恢复：{self.cases} 个案件、{self.events} 条案件日志、{self.files} 个证据文件"]
        if self.ok:
            lines.append("核对结果：每个证据文件的 SHA-256 与登记一致，每个案件日志的哈希链完整。")
        else:
            lines.append(f"核对发现 {len(self.problems)} 处问题：")
            lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        return "\n".join(lines) + "\n"


def _vendor() -> str:
    return str(connection.vendor)


def _blob_path(root: Path, sha256: str) -> Path:
    return BlobStore(root).path(sha256)


class _HashingReader(io.RawIOBase):
    """Reads a file for tarfile while hashing it: one read per evidence file."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh, self.digest = fh, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        return data


# --- backup ------------------------------------------------------------------------------------------------------


def _sqlite_snapshot(dest: Path) -> None:
    source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]), timeout=60)
    target = sqlite3.connect(str(dest))
    try:
        with target:
            source.backup(target)  # every page in one step: one consistent read transaction
    finally:
        target.close()
        source.close()


def _sqlite_shas(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT DISTINCT sha256 FROM evidence_evidence WHERE sha256 != ''").fetchall()
    finally:
        con.close()
    return sorted(r[0] for r in rows)


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432)]
    args += ["--username", str(db.get("USER") or "postgres"), "--dbname", str(db["NAME"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"找不到 {name}：PostgreSQL 的备份和恢复需要它（Debian：apt-get install postgresql-client）。"
            "使用托管数据库时，也可以改用服务商的快照，证据存储另行备份，见 docs/deployment.md。"
        )
    return path


def _pg_shas() -> set[str]:
    return set(Evidence.objects.exclude(sha256="").values_list("sha256", flat=True).distinct())


def backup(out: Path) -> dict[str, Any]:
    """Writes the archive to ``out`` (refusing to overwrite one) and returns its manifest."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} 已存在：备份不会覆盖已有文件，请换一个文件名。")
    out.parent.mkdir(parents=True, exist_ok=True)
    vendor = _vendor()
    with tempfile.TemporaryDirectory(prefix="weiquan-backup-", dir=out.parent) as tmp:
        if vendor == "sqlite":
            db_file, member = Path(tmp) / SQLITE_MEMBER, SQLITE_MEMBER
            _sqlite_snapshot(db_file)
            shas = _sqlite_shas(db_file)
        elif vendor == "postgresql":
            db_file, member = Path(tmp) / PG_MEMBER, PG_MEMBER
            before = _pg_shas()
            args, env = _pg_env()
            run = subprocess.run(
                [
                    _pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    *args,
                    "--file",
                    str(db_file),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if run.returncode:
                raise BackupError(f"pg_dump 失败：{run.stderr.strip()}")
            # Rows are never rewritten to name other files: what the snapshot names was there before or after it.
            shas = sorted(before | _pg_shas())
        else:
            raise BackupError(f"不支持备份这种数据库：{vendor}")
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": {"engine": vendor, "member": member, "size": db_file.stat().st_size},
            "evidence": [],
        }
        partial = Path(tmp) / "archive.tar"
        root = Path(settings.EVIDENCE_DIR)
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(db_file, arcname=member)
            for sha in shas:
                path = _blob_path(root, sha)
                if not path.is_file():
                    if vendor == "sqlite":
                        raise BackupError(
                            f"证据文件 {sha} 在数据库中有登记，但证据目录里没有：证据存储不完整。"
                        )
                    continue  # PostgreSQL: a row from after the snapshot whose case was deleted again
                info = tar.gettarinfo(str(path), arcname=f"evidence/{sha[:2]}/{sha[2:4]}/{sha}")
                with open(path, "rb") as fh:
                    reader = _HashingReader(fh)
                    tar.addfile(info, reader)  # type: ignore[arg-type]
                if reader.digest.hexdigest() != sha:
                    raise BackupError(f"证据文件 {sha} 的内容与其哈希不符：存储中的文件已损坏，备份中止。")
                manifest["evidence"].append({"sha256": sha, "size": info.size})
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(dt.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, out)  # a half-written archive never carries the final name
    return manifest


# --- restore -----------------------------------------------------------------------------------------------------


def _evidence_root_has_blobs(root: Path) -> bool:
    return next(iter(BlobStore(root).blobs()), None) is not None


def _check_empty(engine: str) -> None:
    if _evidence_root_has_blobs(Path(settings.EVIDENCE_DIR)):
        raise BackupError(f"证据目录 {settings.EVIDENCE_DIR} 里已有文件：只能恢复到空的数据目录。")
    if engine == "sqlite":
        db = Path(settings.DATABASES["default"]["NAME"])
        if db.exists() and db.stat().st_size > 0:
            raise BackupError(f"数据库 {db} 已存在：只能恢复到空的数据目录（换一个 WEIQUAN_DATA_DIR）。")
    elif connection.introspection.table_names():
        raise BackupError("目标 PostgreSQL 数据库不是空的：请新建一个空数据库再恢复。")


def restore(archive: Path) -> RestoreReport:
    archive = Path(archive)
    try:
        tar = tarfile.open(archive, "r:")  # noqa: SIM115 — closed by the with below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"无法打开备份文件 {archive}：{exc}") from None
    with tar:
        try:
            manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        except (KeyError, AttributeError, ValueError):
            raise BackupError(f"{archive} 不是 weiquan 备份（缺少 {MANIFEST}）。") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"不认识的备份格式：{manifest.get('format')}")
        engine = manifest["database"]["engine"]
        if engine != _vendor():
            raise BackupError(
                f"备份来自 {engine} 数据库，而当前配置的是 {_vendor()}：请用同一种数据库恢复（DATABASE_URL）。"
            )
        _check_empty(engine)
        member = tar.getmember(manifest["database"]["member"])
        if engine == "sqlite":
            connection.close()
            db = Path(settings.DATABASES["default"]["NAME"])
            db.parent.mkdir(parents=True, exist_ok=True)
            _copy_member(tar, member, db)
        else:
            with tempfile.TemporaryDirectory(prefix="weiquan-restore-") as tmp:
                dump = Path(tmp) / PG_MEMBER
                _copy_member(tar, member, dump)
                args, env = _pg_env()
                connection.close()
                run = subprocess.run(
                    [
                        _pg_tool("pg_restore"),
                        "--no-owner",
                        "--no-privileges",
                        "--exit-on-error",
                        *args,
                        str(dump),
                    ],
                    env=env,
                    capture_output=True,
                    text=True,
                )
                if run.returncode:
                    raise BackupError(f"pg_restore 失败：{run.stderr.strip()}")
        root = Path(settings.EVIDENCE_DIR)
        for item in manifest["evidence"]:
            sha = item["sha256"]
            target = _blob_path(root, sha)  # validates the name: nothing is written outside the store
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy_member(tar, tar.getmember(f"evidence/{sha[:2]}/{sha[2:4]}/{sha}"), target)
            os.chmod(target, 0o444)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return verify_installation()


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    if not member.isfile():
        raise BackupError(f"备份中的 {member.name} 不是普通文件。")
    source = tar.extractfile(member)
    assert source is not None
    partial = target.with_name(target.name + ".partial")
    with source, open(partial, "wb") as fh:
        shutil.copyfileobj(source, fh, CHUNK)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, target)


# --- verification (also useful on a live installation) ----------------------------------------------------------


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_installation() -> RestoreReport:
    """Every evidence file against its row, every case log chain: the checks `weiquan verify` runs on a bundle."""

    report = RestoreReport()
    root = Path(settings.EVIDENCE_DIR)
    checked: dict[str, bool] = {}
    for case in Case.objects.order_by("pk").iterator():
        report.cases += 1
        events = [_event(e) for e in CaseEvent.objects.filter(case=case).order_by("seq")]
        items = []
        for ev in Evidence.objects.filter(case=case).exclude(sha256=""):
            if ev.sha256 not in checked:
                path = _blob_path(root, ev.sha256)
                checked[ev.sha256] = path.is_file() and _file_sha256(path) == ev.sha256
                report.files += 1
            if not checked[ev.sha256]:
                report.problems.append(
                    f"案件 {case.public_id} 的证据「{ev.original_name}」文件缺失或与 SHA-256 不符"
                )
            items.append(
                {"id": str(ev.public_id), "sha256": ev.sha256, "path": ev.original_name or ev.sha256}
            )
        manifest = {"log": {"events": events, "head": case.log_head}, "evidence": items}
        found = VerifyReport(path=str(case.public_id))
        _check_log(manifest, found)
        _check_uploads_logged(manifest, found)
        report.events += found.events_checked
        report.problems += [f"案件 {case.public_id}：{p}" for p in found.problems]
    return report
