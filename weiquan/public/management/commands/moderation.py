"""``weiquan moderation approve|reject ID [--note …]``: moderate a submitted public complaint from the shell.

ID is the complaint's public id or its case's public id. Approving publishes it (statistics, webhooks); rejecting a
pending complaint refuses it, rejecting a published one takes it down.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from weiquan.public import services


class Command(BaseCommand):
    help = "审核公开投诉：approve 通过 / reject 驳回"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["approve", "reject"])
        parser.add_argument("case_id", help="案件或公开投诉的编号（UUID）")
        parser.add_argument("--note", default="", help="审核说明（驳回时会显示给消费者）")

    def handle(self, *args: Any, **options: Any) -> None:
        approve = options["action"] == "approve"
        try:
            complaint = services.complaint_for_moderation(options["case_id"])
            complaint = services.moderate(complaint, approve, None, note=options["note"])
        except services.PublishError as exc:
            raise CommandError(exc.message) from None
        text = _("已通过并公开：%(title)s（%(id)s）") if approve else _("已驳回：%(title)s（%(id)s）")
        self.stdout.write(text % {"title": complaint.title, "id": complaint.public_id})
