"""Public JSON endpoints of this app (mounted on the site's NinjaAPI in weiquan/api/api.py).

No log-in and no personal data: platform registration details are public business information, merchant names that
may be a natural person's are masked (PlatformAlias.public_label), and complaints appear only as counts.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from weiquan.apicore.errors import ApiError
from weiquan.apicore.schemas import ERRORS
from weiquan.platforms import checks, rating
from weiquan.platforms.linking import find_platforms
from weiquan.platforms.models import Platform

router = Router()

LIST_LIMIT = 50


class AliasOut(Schema):
    kind: str
    value: str


class PlatformListItem(Schema):
    id: uuid.UUID
    name: str
    aliases: list[AliasOut]
    complaints: int
    grade: str | None
    score: float
    ranked: bool


def _aliases(report: checks.Report) -> list[dict[str, str]]:
    return [{"kind": a["kind"], "value": a["value"]} for a in report.aliases]


@router.get(
    "/public/platforms",
    auth=None,
    response={200: list[PlatformListItem], **ERRORS},
    tags=["公开数据"],
    url_name="public_platforms",
    summary="按域名、名称或收款商户名查平台（最多 50 个）",
)
def list_platforms(request: HttpRequest, q: str = "") -> list[dict[str, Any]]:
    platforms = (
        find_platforms(q)
        if q.strip()
        else Platform.objects.filter(merged_into__isnull=True).order_by("-stats__complaints", "name", "pk")
    )
    prior = rating.current_prior()
    today = timezone.localdate()
    out = []
    for platform in checks.with_public_data(platforms)[:LIST_LIMIT]:
        report = checks.report(platform, today=today, prior=prior)
        rt = report.rating
        out.append(
            {
                "id": platform.public_id,
                "name": platform.name,
                "aliases": _aliases(report),
                "complaints": report.summary["complaints"],
                "grade": rt["grade"],
                "score": rt["score"],
                "ranked": rt["ranked"],
            }
        )
    return out


@router.get(
    "/public/platforms/{platform_id}",
    auth=None,
    response={200: dict[str, Any], **ERRORS},
    tags=["公开数据"],
    url_name="public_platform",
    summary="一个平台的登记信息、统计（含样本量和 95% Wilson 区间）、评级和警讯",
)
def get_platform(request: HttpRequest, platform_id: uuid.UUID) -> dict[str, Any]:
    platform = Platform.objects.filter(public_id=platform_id).first()
    if platform is None:
        raise ApiError(404, _("没有这个平台"))
    active = checks.public_platforms().get(pk=platform.active.pk)
    report = checks.report(active)
    return {
        "id": str(active.public_id),
        "requested_id": str(platform_id),
        "merged": active.pk != platform.pk,
        "name": active.name,
        "company": active.company,
        "credit_code": active.credit_code,
        "icp": active.icp,
        "address": active.address,
        "aliases": _aliases(report),
        "checks": [{"label": c.label, "value": c.value, "ok": c.ok, "note": c.note} for c in report.checks],
        "statistics": report.summary,
        "rating": report.rating,
        "red_flags": [
            {
                "id": f.id,
                "severity": f.severity,
                "title": f.title,
                "detail": f.detail,
                "basis": [b.short for b in f.basis],
            }
            for f in report.flags
        ],
    }
