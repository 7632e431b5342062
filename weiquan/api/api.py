"""The JSON API (django-ninja), served under /api/ with its documentation at /api/docs.

Every case endpoint starts with ``owned_case`` (``case_for_owner``, loaded once per request), the one ownership
loader: another user's case is 404, whatever the method. The views only parse, call a model method or the domain, and shape the answer.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, get_args

from django.http import FileResponse, HttpRequest, UnreadablePostError
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Status
from ninja.renderers import JSONRenderer

from weiquan.api import errors
from weiquan.api.auth import AuthedRequest, bearer, create_account, issue_token, owned_case
from weiquan.api.errors import ApiError
from weiquan.api.schemas import (
    ERRORS,
    CaseCreated,
    CaseSummary,
    CloseIn,
    CloseOut,
    Credentials,
    ErrorOut,
    EventOut,
    EvidenceOut,
    SignupOut,
    TokenOut,
    case_detail,
)
from weiquan.cases.models import Case
from weiquan.domain.facts import CaseFileError, Contact, EvidenceKind
from weiquan.evidence.bundle import bundle_file, bundle_filename
from weiquan.evidence.services import EvidenceRejected, store_upload
from weiquan.evidence.upload import evidence_uploads


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="维权 API",
    version="1",
    description="卡盟等虚拟商品交易纠纷的投诉计划、联系记录与证据。除注册和登录外，请求都要带 "
    '`Authorization: Bearer <token>`；错误一律返回 `{"error": "…"}`。案件文件格式见 docs/case-file.md。',
    auth=bearer,
    urls_namespace="api",
    renderer=ChineseJSONRenderer(),
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
    "/auth/signup", auth=None, response={201: SignupOut, **ERRORS}, tags=["账户"], summary="注册并取得令牌"
)
def signup(request: HttpRequest, credentials: Credentials) -> Status[Any]:
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
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, errors.BAD_JSON) from None
    try:
        return Status(201, Case.create_from_case_file(request.auth, data))
    except CaseFileError as exc:
        raise errors.case_file_error(exc) from None


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
    return case.plan(today).to_dict()


@api.post(
    "/cases/{case_id}/events",
    response={201: EventOut, **ERRORS},
    tags=["案件"],
    url_name="case_events",
    summary="记录一次联系（提交投诉、对方答复……）",
)
def add_event(request: AuthedRequest, case_id: str, contact: Contact) -> Status[Any]:
    case = owned_case(request, case_id)
    event = case.add_contact(request.auth, **contact.model_dump())
    return Status(201, {"event": event, "next_action": case.plan().to_dict()["next_action"]})


@api.post(
    "/cases/{case_id}/close",
    response={200: CloseOut, **ERRORS},
    tags=["案件"],
    url_name="case_close",
    summary="结案",
)
def close_case(request: AuthedRequest, case_id: str, outcome: CloseIn) -> Case:
    case = owned_case(request, case_id)
    if case.status == "closed":
        raise ApiError(409, _("案件已经结案"))
    case.close(
        request.auth, outcome_channel=outcome.outcome_channel or "", recovered_amount=outcome.recovered_amount
    )
    return case


# --- evidence ----------------------------------------------------------------------------------------------------


@api.post(
    "/cases/{case_id}/evidence",
    response={201: EvidenceOut, **ERRORS},
    openapi_extra=UPLOAD_BODY,
    tags=["证据"],
    url_name="case_evidence",
    summary="上传一份证据文件（multipart：file、kind、description）",
)
def upload_evidence(request: AuthedRequest, case_id: str) -> Status[Any]:
    case = owned_case(request, case_id)
    # The form is read here, not by ninja: the locker's upload handler must be in place before the body is, so
    # the file is hashed while it streams to disk (and an outsider's upload is refused before it is read).
    try:
        with evidence_uploads(request):
            evidence = store_upload(
                case,
                request.FILES.get("file"),
                kind=request.POST.get("kind", ""),
                description=request.POST.get("description", ""),
                actor=request.auth,
            )
    except EvidenceRejected as exc:
        raise ApiError(422, exc.message) from None
    except UnreadablePostError:
        # The client went away mid-upload: nothing was stored (evidence_uploads removed the partial file).
        raise ApiError(400, _("上传中断，文件未保存，请重新上传")) from None
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
from weiquan.platforms.api import router as platforms_router  # noqa: E402
from weiquan.platforms.merchant_api import router as merchant_router  # noqa: E402
from weiquan.public.api import router as public_router  # noqa: E402

api.add_router("", platforms_router)
api.add_router("", public_router)
api.add_router("", merchant_router)
