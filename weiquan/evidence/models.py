"""Evidence rows. Files are content-addressed (stored once under their SHA-256) and never overwritten or edited."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from weiquan.cases.models import EVIDENCE_KINDS, Case


class Evidence(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField("证据种类", max_length=32, choices=EVIDENCE_KINDS)
    description = models.CharField("说明", max_length=300, blank=True)
    # declared: the consumer says they hold it but uploaded no file (yet); it still counts for the checklist.
    declared = models.BooleanField(default=False)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.BigIntegerField(null=True, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    exif_taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def has_file(self) -> bool:
        return bool(self.sha256) and not self.declared

    def to_case_file(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "sha256": self.sha256 or None,
            "description": self.description or self.original_name or None,
            "captured_at": self.exif_taken_at.isoformat() if self.exif_taken_at else None,
        }


# Evidence intelligence (OCR readings, web capture jobs) keeps its rows in its own module.
from weiquan.evidence.intel_models import CaptureJob, EvidenceReading, EvidenceStamp  # noqa: E402, F401
