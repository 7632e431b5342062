"""Removes what an interrupted upload or a crash can leave behind; never a file a row refers to.

1. Temp files in EVIDENCE_DIR/tmp older than --hours (an upload in progress writes to its file all the time, so
   its modification time stays fresh).
2. Blobs no Evidence row names, older than --hours. The age matters: ``store_upload`` moves a blob into place
   (or touches an existing one) just before inserting its row, so a young unreferenced blob may be about to get
   its row. The row set is read after the blobs are listed, for the same reason.
3. Reports (never "fixes") rows whose file is missing: that must not happen, and someone should look.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from weiquan.evidence.models import Evidence
from weiquan.evidence.storage import blob_store


class Command(BaseCommand):
    help = "删除中断上传留下的临时文件和没有任何证据记录引用的文件"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=float, default=24, help="只删除早于这么多小时的文件（默认 24）")
        parser.add_argument("--dry-run", action="store_true", help="只列出，不删除")

    def handle(self, *args: Any, hours: float, dry_run: bool, **options: Any) -> None:
        store = blob_store()
        cutoff = time.time() - hours * 3600
        verb = "将删除" if dry_run else "已删除"

        stale_temps = [p for p in store.tmp_dir.glob("*") if p.is_file() and p.stat().st_mtime < cutoff]
        old_blobs = [sha for sha, mtime in store.blobs() if mtime < cutoff]
        referenced = set(Evidence.objects.exclude(sha256="").values_list("sha256", flat=True))
        orphans = [sha for sha in old_blobs if sha not in referenced]
        for path in stale_temps:
            if not dry_run:
                path.unlink(missing_ok=True)
            self.stdout.write(f"{verb} {path}")
        for sha in orphans:
            if not dry_run:
                store.delete(sha)
            self.stdout.write(f"{verb} {store.path(sha) if store.local else sha}")

        missing = [
            ev
            for ev in Evidence.objects.filter(declared=False).exclude(sha256="").only("public_id", "sha256")
            if not store.exists(ev.sha256)
        ]
        for ev in missing:
            self.stderr.write(f"警告：证据 {ev.public_id} 的文件 {ev.sha256} 不见了")
        self.stdout.write(
            f"{verb}临时文件 {len(stale_temps)} 个、无引用的证据文件 {len(orphans)} 个；文件缺失的证据 {len(missing)} 项"
        )
