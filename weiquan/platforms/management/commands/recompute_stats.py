"""weiquan recompute_stats: rebuild every platform's statistics from its complaints and report what differed.

The incremental counters should never differ; a difference means an event handler was missed (or a bug), so the
command prints it before fixing it. It also refreshes the site-wide prior the ratings shrink towards.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from weiquan.platforms import rating, stats
from weiquan.platforms.models import Platform, PlatformStats


class Command(BaseCommand):
    help = "从投诉重新计算各平台的统计数据，报告与增量计数不一致之处，并更新评级所用的全站平均值。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("platforms", nargs="*", type=int, help="只算这些平台（ID）；默认全部")
        parser.add_argument("--check", action="store_true", help="只报告差异，不写入；有差异时退出码为 1")

    def handle(self, *args: Any, **options: Any) -> None:
        platforms = Platform.objects.order_by("pk")
        if options["platforms"]:
            platforms = platforms.filter(pk__in=options["platforms"])
        stored = {s.platform_id: s for s in PlatformStats.objects.filter(platform__in=platforms)}
        checked = differing = 0
        for platform in platforms.iterator():
            fresh = stats.compute(platform)
            diff = stats.differences(stored.get(platform.pk), fresh)
            checked += 1
            if diff:
                differing += 1
                shown = "；".join(f"{field} {old!r} → {new!r}" for field, (old, new) in diff.items())
                self.stdout.write(f"平台 {platform.pk}“{platform.name}”：{shown}")
            if not options["check"] and (diff or platform.pk not in stored):
                stats.recompute(platform, fresh)
        if options["check"]:
            self.stdout.write(f"检查了 {checked} 个平台，{differing} 个与重新计算的结果不一致。")
            if differing:
                raise SystemExit(1)
            return
        prior = rating.refresh_prior()
        # Ratings depend on the prior: store each platform's with the new one.
        for s in PlatformStats.objects.select_related(None).iterator():
            score = rating.rate_stats(s, prior).score
            if s.rating != score:
                PlatformStats.objects.filter(pk=s.pk).update(rating=score)
        self.stdout.write(
            f"重新计算了 {checked} 个平台，其中 {differing} 个有差异已修正。全站平均："
            f"回复率 {prior.reply:.1%}，确认解决率 {prior.resolved:.1%}，跑路/欺诈比例 {prior.runaway:.1%}"
            + ("" if prior.measured else "（尚无数据，使用初始假设）")
            + "。"
        )
