"""``weiquan remind [--loop]``: e-mail deadline reminders that are due (healthchecks' sendalerts/sendreports shape)."""

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

from weiquan.cases.reminders import process_one

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "发送到期的维权期限提醒邮件；--loop 持续运行，每隔 --interval 秒检查一次。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", default=False, help="持续运行，直到收到 SIGTERM 或 Ctrl-C"
        )
        parser.add_argument("--interval", type=int, default=60, help="两次检查之间等待的秒数（默认 60）")

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stdout.write(f"{signal.strsignal(signum)}，处理完当前案件后退出…")
        self.shutdown = True

    def run_pass(self) -> Counter[str]:
        """Claim and handle due cases one at a time until none is left (or we are told to stop)."""
        stats: Counter[str] = Counter()
        while not self.shutdown:
            outcome = process_one()
            if outcome is None:
                break
            stats[outcome.kind] += 1
        return stats

    def pause(self, seconds: int) -> None:
        # Sleep in one-second steps so SIGTERM ends the wait promptly.
        for _ in range(max(1, seconds)):
            if self.shutdown:
                return
            sleep(1)

    def handle(self, *args: Any, loop: bool = False, interval: int = 60, **options: Any) -> None:
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
                    # The database itself failed (a case's own errors never get here): retry next pass.
                    if not loop:
                        raise
                    logger.exception("reminder pass failed")
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
            f"提醒：已发送 {total['sent']} 封，无邮箱 {total['undeliverable']} 个，发送失败 {total['failed']} 个，"
            f"出错 {total['error']} 个，仅记录 {total['settled']} 个，被其他进程处理 {total['lost_race']} 个。"
        )
