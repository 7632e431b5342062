"""Moderation in the admin: the queue by status, approve/reject actions, the masked text read-only, no deletion.

A complaint is never deleted — not by a platform, not by staff. A consumer withdraws their own; a moderator rejects
(which also takes a published complaint down, statistics adjusted). The private case is not shown: moderators judge
the masked copy, which is exactly what the public would see.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weiquan.public import services
from weiquan.public.models import CollectiveComplaint, ComplaintReply, PublicComplaint


class ReplyInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ComplaintReply
    fields = ("created_at", "author", "standard", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PublicComplaint)
class PublicComplaintAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "platform", "status", "submitted_at", "published_at", "payment_backed", "source")
    list_filter = ("status", "payment_backed", "problem_type", "source")
    search_fields = ("title", "public_id", "platform__name")
    list_select_related = ("platform",)
    ordering = ("-submitted_at",)
    fields = (
        "public_id",
        "status",
        "platform",
        "pseudonym",
        "title",
        "story",
        "demands",
        "problem_type",
        "amount",
        "payment_backed",
        "submitted_at",
        "published_at",
        "moderated_at",
        "moderated_by",
        "moderation_note",
        "withdrawn_at",
        "progress",
        "first_reply_at",
        "consumer_confirmed",
        "consumer_rating",
        "collective",
        "source",
        "source_id",
    )
    readonly_fields = fields
    inlines = [ReplyInline]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the masked text is read-only; moderation goes through the actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # nobody deletes a complaint (the consumer may withdraw theirs)

    def _moderate(self, request: HttpRequest, queryset: QuerySet[PublicComplaint], approve: bool) -> None:
        done, refused = 0, []
        for complaint in queryset:
            try:
                services.moderate(complaint, approve, request.user, note="")
                done += 1
            except services.PublishError as exc:
                refused.append(f"{complaint}：{exc.message}")
        if done:
            text = _("已通过 %(n)s 条投诉。") if approve else _("已驳回 %(n)s 条投诉。")
            self.message_user(request, text % {"n": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=gettext_lazy("审核通过（公开）"))
    def approve(self, request: HttpRequest, queryset: QuerySet[PublicComplaint]) -> None:
        self._moderate(request, queryset, True)

    @admin.action(description=gettext_lazy("驳回（已公开的会下线）"))
    def reject(self, request: HttpRequest, queryset: QuerySet[PublicComplaint]) -> None:
        self._moderate(request, queryset, False)


@admin.register(CollectiveComplaint)
class CollectiveComplaintAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "platform", "event_date", "created_at")
    search_fields = ("title", "public_id", "platform__name")
    list_select_related = ("platform",)
    readonly_fields = ("public_id", "platform", "created_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
