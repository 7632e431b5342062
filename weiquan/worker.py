"""The polling loop shared by the background workers (``remind``, ``deliver_webhooks`` and later ones).

healthchecks' ``sendalerts`` shape: a pass handles due rows one at a time until none is left; ``--loop`` repeats
passes every ``--interval`` seconds until SIGTERM or Ctrl-C. A subclass says how to handle one row
(``process_one``: an outcome, or None when nothing is due) and how to summarise a run. Claiming is the
subclass's business: each worker's ``process_one`` claims its row so that two workers never handle the same one.
"""

from __future__ import annotations

import logging
import signal
import threading
from argparse import ArgumentParser
from collections import Counter
from time import sleep
from types import FrameType
from typing import Any, Protocol

from django.core.management.base import BaseCommand
from django.db import close_old_connections

logger = logging.getLogger(__name__)


class HasKind(Protocol):
    kind: str


class PollingCommand(BaseCommand):
    default_interval = 60
    stopping = "处理完当前这条后退出…"  # what the command says when asked to stop

    def process_one(self) -> HasKind | None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def summary(self, total: Counter[str]) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", default=False, help="持续运行，直到收到 SIGTERM 或 Ctrl-C"
        )
        parser.add_argument(
            "--interval",
            type=int,
            default=self.default_interval,
            help=f"两次检查之间等待的秒数（默认 {self.default_interval}）",
        )

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stdout.write(f"{signal.strsignal(signum)}，{self.stopping}")
        self.shutdown = True

    def run_pass(self) -> Counter[str]:
        """Handle due rows one at a time until none is left (or we are told to stop)."""
        stats: Counter[str] = Counter()
        while not self.shutdown:
            outcome = self.process_one()
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

    def handle(self, *args: Any, loop: bool = False, interval: int | None = None, **options: Any) -> None:
        self.shutdown = False
        interval = self.default_interval if interval is None else interval
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
                    # The database itself failed (a row's own errors end as an outcome): retry next pass.
                    if not loop:
                        raise
                    logger.exception("%s pass failed", type(self).__module__)
                    close_old_connections()
                if not loop:
                    break
                self.pause(interval)
        except KeyboardInterrupt:
            self.stdout.write("已中断。")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(self.summary(total))
