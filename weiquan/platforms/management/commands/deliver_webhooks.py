"""``deliver_webhooks [--loop]``: send due webhook notifications to platforms (the ``remind`` command's shape)."""

from __future__ import annotations

from collections import Counter

from weiquan.platforms.webhooks import Outcome, process_one
from weiquan.worker import PollingCommand


class Command(PollingCommand):
    help = "向平台发送到期的 webhook 通知（签名、失败重试）；--loop 持续运行，每隔 --interval 秒检查一次。"
    default_interval = 10
    stopping = "发完当前这条后退出…"

    def process_one(self) -> Outcome | None:
        return process_one()

    def summary(self, total: Counter[str]) -> str:
        return (
            f"webhook：已送达 {total['sent']} 条，稍后重试 {total['retry']} 条，放弃 {total['gave_up']} 条，"
            f"被其他进程处理 {total['lost_race']} 条。"
        )
