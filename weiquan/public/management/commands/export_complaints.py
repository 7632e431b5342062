"""``export_complaints --format csv|json OUT``: the public, masked complaints as open data (docs/open-data.md).

The same records as ``GET /api/public/complaints.csv``; OUT ``-`` writes to stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from weiquan.public import opendata


class Command(BaseCommand):
    help = "导出公开投诉（已脱敏）为 CSV 或 JSON"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="输出文件；- 表示标准输出")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        recs = opendata.records(opendata.exported())
        chunks = opendata.csv_lines(recs) if options["format"] == "csv" else opendata.json_lines(recs)
        if options["out"] == "-":
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        with Path(options["out"]).open("w", encoding="utf-8", newline="") as f:
            for chunk in chunks:
                f.write(chunk)
        self.stderr.write(_("已导出到 %(out)s") % {"out": options["out"]})
