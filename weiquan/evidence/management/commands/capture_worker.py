"""``weiquan manage capture_worker [--loop]``: run queued web captures outside the web request (like ``remind``)."""

from __future__ import annotations

import logging
import signal
import threading
from argparse import ArgumentParser
from collections import Counter
from time import sleep
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from weiquan.evidence.capture import browser_available, unavailable_message
from weiquan.evidence.intel import process_one_capture

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "执行排队中的网页取证任务；--loop 持续运行，每隔 --interval 秒检查一次。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", default=False, help="持续运行，直到收到 SIGTERM 或 Ctrl-C"
        )
        parser.add_argument("--interval", type=int, default=5, help="两次检查之间等待的秒数（默认 5）")

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stdout.write(f"{signal.strsignal(signum)}，完成当前取证后退出…")
        self.shutdown = True

    def run_pass(self) -> Counter[str]:
        stats: Counter[str] = Counter()
        while not self.shutdown:
            outcome = process_one_capture()
            if outcome is None:
                break
            stats[outcome] += 1
        return stats

    def handle(self, *args: Any, loop: bool = False, interval: int = 5, **options: Any) -> None:
        self.shutdown = False
        if not browser_available():
            self.stdout.write(unavailable_message() + "排队中的任务会在浏览器可用后执行。")
            if not loop:
                return
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, self.on_signal)
        total: Counter[str] = Counter()
        try:
            while not self.shutdown:
                try:
                    if browser_available():
                        total += self.run_pass()
                except Exception:
                    if not loop:
                        raise
                    logger.exception("capture pass failed")
                    close_old_connections()
                if not loop:
                    break
                for _ in range(max(1, interval)):
                    if self.shutdown:
                        break
                    sleep(1)
        except KeyboardInterrupt:
            self.stdout.write("已中断。")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"网页取证：完成 {total['done']} 个，失败 {total['failed']} 个。")
