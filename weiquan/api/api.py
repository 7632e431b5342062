"""The JSON API (django-ninja), served under /api/ with its documentation at /api/docs.

Every case endpoint starts with ``owned_case`` (``case_for_owner``, loaded once per request), the one ownership
loader: another user's case is 404, whatever the method. The views only parse, call a model method or the domain, and shape the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

from django.db import transaction
from django.http import FileResponse, HttpRequest, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema, Status
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from weiquan.api.schemas import (
    CaseCreated,
    CaseSummary,
    CloseIn,
    CloseOut,
    ContactCorrection,
    CorrectionOut,
    Credentials,
    EventOut,
    EvidenceOut,
    SignupOut,
    TokenOut,
    case_detail,
)
from weiquan.apicore import errors
from weiquan.apicore.auth import (
    AuthedRequest,
    bearer,
    check_signup_rate,
    create_account,
    issue_token,
    owned_case,
)
from weiquan.apicore.errors import ApiError
from weiquan.apicore.schemas import ERRORS, ErrorOut
from weiquan.cases.models import Case, StateConflict
from weiquan.domain.facts import (
    MAX_LENGTH,
    CaseFileError,
    Contact,
    EvidenceKind,
    JSONTooDeep,
    check_today,
    find_nul,
    loads_bounded,
)
from weiquan.evidence.api import router as evidence_intel_router
from weiquan.evidence.bundle import bundle_file, bundle_filename
from weiquan.evidence.services import EvidenceRejected, store_upload
from weiquan.evidence.upload import evidence_uploads
from weiquan.platforms.api import router as platforms_router
from weiquan.platforms.merchant_api import router as merchant_router
from weiquan.platforms.replies import answers_for_case
from weiquan.public.api import router as public_router


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class BoundedParser(Parser):
    """JSON bodies with a nesting limit: a 100,000-deep document is refused, not recursed into."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = loads_bounded(request.body)
        if not isinstance(data, dict):  # every JSON body of this API is an object; ninja would read [] as {}
            raise errors.NotAnObject(_("请求体必须是一个 JSON 对象 {...}"))
        nul = find_nul(data)
        if nul:  # PostgreSQL cannot store U+0000: refused for every endpoint, naming the field
            raise errors.NulInBody(nul)
        return data


api = NinjaAPI(
    title="维权 API",
    version="1",
    description="卡盟等虚拟商品交易纠纷的投诉计划、联系记录与证据。除注册和登录外，请求都要带 "
    '`Authorization: Bearer <token>`；错误一律返回 `{"error": "…"}`。案件文件格式见 docs/case-file.md。',
    auth=bearer,
    urls_namespace="api",
    renderer=ChineseJSONRenderer(),
    parser=BoundedParser(),
)
errors.install(api)

CASE_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "案件文件，与 `weiquan plan` 读取的 JSON 相同（docs/case-file.md）",
                },
                "example": {
                    "description": "买了100元游戏点卡，卡密显示已被使用，客服拒绝处理。",
                    "problem_type": "invalid_code",
                    "amount": 100,
                    "paid_at": "2026-11-20T10:00:00+08:00",
                    "payment_method": "alipay",
                    "platform": {"name": "某某卡盟", "domain": "example.com"},
                    "contacts": [
                        {"at": "2026-11-20T10:30:00+08:00", "channel": "platform_cs", "response": "refused"}
                    ],
                },
            }
        },
    }
}

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "kind"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "证据文件（原件，不要压缩或编辑）",
                        },
                        "kind": {
                            "type": "string",
                            "enum": list(get_args(EvidenceKind)),
                            "description": "证据种类",
                        },
                        "description": {"type": "string", "description": "说明，如“客服拒绝退款的聊天记录”"},
                    },
                }
            }
        },
    }
}


# --- accounts ----------------------------------------------------------------------------------------------------


@api.post(
    "/auth/signup",
    auth=None,
    response={201: SignupOut, 429: ErrorOut, **ERRORS},
    tags=["账户"],
    summary="注册并取得令牌",
)
def signup(request: HttpRequest, credentials: Credentials) -> Status[Any]:
    check_signup_rate(request)
    user, token = create_account(credentials.username, credentials.password)
    return Status(201, {"id": user.pk, "username": user.username, "token": token})


@api.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 429: ErrorOut, **ERRORS},
    tags=["账户"],
    summary="用用户名和密码换取令牌",
)
def token(request: HttpRequest, credentials: Credentials) -> dict[str, str]:
    return {"token": issue_token(request, credentials.username, credentials.password)}


# --- classification ----------------------------------------------------------------------------------------------


class ClassifyIn(Schema):
    text: str = Field(description="消费者讲的经过", min_length=1, max_length=20000)
    answers: dict[str, str] = Field(
        default_factory=dict, description='对已提问题的回答 {问题id: 回答id}，例如 {"received": "no"}'
    )
    today: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="解析“昨天”等相对日期所用的日期（YYYY-MM-DD）",
    )


@api.post(
    "/classify",
    auth=None,
    response={200: dict[str, Any], **ERRORS},
    tags=["分类"],
    summary="判断经过属于哪类问题；拿不准时给出下一个问题（回答后再提交）",
)
def classify_text(request: HttpRequest, body: ClassifyIn) -> dict[str, Any]:
    from weiquan.domain.classify import classify

    if not body.text.strip():
        raise ApiError(422, _("经过为空：请描述发生了什么"), [("text", _("请描述发生了什么"))])
    try:
        today = dt.date.fromisoformat(body.today) if body.today else None
    except ValueError:
        raise ApiError(
            422, _("today 不是有效的日期（YYYY-MM-DD）"), [("today", _("不是有效的日期"))]
        ) from None
    try:
        return classify(body.text, today=today, answers=body.answers).to_dict()
    except ValueError as exc:
        raise ApiError(422, str(exc), [("answers", str(exc))]) from None


# --- cases -------------------------------------------------------------------------------------------------------


@api.post(
    "/cases",
    response={201: CaseCreated, **ERRORS},
    openapi_extra=CASE_FILE_BODY,
    tags=["案件"],
    url_name="case_list",
    summary="用案件文件新建案件",
)
def create_case(request: AuthedRequest) -> Status[Any]:
    try:
        data = loads_bounded(request.body)
    except JSONTooDeep as exc:
        raise ApiError(400, str(exc)) from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, errors.BAD_JSON) from None
    try:
        with transaction.atomic():  # a case that cannot be answered is not stored either
            case = Case.create_from_case_file(request.auth, data)
            case.next_action = case.plan().to_dict()["next_action"]
    except CaseFileError as exc:
        raise errors.case_file_error(exc) from None
    return Status(201, case)


@api.get("/cases", response={200: list[CaseSummary], **ERRORS}, tags=["案件"], summary="我的案件")
def list_cases(request: AuthedRequest) -> Any:
    return Case.objects.owned_by(request.auth)


@api.get(
    "/cases/{case_id}",
    response={200: dict[str, Any], **ERRORS},
    tags=["案件"],
    url_name="case_detail",
    summary="案件文件 JSON 与状态",
)
def get_case(request: AuthedRequest, case_id: str) -> dict[str, Any]:
    case = owned_case(request, case_id)
    return case_detail(case)


@api.get(
    "/cases/{case_id}/plan",
    response={200: dict[str, Any], **ERRORS},
    tags=["案件"],
    url_name="case_plan",
    summary="维权计划（与 weiquan plan --json 相同）",
)
def get_plan(request: AuthedRequest, case_id: str, today: dt.date | None = None) -> dict[str, Any]:
    case = owned_case(request, case_id)
    problem = check_today(today) if today else None
    if problem:
        raise errors.invalid(_("请求有误"), [("today（日期）", problem)])
    # The platform's own words on the case (issue 13), beside the plan they moved.
    return {**case.plan(today).to_dict(), "platform_replies": answers_for_case(case)}


@api.post(
    "/cases/{case_id}/events",
    response={201: EventOut, **ERRORS},
    tags=["案件"],
    url_name="case_events",
    summary="记录一次联系（提交投诉、对方答复……）",
)
def add_event(request: AuthedRequest, case_id: str, contact: Contact) -> Status[Any]:
    case = owned_case(request, case_id)
    try:
        with transaction.atomic():  # the event and the answer about it, or neither
            event = case.add_contact(request.auth, **contact.model_dump())
            next_action = case.plan().to_dict()["next_action"]
    except StateConflict as exc:
        raise ApiError(409, str(exc)) from None
    except CaseFileError as exc:
        raise errors.invalid(_("联系记录有误"), exc.problems) from None
    return Status(201, {"event": event, "next_action": next_action})


@api.patch(
    "/cases/{case_id}/contacts/{contact_id}",
    response={200: CorrectionOut, **ERRORS},
    tags=["案件"],
    url_name="case_contact_correct",
    summary="更正一条联系记录（例如写错的日期或承诺）；日志中追加一条更正记录，原记录保留",
)
def correct_contact(
    request: AuthedRequest, case_id: str, contact_id: str, correction: ContactCorrection
) -> dict[str, Any]:
    case = owned_case(request, case_id)
    changes = correction.model_dump(exclude_unset=True)
    if not changes:
        raise errors.invalid(_("请求有误"), [("", _("请至少给出一个要更正的字段"))])
    try:
        with transaction.atomic():
            contact = case.correct_contact(request.auth, contact_id, **changes)
            next_action = case.plan().to_dict()["next_action"]
    except CaseFileError as exc:
        raise errors.invalid(_("联系记录有误"), exc.problems) from None
    return {"event": contact, "next_action": next_action}


@api.post(
    "/cases/{case_id}/close",
    response={200: CloseOut, **ERRORS},
    tags=["案件"],
    url_name="case_close",
    summary="结案",
)
def close_case(request: AuthedRequest, case_id: str, outcome: CloseIn) -> Case:
    case = owned_case(request, case_id)
    try:
        case.close(
            request.auth,
            outcome_channel=outcome.outcome_channel or "",
            recovered_amount=outcome.recovered_amount,
        )
    except StateConflict as exc:
        raise ApiError(409, str(exc)) from None
    return case


# --- evidence ----------------------------------------------------------------------------------------------------


@api.post(
    "/cases/{case_id}/evidence",
    response={201: EvidenceOut, 413: ErrorOut, **ERRORS},
    openapi_extra=UPLOAD_BODY,
    tags=["证据"],
    url_name="case_evidence",
    summary="上传一份证据文件（multipart：file、kind、description）",
)
def upload_evidence(request: AuthedRequest, case_id: str) -> Status[Any]:
    case = owned_case(request, case_id)
    # The form is read here, not by ninja: the locker's upload handler must be in place before the body is, so
    # the file is hashed while it streams to disk (and an outsider's upload is refused before it is read).
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ApiError(400, _("请用 multipart/form-data 上传（字段：file、kind、description）"))
    try:
        with evidence_uploads(request):
            if (
                any(len(request.POST.getlist(f)) > 1 for f in ("kind", "description"))
                or len(request.FILES.getlist("file")) > 1
            ):
                raise EvidenceRejected(_("每次上传一个文件，file、kind、description 各一项。"))
            description = request.POST.get("description", "")
            if "\x00" in description or "\x00" in request.POST.get("kind", ""):
                raise EvidenceRejected(_("说明含有空字符（\\0），请删除后重试。"))
            if len(description) > MAX_LENGTH["evidence.description"]:
                raise EvidenceRejected(_("说明太长：最多 %d 个字。") % MAX_LENGTH["evidence.description"])
            with transaction.atomic():
                evidence = store_upload(
                    case,
                    request.FILES.get("file"),
                    kind=request.POST.get("kind", ""),
                    description=description,
                    actor=request.auth,
                )
    except EvidenceRejected as exc:
        raise ApiError(exc.status, exc.message) from None
    except UnreadablePostError:
        # The client went away mid-upload: nothing was stored (evidence_uploads removed the partial file).
        raise ApiError(400, _("上传中断，文件未保存，请重新上传")) from None
    except MultiPartParserError:
        # no boundary, a part header over Django's limit, a cut-off part: the body is not a form we can read
        raise ApiError(
            400, _("上传的表单格式不正确（multipart 边界或分段头有误），文件未保存，请重新上传")
        ) from None
    return Status(201, evidence)


@api.get(
    "/cases/{case_id}/bundle",
    response={200: None, **ERRORS},
    tags=["证据"],
    url_name="case_bundle",
    summary="下载证据包（ZIP：证据文件、证据清单、案件日志）",
)
def download_bundle(request: AuthedRequest, case_id: str) -> FileResponse:
    case = owned_case(request, case_id)
    out = bundle_file(case)  # a temporary file on the evidence disk: bundles can hold gigabytes
    return FileResponse(
        out, as_attachment=True, filename=bundle_filename(case), content_type="application/zip"
    )


# Issue 4's public and merchant endpoints live with their apps; their routers use full paths under /api/.
api.add_router("", platforms_router)
api.add_router("", public_router)
api.add_router("", merchant_router)
api.add_router("", evidence_intel_router)
