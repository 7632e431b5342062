"""The platform registry: one entity with many domains, names and payment merchant names; merges keep history.

Statistics per platform are a row updated in the same transaction as the event that changes them (a page view
never scans complaints); a command recomputes them from scratch to check the incremental numbers.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class Platform(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("平台名称", max_length=200)
    company = models.CharField("经营者全称", max_length=200, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    icp = models.CharField("ICP备案号", max_length=64, blank=True)
    address = models.CharField("经营者地址", max_length=300, blank=True)
    terms_text = models.TextField("交易规则/用户协议摘录", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # What a verified representative says about the operator (issue 13): shown as "平台自报" beside what the
    # registry knows, never copied into company/credit_code/icp above nor into any consumer's case.
    declared_company = models.CharField("平台自报：经营者全称", max_length=200, blank=True)
    declared_credit_code = models.CharField("平台自报：统一社会信用代码", max_length=18, blank=True)
    declared_icp = models.CharField("平台自报：ICP备案号", max_length=64, blank=True)
    declared_odr = models.BooleanField("平台自报：ODR企业", null=True, blank=True)
    declared_at = models.DateTimeField("平台自报时间", null=True, blank=True)
    # A merged-away platform keeps its row (history) and points at the one that absorbed it.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def self_declared(self) -> bool:
        return self.declared_at is not None

    @property
    def active(self) -> Platform:
        p = self
        while p.merged_into_id is not None:
            p = p.merged_into  # type: ignore[assignment]
        return p


class PlatformAlias(models.Model):
    """A way a consumer names the platform: a domain (normalised, no www.), a name, or a payment merchant name."""

    KINDS = [("domain", "域名"), ("name", "名称"), ("merchant", "收款商户名")]

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=8, choices=KINDS)
    # The matching key: a normalised domain (weiquan.platforms.validation), or a name with case, width, spaces and
    # punctuation folded away (weiquan.platforms.linking.name_key). ``label`` keeps the spelling first seen.
    value = models.CharField(max_length=253)
    label = models.CharField(max_length=253, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="platform_alias_unique")]
        indexes = [models.Index(fields=["value"])]

    def __str__(self) -> str:
        return self.label or self.value

    @property
    def public_label(self) -> str:
        """What public pages show: a merchant name that is not an organisation's may be a person's, so it is masked."""
        text = self.label or self.value
        if self.kind != "merchant" or any(word in text for word in ORGANISATION_WORDS):
            return text
        return text[:1] + "*" * min(max(len(text) - 1, 1), 3)


# A payment merchant name containing one of these is an organisation's (公司, 个体工商户的字号…), not a person's.
ORGANISATION_WORDS = (
    "公司",
    "企业",
    "集团",
    "商行",
    "商贸",
    "经营部",
    "工作室",
    "中心",
    "店",
    "厂",
    "科技",
    "网络",
    "信息",
    "贸易",
    "有限",
    "合伙",
    "事务所",
    "服务部",
    "Co",
    "Ltd",
    "LLC",
    "Inc",
)


class PlatformMerge(models.Model):
    """History of an operator merging duplicate platforms."""

    source = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="merges_out")
    target = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="merges_in")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.CharField(max_length=300, blank=True)


class PlatformStats(models.Model):
    """Per-platform counters, maintained incrementally (see weiquan.platforms.stats)."""

    platform = models.OneToOneField(
        Platform, on_delete=models.CASCADE, related_name="stats", primary_key=True
    )
    complaints = models.PositiveIntegerField(default=0)  # published complaints, withdrawn ones included
    withdrawn = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    resolved_confirmed = models.PositiveIntegerField(default=0)  # only the consumer's confirmation counts
    payment_backed = models.PositiveIntegerField(default=0)  # complaints with a payment record as evidence
    runaway = models.PositiveIntegerField(default=0)  # 跑路/欺诈 reports
    amount_total = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    # First-reply time in working hours, as a histogram {hours: count}, so the median needs no scan.
    reply_hours = models.JSONField(default=dict)
    by_month = models.JSONField(default=dict)  # {"2026-11": count}
    rating = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Added for the rating (payment-backed complaints weigh more), the consumer-confirmed rate and the 三查 flags.
    replied_backed = models.PositiveIntegerField(default=0)
    resolved_backed = models.PositiveIntegerField(default=0)
    runaway_backed = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)  # consumers who answered "resolved?" (yes or no)
    public_replies = models.PositiveIntegerField(
        default=0
    )  # every public reply by the platform, not only first
    amount_count = models.PositiveIntegerField(default=0)  # complaints that state an amount
    amount_hist = models.JSONField(
        default=dict
    )  # {"100": count}: amounts in 1-2-5 buckets, keyed by lower edge
    runaway_by_month = models.JSONField(default=dict)
    last_runaway_at = models.DateTimeField(null=True, blank=True)


class RatingPrior(models.Model):
    """The site-wide means every platform's rates are shrunk towards (weiquan.platforms.rating).

    One row (pk=1), rewritten by ``recompute_stats`` and after a merge, so a page view reads one row instead of
    aggregating every platform. Between refreshes it lags a little; a population mean moves slowly.
    """

    reply = models.FloatField()
    resolved = models.FloatField()
    runaway = models.FloatField()
    weight = models.FloatField(default=0)  # pooled payment-weighted complaints behind the means
    platforms = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)


def _token() -> str:
    return secrets.token_urlsafe(24)


class PlatformClaim(models.Model):
    """A representative's claim on a platform, proven by serving a token at a well-known URL on one of its domains."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="platform_claims"
    )
    domain = models.CharField(max_length=253)
    token = models.CharField(max_length=64, default=_token, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class Webhook(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField()
    secret = models.CharField(max_length=64, default=_token)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)


class WebhookDelivery(models.Model):
    """Outbox row: written in the transaction of the event, sent afterwards by a worker (retried on failure)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        # The worker's query (weiquan.platforms.webhooks.find_due): undelivered rows by due time. Delivered rows,
        # nearly all of them after a while, stay out of this index, so finding the next due row stays cheap.
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="webhook_delivery_due",
            )
        ]

    def describe(self) -> dict[str, Any]:
        return {"event": self.event, "attempts": self.attempts, "delivered": self.delivered_at is not None}
