"""``weiquan remind [--loop]``: e-mail deadline reminders that are due (healthchecks' sendalerts/sendreports shape)."""

from __future__ import annotations

from collections import Counter

from weiquan.cases.reminders import Outcome, process_one
from weiquan.worker import PollingCommand


class Command(PollingCommand):
    help = "发送到期的维权期限提醒邮件；--loop 持续运行，每隔 --interval 秒检查一次。"
    default_interval = 60
    stopping = "处理完当前案件后退出…"

    def process_one(self) -> Outcome | None:
        return process_one()

    def summary(self, total: Counter[str]) -> str:
        return (
            f"提醒：已发送 {total['sent']} 封，无邮箱 {total['undeliverable']} 个，发送失败 {total['failed']} 个，"
            f"出错 {total['error']} 个，仅记录 {total['settled']} 个，被其他进程处理 {total['lost_race']} 个。"
        )
