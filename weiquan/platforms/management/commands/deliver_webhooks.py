"""``deliver_webhooks [--loop]``: send due webhook notifications to platforms (the ``remind`` command's shape)."""

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

from weiquan.platforms.webhooks import process_one

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "向平台发送到期的 webhook 通知（签名、失败重试）；--loop 持续运行，每隔 --interval 秒检查一次。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", default=False, help="持续运行，直到收到 SIGTERM 或 Ctrl-C"
        )
        parser.add_argument("--interval", type=int, default=10, help="两次检查之间等待的秒数（默认 10）")

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stdout.write(f"{signal.strsignal(signum)}，发完当前这条后退出…")
        self.shutdown = True

    def run_pass(self) -> Counter[str]:
        """Claim and send due deliveries one at a time until none is left (or we are told to stop)."""
        stats: Counter[str] = Counter()
        while not self.shutdown:
            outcome = process_one()
            if outcome is None:
                break
            stats[outcome.kind] += 1
        return stats

    def pause(self, seconds: int) -> None:
        for _ in range(max(1, seconds)):  # one-second steps, so SIGTERM ends the wait promptly
            if self.shutdown:
                return
            sleep(1)

    def handle(self, *args: Any, loop: bool = False, interval: int = 10, **options: Any) -> None:
        self.shutdown = False
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():  # signal.signal only works there
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, self.on_signal)
        total: Counter[str] = Counter()
        try:
            while not self.shutdown:
                try:
                    total += self.run_pass()
                except Exception:
                    # The database itself failed (a delivery's own errors never get here): retry next pass.
                    if not loop:
                        raise
                    logger.exception("webhook pass failed")
                    close_old_connections()
                if not loop:
                    break
                self.pause(interval)
        except KeyboardInterrupt:
            self.stdout.write("已中断。")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(
            f"webhook：已送达 {total['sent']} 条，稍后重试 {total['retry']} 条，放弃 {total['gave_up']} 条，"
            f"被其他进程处理 {total['lost_race']} 条。"
        )
