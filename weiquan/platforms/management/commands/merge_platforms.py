"""weiquan merge_platforms SRC DST: fold a duplicate platform into another (aliases, cases, complaints move)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from weiquan.platforms.linking import MergeError, merge
from weiquan.platforms.models import Platform


def platform_arg(value: str) -> Platform:
    """A platform by its number (the admin's ID) or its public UUID."""
    try:
        query = {"public_id": uuid.UUID(value)} if "-" in value else {"pk": int(value)}
    except ValueError:
        raise CommandError(f"“{value}”不是平台 ID（数字）或 UUID") from None
    platform = Platform.objects.filter(**query).first()
    if platform is None:
        raise CommandError(f"没有平台 {value}")
    return platform


class Command(BaseCommand):
    help = "把重复的平台 SRC 合并到 DST：别名、案件和投诉移到 DST，SRC 保留为历史记录，两边的统计重新计算。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="被合并的平台（ID 或 UUID）")
        parser.add_argument("target", help="保留的平台（ID 或 UUID）")
        parser.add_argument("--note", default="", help="合并原因，写入合并记录")
        parser.add_argument("--actor", default="", help="操作人的用户名")

    def handle(self, *args: Any, **options: Any) -> None:
        source, target = platform_arg(options["source"]), platform_arg(options["target"])
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"没有用户 {options['actor']}")
        aliases, cases = source.aliases.count(), source.cases.count()
        complaints = source.complaints.count()
        try:
            record = merge(source, target, actor=actor, note=options["note"])
        except MergeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"已把“{source.name}”（{source.pk}）合并到“{record.target.name}”（{record.target.pk}）："
            f"别名 {aliases} 个、案件 {cases} 件、公开投诉 {complaints} 起已移过去；合并记录 #{record.pk}。"
        )
