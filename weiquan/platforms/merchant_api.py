"""The merchant API: a verified representative lists its complaints, replies in public and updates progress.

Mounted on the site's NinjaAPI (``api.add_router("", router)``), so paths are full: /api/merchant/…. Every path
with a complaint id checks the representative in the authentication step — ninja validates the body before the
view's first line, and an unverified user must get 403 and an outsider 404, never a 422 about someone else's
complaint. The views still start with the loader.

``POST /api/merchant/platforms/{platform_id}/inbound`` is the one endpoint without a bearer token: a platform's
system pushes a reply or progress signed with its webhook secret, exactly as weiquan signs webhooks to it. A bad or
old signature is 401; a signature seen before (a replay inside the time window) is 409.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, Literal

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status

from weiquan.apicore.auth import AuthedRequest, BearerToken
from weiquan.apicore.errors import BAD_JSON, ApiError
from weiquan.apicore.schemas import ERRORS, ErrorOut
from weiquan.platforms import claims, replies, webhooks
from weiquan.platforms.models import Platform, Webhook
from weiquan.public.models import ComplaintReply, PublicComplaint

MERCHANT_ERRORS: dict[int, Any] = {**ERRORS, 403: ErrorOut}
NOT_VERIFIED = gettext_lazy(
    "你还不是任何平台的已验证代表：请先在网站的“平台入口”（/merchant/）认领平台并验证域名"
)


def representative_ids(user: Any) -> set[int]:
    ids = claims.represented_ids(user)
    if not ids:
        raise ApiError(403, NOT_VERIFIED)
    return ids


def complaint_for_api(user: Any, complaint_id: Any) -> PublicComplaint:
    """403 for a user who represents no platform, 404 for a complaint of a platform they do not represent."""
    return claims.complaint_for_representative(user, complaint_id, representative_ids(user))


class RepresentativeBearer(BearerToken):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = super().authenticate(request, token)
        match = getattr(request, "resolver_match", None)
        if match is not None and "complaint_id" in match.kwargs:
            complaint_for_api(user, match.kwargs["complaint_id"])
        return user


merchant_bearer = RepresentativeBearer()
router = Router(auth=merchant_bearer, tags=["平台"])


# --- shapes -------------------------------------------------------------------------------------------------------


class PlatformOut(Schema):
    id: uuid.UUID
    name: str


class ComplaintOut(Schema):
    id: uuid.UUID
    platform_id: uuid.UUID
    title: str
    story: str
    amount: str | None
    problem_type: str
    published_at: dt.datetime | None
    progress: str
    first_reply_at: dt.datetime | None
    consumer_confirmed: bool | None
    consumer_rating: int | None
    url: str


class ReplyIn(Schema):
    standard: Literal["", "refunded", "reissued", "need_info"] = Field(
        "", description="标准回复：refunded 已退款、reissued 已补发、need_info 需要更多信息；空为自由回复"
    )
    text: str = Field("", max_length=replies.MAX_TEXT, description="回复正文（公开显示，个人信息会被遮盖）")


class ReplyOut(Schema):
    complaint_id: uuid.UUID
    standard: str
    text: str
    created_at: dt.datetime


class ProgressIn(Schema):
    progress: Literal["accepted", "processing", "resolved"] = Field(
        ...,
        description="accepted 已受理、processing 处理中、resolved 已解决（只是平台的说法，消费者确认才算解决）",
    )


class ProgressOut(Schema):
    complaint_id: uuid.UUID
    progress: str


def complaint_out(c: PublicComplaint) -> dict[str, Any]:
    return {
        "id": c.public_id,
        "platform_id": c.platform.public_id,
        "title": c.title,
        "story": c.story,
        "amount": None if c.amount is None else f"{c.amount:.2f}",
        "problem_type": c.problem_type,
        "published_at": c.published_at,
        "progress": c.progress,
        "first_reply_at": c.first_reply_at,
        "consumer_confirmed": c.consumer_confirmed,
        "consumer_rating": c.consumer_rating,
        "url": webhooks.public_url(c),
    }


def reply_out(complaint: PublicComplaint, reply: ComplaintReply) -> dict[str, Any]:
    return {
        "complaint_id": complaint.public_id,
        "standard": reply.standard,
        "text": reply.text,
        "created_at": reply.created_at,
    }


# --- endpoints ----------------------------------------------------------------------------------------------------


@router.get(
    "/merchant/platforms",
    response={200: list[PlatformOut], **MERCHANT_ERRORS},
    summary="我代表的平台",
)
def my_platforms(request: AuthedRequest) -> Any:
    ids = representative_ids(request.auth)
    return [
        {"id": p.public_id, "name": p.name}
        for p in Platform.objects.filter(pk__in=ids, merged_into__isnull=True)
    ]


@router.get(
    "/merchant/complaints",
    response={200: list[ComplaintOut], **MERCHANT_ERRORS},
    summary="针对我代表的平台的公开投诉（最新的在前）",
)
def my_complaints(request: AuthedRequest, unanswered: bool = False, limit: int = 50, offset: int = 0) -> Any:
    ids = representative_ids(request.auth)
    # offsets past 2^63 overflow the database's integer: no list is that long anyway (issue 12)
    limit, offset = min(max(limit, 1), 200), min(max(offset, 0), 10**9)
    q = PublicComplaint.objects.visible().filter(platform_id__in=ids).select_related("platform")
    if unanswered:
        q = q.filter(first_reply_at__isnull=True)
    return [complaint_out(c) for c in q[offset : offset + limit]]


@router.post(
    "/merchant/complaints/{complaint_id}/replies",
    response={201: ReplyOut, **MERCHANT_ERRORS},
    url_name="merchant_api_reply",
    summary="公开回复一条投诉",
)
def post_reply(request: AuthedRequest, complaint_id: uuid.UUID, reply: ReplyIn) -> Status[Any]:
    complaint = complaint_for_api(request.auth, complaint_id)
    try:
        created = replies.add_reply(complaint, standard=reply.standard, text=reply.text, user=request.auth)
    except replies.ReplyError as exc:
        raise ApiError(422, exc.message) from None
    return Status(201, reply_out(complaint, created))


@router.post(
    "/merchant/complaints/{complaint_id}/progress",
    response={200: ProgressOut, **MERCHANT_ERRORS},
    url_name="merchant_api_progress",
    summary="更新处理进度",
)
def post_progress(request: AuthedRequest, complaint_id: uuid.UUID, body: ProgressIn) -> dict[str, Any]:
    complaint = complaint_for_api(request.auth, complaint_id)
    try:
        replies.set_progress(complaint, body.progress)
    except replies.ReplyError as exc:
        raise ApiError(422, exc.message) from None
    return {"complaint_id": complaint.public_id, "progress": complaint.progress}


# --- signed inbound pushes ------------------------------------------------------------------------------------------

INBOUND_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["complaint_id"],
                    "properties": {
                        "complaint_id": {"type": "string", "format": "uuid"},
                        "standard": {"type": "string", "enum": ["", "refunded", "reissued", "need_info"]},
                        "text": {"type": "string"},
                        "progress": {"type": "string", "enum": ["accepted", "processing", "resolved"]},
                    },
                },
                "example": {
                    "complaint_id": "…",
                    "standard": "refunded",
                    "text": "已原路退款",
                    "progress": "resolved",
                },
            }
        },
    }
}


def _signed_platform(request: HttpRequest, platform_id: uuid.UUID) -> Platform:
    """The platform whose active webhook secret signed this request; 401 otherwise (unknown platform included)."""
    refused = ApiError(
        401, _("签名无效或已过期（X-Weiquan-Timestamp 须在 5 分钟内，X-Weiquan-Signature 须匹配）")
    )
    timestamp = request.headers.get("X-Weiquan-Timestamp")
    signature = request.headers.get("X-Weiquan-Signature")
    hooks = Webhook.objects.select_related("platform").filter(platform__public_id=platform_id, active=True)
    for hook in hooks:
        if webhooks.verify_signature(hook.secret, timestamp, request.body, signature):
            # A valid signature may be captured and sent again within the window: each one is accepted once.
            if not webhooks.first_use(signature or ""):
                raise ApiError(409, _("这个请求已经处理过（签名重复）"))
            return hook.platform
    raise refused


@router.post(
    "/merchant/platforms/{platform_id}/inbound",
    auth=None,
    response={200: dict[str, Any], **MERCHANT_ERRORS},
    openapi_extra=INBOUND_BODY,
    url_name="merchant_api_inbound",
    summary="平台系统推送回复或进度（用 webhook 密钥签名，不用令牌）",
)
def inbound(request: HttpRequest, platform_id: uuid.UUID) -> dict[str, Any]:
    platform = _signed_platform(request, platform_id)
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, BAD_JSON) from None
    if not isinstance(data, dict) or not data.get("complaint_id"):
        raise ApiError(422, _("请求体须是 JSON 对象，并带有 complaint_id"))
    complaint = claims.complaint_for_representative(None, data["complaint_id"], claims.group_ids(platform))
    out: dict[str, Any] = {"complaint_id": str(complaint.public_id)}
    try:
        with transaction.atomic():  # a bad progress undoes the reply sent with it
            if data.get("standard") or data.get("text"):
                created = replies.add_reply(
                    complaint, standard=str(data.get("standard") or ""), text=str(data.get("text") or "")
                )
                out["reply"] = {"standard": created.standard, "text": created.text}
            if data.get("progress"):
                replies.set_progress(complaint, str(data["progress"]))
                out["progress"] = complaint.progress
    except replies.ReplyError as exc:
        raise ApiError(422, exc.message) from None
    if len(out) == 1:
        raise ApiError(422, _("请求里既没有回复（standard/text）也没有进度（progress）"))
    return out
