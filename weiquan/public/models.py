"""Published complaints: a masked copy of the story taken at publication time, never the private case.

Public views read only these rows (through ``PublicComplaint.objects.visible()``), so no template can reach the
private case, its evidence or the consumer's personal data.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from weiquan.cases.models import PROBLEM_TYPES, Case
from weiquan.platforms.models import Platform


class CollectiveComplaint(models.Model):
    """Several consumers hit by the same platform event (a 跑路) joining one complaint."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="collectives")
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True)  # masked
    event_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)


# What a public page, the public API and the open-data export may read of a complaint: never the private case, the
# moderator or the moderation note.
PUBLIC_FIELDS = (
    "public_id",
    "platform",
    "platform__public_id",
    "platform__name",
    "collective",
    "collective__public_id",
    "collective__title",
    "pseudonym",
    "title",
    "story",
    "problem_type",
    "amount",
    "payment_backed",
    "demands",
    "status",
    "published_at",
    "progress",
    "first_reply_at",
    "consumer_confirmed",
    "consumer_rating",
    "source",
)


class PublicComplaintQuerySet(models.QuerySet["PublicComplaint"]):
    def visible(self) -> PublicComplaintQuerySet:
        return self.filter(status="published")

    def public(self) -> PublicComplaintQuerySet:
        """Published complaints with only their public, masked columns loaded (and their platform's name)."""
        return self.visible().select_related("platform", "collective").only(*PUBLIC_FIELDS)

    def counted(self) -> PublicComplaintQuerySet:
        """What the statistics count: published complaints, and withdrawn ones (text erased, an anonymous count)."""
        return self.filter(status__in=("published", "withdrawn"), published_at__isnull=False)


class PublicComplaint(models.Model):
    STATUS = [
        ("pending", "待审核"),
        ("published", "已公开"),
        ("rejected", "未通过审核"),
        ("withdrawn", "已撤回"),
    ]
    PROGRESS = [
        ("", "未受理"),
        ("accepted", "已受理"),
        ("processing", "处理中"),
        ("resolved", "平台称已解决"),
    ]

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # SET_NULL: a consumer may delete their private case; the published, masked copy and its counts remain.
    case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="publication"
    )
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="complaints")
    collective = models.ForeignKey(
        CollectiveComplaint, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    pseudonym = models.CharField("化名", max_length=32)
    title = models.CharField("标题", max_length=60)
    story = models.TextField("经过（已脱敏）")
    problem_type = models.CharField(max_length=32, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    payment_backed = models.BooleanField(default=False)  # the case holds a payment record
    demands = models.CharField(max_length=200, blank=True)

    status = models.CharField(max_length=10, choices=STATUS, default="pending", db_index=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    moderation_note = models.CharField(max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    progress = models.CharField(max_length=12, choices=PROGRESS, blank=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    consumer_confirmed = models.BooleanField(null=True, blank=True)  # None: not asked / not answered
    consumer_rating = models.PositiveSmallIntegerField(null=True, blank=True)  # 1–5
    # Imported historical complaints carry their source id, so a re-import is idempotent.
    source = models.CharField(max_length=64, blank=True)
    source_id = models.CharField(max_length=128, blank=True)

    objects = PublicComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~models.Q(source=""),
                name="public_complaint_source_unique",
            )
        ]
        indexes = [models.Index(fields=["platform", "status", "published_at"])]

    def __str__(self) -> str:
        return self.title or str(self.public_id)

    @property
    def problem_label(self) -> str:
        return dict(PROBLEM_TYPES).get(self.problem_type, "")


class ComplaintReply(models.Model):
    STANDARD = [
        ("", "自由回复"),
        ("refunded", "已退款"),
        ("reissued", "已补发"),
        ("need_info", "需要更多信息"),
    ]
    AUTHORS = [("platform", "平台"), ("consumer", "消费者")]

    complaint = models.ForeignKey(PublicComplaint, on_delete=models.CASCADE, related_name="replies")
    author = models.CharField(max_length=8, choices=AUTHORS)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    standard = models.CharField(max_length=12, choices=STANDARD, blank=True)
    text = models.TextField(blank=True)  # masked like the story
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
