"""The registry in the admin: edit registration details (checked), see aliases and statistics, merge duplicates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from weiquan.platforms import linking
from weiquan.platforms.models import Platform, PlatformAlias, PlatformMerge, PlatformStats, RatingPrior
from weiquan.platforms.validation import normalize_domain, validate_credit_code, validate_icp


class PlatformForm(forms.ModelForm):
    class Meta:
        model = Platform
        fields = ["name", "company", "credit_code", "icp", "address", "terms_text"]

    def clean_credit_code(self) -> str:
        value = self.cleaned_data["credit_code"]
        return validate_credit_code(value) if value else ""

    def clean_icp(self) -> str:
        value = self.cleaned_data["icp"]
        return validate_icp(value) if value else ""


class AliasForm(forms.ModelForm):
    class Meta:
        model = PlatformAlias
        fields = ["kind", "value", "label"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, value = data.get("kind"), data.get("value") or ""
        if kind == "domain" and value:
            data["value"] = normalize_domain(value)
        elif value:
            data["label"] = data.get("label") or value
            data["value"] = linking.name_key(value)
        return data


class AliasInline(admin.TabularInline):
    model = PlatformAlias
    form = AliasForm
    extra = 1
    fields = ["kind", "value", "label", "first_seen"]
    readonly_fields = ["first_seen"]


class StatsInline(admin.StackedInline):
    model = PlatformStats
    can_delete = False
    extra = 0
    readonly_fields = [f.name for f in PlatformStats._meta.fields if f.name != "platform"]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MergeActionForm(ActionForm):
    target = forms.IntegerField(required=False, label="合并到平台 ID")


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    form = PlatformForm
    list_display = ["name", "company", "icp", "complaints", "merged_into", "created_at"]
    list_select_related = ["stats", "merged_into"]
    search_fields = ["name", "company", "credit_code", "icp", "aliases__value", "aliases__label"]
    list_filter = [("merged_into", admin.EmptyFieldListFilter)]
    inlines = [AliasInline, StatsInline]
    action_form = MergeActionForm
    actions = ["merge_into_target"]

    @admin.display(description="公开投诉")
    def complaints(self, obj: Platform) -> int:
        stats = getattr(obj, "stats", None)
        return stats.complaints if stats else 0

    @admin.action(description="把所选平台合并到上面填写 ID 的平台（保留历史）")
    def merge_into_target(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        target = Platform.objects.filter(pk=request.POST.get("target") or 0).first()
        if target is None:
            self.message_user(request, "请先在“合并到平台 ID”里填写目标平台的 ID。", messages.ERROR)
            return
        merged = 0
        for source in queryset.exclude(pk=target.pk):
            try:
                linking.merge(source, target, actor=request.user, note="admin")
                merged += 1
            except linking.MergeError as exc:
                self.message_user(request, f"{source}：{exc}", messages.ERROR)
        if merged:
            self.message_user(request, f"已把 {merged} 个平台合并到“{target.active}”。", messages.SUCCESS)


@admin.register(PlatformMerge)
class PlatformMergeAdmin(admin.ModelAdmin):
    list_display = ["at", "source", "target", "actor", "note"]
    list_select_related = ["source", "target", "actor"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RatingPrior)
class RatingPriorAdmin(admin.ModelAdmin):
    list_display = ["reply", "resolved", "runaway", "weight", "platforms", "computed_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
