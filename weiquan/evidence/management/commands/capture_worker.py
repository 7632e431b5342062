"""``weiquan manage capture_worker [--loop]``: run queued web captures outside the web request (like ``remind``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from weiquan.evidence.capture import browser_available, unavailable_message
from weiquan.evidence.intel import process_one_capture
from weiquan.worker import PollingCommand


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str  # done | failed


class Command(PollingCommand):
    help = "执行排队中的网页取证任务；--loop 持续运行，每隔 --interval 秒检查一次。"
    default_interval = 5
    stopping = "完成当前取证后退出…"

    def process_one(self) -> Outcome | None:
        if not browser_available():  # queued jobs wait until a browser is installed
            return None
        kind = process_one_capture()
        return None if kind is None else Outcome(kind)

    def handle(self, *args: Any, loop: bool = False, interval: int | None = None, **options: Any) -> None:
        if not browser_available():
            self.stdout.write(unavailable_message() + "排队中的任务会在浏览器可用后执行。")
            if not loop:
                return
        super().handle(*args, loop=loop, interval=interval, **options)

    def summary(self, total: Counter[str]) -> str:
        return f"网页取证：完成 {total['done']} 个，失败 {total['failed']} 个。"
