from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from weiquan.evidence.models import Evidence


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: evidence is never edited (a change would break the hash the case log recorded)."""

    list_display = ("original_name", "kind", "case", "size", "short_sha", "received_at", "declared")
    list_filter = ("kind", "declared")
    search_fields = ("sha256", "original_name", "case__public_id")
    list_select_related = ("case",)

    @admin.display(description="SHA-256")
    def short_sha(self, obj: Evidence) -> str:
        return obj.sha256[:12]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
