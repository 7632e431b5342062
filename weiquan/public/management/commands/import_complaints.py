"""``import_complaints FILE.csv|FILE.jsonl [--source NAME]``: import historical complaints (docs/open-data.md).

Idempotent through (source, source_id); bad rows are reported with their line number and the good rows kept; a
progress line on stderr. Imported complaints are masked and published at once (they were public already).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.utils.translation import gettext as _

from weiquan.public.opendata import import_file

SHOW_BAD = 50


class _Raw(io.TextIOBase):
    """The command's stderr without the newline Django's OutputWrapper adds: the progress line rewrites itself."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> int:
        self.wrapper.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    help = "导入历史投诉（CSV 或 JSON Lines）；重复导入不会重复添加"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV（第一行是列名）或 JSONL（每行一个 JSON 对象）")
        parser.add_argument(
            "--source", default="", help="来源名（文件里没有 source 列时必填），如 heimao-2025"
        )
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--errors", metavar="FILE", help="把全部错误行写进这个文件（行号<TAB>原因）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="解析和脱敏用的进程数（默认：大文件 1 个，小文件 0 个即不另开进程）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("文件不存在：%(path)s") % {"path": path})
        shown = 0

        def on_bad(line: int, reason: str) -> None:
            nonlocal shown
            if shown < SHOW_BAD:
                self.stderr.write("\n" + _("第 %(line)s 行：%(reason)s") % {"line": line, "reason": reason})
            shown += 1

        report = import_file(
            path,
            source=options["source"].strip(),
            batch_size=max(options["batch_size"], 1),
            progress=not options["no_progress"],
            progress_stream=_Raw(self.stderr),
            on_bad=on_bad,
            workers=options["workers"],
        )
        if len(report.bad) > SHOW_BAD:
            more = {"n": len(report.bad) - SHOW_BAD}
            if options["errors"]:
                self.stderr.write(_("……另有 %(n)s 行错误，见 --errors 文件") % more)
            else:
                self.stderr.write(_("……另有 %(n)s 行错误；用 --errors FILE 查看全部") % more)
        if options["errors"]:
            Path(options["errors"]).write_text(
                "".join(f"{line}\t{reason}\n" for line, reason in report.bad), encoding="utf-8"
            )
        self.stdout.write(report.summary())
