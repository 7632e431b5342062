"""Public complaints in the JSON API (mounted on the site's NinjaAPI in weiquan/api/api.py; full paths here).

``POST /api/cases/{case_id}/publish`` is the consumer's (Bearer token; ``case_for_owner`` first, another user's case
is 404). The ``/api/public/…`` endpoints need no token and read only the public querysets: masked copies, never a
case. Records have the open-data shape (weiquan.public.opendata, docs/open-data.md).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import ValidationError as PydanticError

from weiquan.accounts import ratelimit
from weiquan.apicore import errors
from weiquan.apicore.auth import AuthedRequest
from weiquan.apicore.errors import ApiError
from weiquan.apicore.schemas import ERRORS, ErrorOut
from weiquan.cases.models import case_for_owner
from weiquan.domain.facts import NUL_MESSAGE, find_nul, loads_bounded
from weiquan.public import opendata, services
from weiquan.public.models import PublicComplaint

router = Router(tags=["公开投诉"])


class PublishIn(Schema):
    pseudonym: str | None = Field(
        None, max_length=services.PSEUDONYM_MAX, description="化名；不填用“消费者”加四位数字"
    )
    title: str | None = Field(None, max_length=services.TITLE_MAX, description="标题；不填自动生成")


class PublishedOut(Schema):
    id: UUID
    status: str
    status_label: str
    pseudonym: str
    title: str
    story: str
    url: str = Field(description="审核通过后的公开页面地址")


PUBLISH_BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": PublishIn.json_schema(),
                "example": {"pseudonym": "小李", "title": "某某卡盟卡密无效，客服拒绝退款"},
            }
        },
    }
}
CSV_RESPONSE = {
    "responses": {
        200: {
            "description": "UTF-8 CSV，第一行是列名（列的含义见 docs/open-data.md）",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


def _public_url(complaint: PublicComplaint) -> str:
    return reverse("public_complaint", args=[complaint.public_id])


@router.post(
    "/cases/{case_id}/publish",
    response={201: PublishedOut, 429: ErrorOut, **ERRORS},
    openapi_extra=PUBLISH_BODY,
    url_name="case_publish",
    summary="把案件提交为公开投诉（先审核后公开；个人信息自动隐藏，证据文件不公开）",
)
def publish_case(request: AuthedRequest, case_id: str) -> Status[Any]:
    case = case_for_owner(request.auth, case_id)
    try:
        data = loads_bounded(request.body or b"{}")
        if not isinstance(data, dict):  # a ninja Schema would read [null, null] as {} (issue 12)
            raise ApiError(400, _("请求体必须是一个 JSON 对象 {...}"))
        nul = find_nul(data)
        if nul:
            raise ApiError(422, f"{nul}：{NUL_MESSAGE}", [(nul, NUL_MESSAGE)])
        body = PublishIn.model_validate(data)
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, PydanticError):
            # Located as ninja locates body errors, so the field reads "title（…）" like elsewhere.
            located = [{**e, "loc": ("body", "body", *e["loc"])} for e in exc.errors()]
            raise errors.invalid(_("请求有误"), errors.problems_from(located)) from None
        raise ApiError(400, errors.BAD_JSON) from None
    if refused := ratelimit.allow_publish(request.auth):
        raise ApiError(429, refused)
    try:
        complaint = services.publish(case, request.auth, pseudonym=body.pseudonym, title=body.title)
    except services.PublishError as exc:
        raise ApiError(exc.status, exc.message) from None
    return Status(
        201,
        {
            "id": complaint.public_id,
            "status": complaint.status,
            "status_label": complaint.get_status_display(),
            "pseudonym": complaint.pseudonym,
            "title": complaint.title,
            "story": complaint.story,
            "url": request.build_absolute_uri(_public_url(complaint)),
        },
    )


def _platform_or_404(value: str | None) -> Any:
    platform = services.resolve_platform(value)
    if value and platform is None:
        raise ApiError(404, _("没有找到这个平台：%(q)s") % {"q": value[:100]})
    return platform


@router.get(
    "/public/complaints",
    auth=None,
    response={200: dict[str, Any], **ERRORS},
    url_name="public_complaints",
    summary="已公开的投诉（已脱敏），最新的在前，每页 20 条",
)
def list_complaints(request: HttpRequest, platform: str | None = None, page: int = 1) -> dict[str, Any]:
    found = _platform_or_404(platform)
    queryset = services.for_platform(PublicComplaint.objects.public(), found)
    result = services.page_of(queryset.values(*opendata.VALUES), page)
    items = [opendata.record(row) for row in result.items]
    for item in items:
        item["url"] = request.build_absolute_uri(reverse("public_complaint", args=[item["complaint_id"]]))
    return {
        "platform": {"id": str(found.public_id), "name": found.name} if found else None,
        "page": result.number,
        "per_page": services.PER_PAGE,
        "has_next": result.has_next,
        "results": items,
    }


@router.get(
    "/public/complaints.csv",
    auth=None,
    response={200: None, **ERRORS},
    openapi_extra=CSV_RESPONSE,
    url_name="public_complaints_csv",
    summary="全部公开投诉的 CSV（开放数据，已脱敏；撤回的只保留匿名计数行）",
)
def complaints_csv(request: HttpRequest, platform: str | None = None) -> StreamingHttpResponse:
    found = _platform_or_404(platform)
    queryset = opendata.exported()
    if found is not None:
        queryset = queryset.filter(platform_id__in=services.platform_family_ids(found))
    response = StreamingHttpResponse(
        opendata.csv_lines(opendata.records(queryset)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{opendata.default_export_name("csv")}"'
    return response


@router.get(
    "/public/complaints/{complaint_id}",
    auth=None,
    response={200: dict[str, Any], **ERRORS},
    url_name="public_complaint",
    summary="一条公开投诉（已脱敏）及平台回复",
)
def get_complaint(request: HttpRequest, complaint_id: UUID) -> dict[str, Any]:
    complaint = PublicComplaint.objects.public().filter(public_id=complaint_id).first()
    if complaint is None:
        raise ApiError(404, _("投诉不存在或未公开"))
    return {
        **opendata.record(opendata.values_of(complaint)),
        "url": request.build_absolute_uri(_public_url(complaint)),
        "replies": [
            {
                "author": r.author,
                "standard": r.standard or None,
                "standard_label": r.get_standard_display() if r.standard else None,
                "text": services.clean_reply_text(r.text),
                "created_at": r.created_at.isoformat(),
            }
            for r in complaint.replies.all()
        ],
    }
