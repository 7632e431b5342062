"""Rows for evidence intelligence: what OCR read from an evidence file (and what the consumer confirmed), and web
capture jobs run by the capture worker (``weiquan manage capture_worker``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from weiquan.cases.models import Case
from weiquan.evidence.models import EVIDENCE_KINDS, Evidence


class EvidenceReading(models.Model):
    """The OCR reading of one evidence image. ``fields`` is what was read; only ``confirmed`` enters the case."""

    evidence = models.OneToOneField(Evidence, on_delete=models.CASCADE, related_name="reading")
    kind = models.CharField(max_length=32)  # the evidence kind the image looks like, or "unknown"
    layout = models.CharField(max_length=32)
    text = models.TextField(blank=True)
    fields = models.JSONField(default=dict)  # {name: {"value", "confidence", "box", "text"}}
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField(default=timezone.now)
    confirmed = models.JSONField(
        null=True, blank=True
    )  # {name: value} as the consumer confirmed or corrected
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def values(self) -> dict[str, Any]:
        return {k: v.get("value") for k, v in (self.fields or {}).items()}


CAPTURE_STATUS = [("queued", "排队中"), ("running", "正在取证"), ("done", "已完成"), ("failed", "失败")]


class CaptureJob(models.Model):
    """A web page the consumer asked to capture; the worker claims queued jobs with a conditional UPDATE."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="capture_jobs")
    url = models.CharField("网址", max_length=2000)
    kind = models.CharField("证据种类", max_length=32, choices=EVIDENCE_KINDS, default="platform_terms")
    status = models.CharField(max_length=8, choices=CAPTURE_STATUS, default="queued", db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    evidence = models.ForeignKey(Evidence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]


class EvidenceStamp(models.Model):
    """An RFC 3161 token on an evidence file's SHA-256 (the TimeStampResp, DER); goes into the bundle as .tsr."""

    evidence = models.OneToOneField(Evidence, on_delete=models.CASCADE, related_name="stamp")
    token = models.BinaryField()
    gen_time = models.DateTimeField()
    tsa = models.CharField(max_length=300, blank=True)
    stamped_at = models.DateTimeField(default=timezone.now)
