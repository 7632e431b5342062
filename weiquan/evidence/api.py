"""The evidence-intelligence API: read a screenshot, import a chat, confirm readings into a case, compare the
evidence, queue web captures. Mounted on the site's NinjaAPI with full paths (``api.add_router("", router)``).

Uploads here are read and answered, not stored (``POST /api/read``, ``POST /api/chat``), except where a case is
named: then ``case_for_owner`` / ``evidence_for_owner`` come first and another user's case or evidence is 404.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from weiquan.apicore.auth import AuthedRequest
from weiquan.apicore.errors import ApiError
from weiquan.apicore.schemas import ERRORS
from weiquan.cases.models import case_for_owner
from weiquan.domain.chatlog import ChatLogError
from weiquan.domain.facts import CaseFileError
from weiquan.evidence.intel import (
    IntelError,
    case_agreement,
    confirm_reading,
    import_chat,
    queue_capture,
    read_evidence,
    stamp_evidence,
)
from weiquan.evidence.intel_models import CaptureJob, EvidenceReading
from weiquan.evidence.services import evidence_for_owner

router = Router(tags=["证据识别"])

MAX_UPLOAD = 20 * 1024 * 1024
FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "platform": {"type": "string", "description": "平台客服在聊天记录中的名字（可不填）"},
                    },
                }
            }
        },
    }
}


def _upload(request: AuthedRequest) -> bytes:
    f = request.FILES.get("file")
    if f is None:
        raise ApiError(422, _("没有收到文件：请用 multipart 字段 file 上传"))
    if f.size is not None and f.size > MAX_UPLOAD:
        raise ApiError(422, _("文件太大：最多 20 MB"))
    return b"".join(f.chunks())


def _reading_out(row: EvidenceReading) -> dict[str, Any]:
    return {
        "evidence": str(row.evidence.public_id),
        "kind": row.kind,
        "layout": row.layout,
        "text": row.text,
        "fields": row.fields,
        "width": row.width,
        "height": row.height,
        "confirmed": row.confirmed,
    }


def _job_out(job: CaptureJob) -> dict[str, Any]:
    return {
        "id": str(job.public_id),
        "url": job.url,
        "kind": job.kind,
        "status": job.status,
        "error": job.error or None,
        "evidence": str(job.evidence.public_id) if job.evidence_id and job.evidence else None,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


@router.post(
    "/read",
    response={200: dict[str, Any], **ERRORS},
    openapi_extra=FILE_BODY,
    summary="识别一张截图或照片（不保存）：kind、text、fields{value, confidence, box}",
)
def read_upload(request: AuthedRequest) -> dict[str, Any]:
    from weiquan.evidence.reader import ReadError, read_bytes

    try:
        return read_bytes(_upload(request)).to_dict()
    except ReadError as exc:
        raise ApiError(422, str(exc)) from None


@router.post(
    "/chat",
    response={200: dict[str, Any], **ERRORS},
    openapi_extra=FILE_BODY,
    summary="导入聊天记录（不保存）：消息、承诺、拒绝和推诿，与 weiquan chat --json 相同",
)
def read_chat_upload(request: AuthedRequest) -> dict[str, Any]:
    from weiquan.domain.chatlog import read_chat

    try:
        return read_chat(_upload(request), platform=request.POST.get("platform") or None).to_dict()
    except ChatLogError as exc:
        raise ApiError(422, str(exc)) from None


@router.post(
    "/cases/{case_id}/chat",
    response={200: dict[str, Any], **ERRORS},
    openapi_extra=FILE_BODY,
    summary="把聊天记录中的承诺、拒绝和推诿作为客服联系记录加入案件",
)
def case_chat(request: AuthedRequest, case_id: str) -> dict[str, Any]:
    case = case_for_owner(request.auth, case_id)
    before = case.contacts.count()
    try:
        log = import_chat(
            case,
            _upload(request),
            request.auth,
            platform=request.POST.get("platform") or None,
            keep_as=request.FILES.get("file"),
        )
    except ChatLogError as exc:
        raise ApiError(422, str(exc)) from None
    return {**log.to_dict(), "contacts_added": case.contacts.count() - before}


@router.get(
    "/evidence/{evidence_id}/reading",
    response={200: dict[str, Any], **ERRORS},
    summary="识别一份图片证据（第一次调用时识别，之后返回保存的结果）",
)
def evidence_reading(request: AuthedRequest, evidence_id: str) -> dict[str, Any]:
    evidence = evidence_for_owner(request.auth, evidence_id)
    try:
        return _reading_out(read_evidence(evidence))
    except IntelError as exc:
        raise ApiError(422, exc.message) from None


class ConfirmIn(Schema):
    fields: dict[str, str]
    correct_kind: bool = False


@router.post(
    "/evidence/{evidence_id}/reading/confirm",
    response={200: dict[str, Any], **ERRORS},
    summary="确认（或更正）识别出的字段：只有确认的值才写入案件",
)
def confirm(request: AuthedRequest, evidence_id: str, body: ConfirmIn) -> dict[str, Any]:
    evidence = evidence_for_owner(request.auth, evidence_id)
    reading = EvidenceReading.objects.filter(evidence=evidence).first()
    if reading is None:
        raise ApiError(409, _("这份证据还没有识别：先调用 GET /api/evidence/{id}/reading"))
    try:
        case = confirm_reading(reading, body.fields, request.auth, correct_kind=body.correct_kind)
    except IntelError as exc:
        raise ApiError(422, exc.message) from None
    except CaseFileError as exc:
        raise ApiError(422, str(exc)) from None
    reading.refresh_from_db()
    return {
        "confirmed": reading.confirmed,
        "case": case.to_case_file(),
        "agreement": [g.to_dict() for g in case_agreement(case)],
    }


@router.get(
    "/cases/{case_id}/agreement",
    response={200: list[dict[str, Any]], **ERRORS},
    summary="证据之间的金额、订单号、时间是否一致：每处不一致附补救办法",
)
def agreement(request: AuthedRequest, case_id: str) -> list[dict[str, Any]]:
    case = case_for_owner(request.auth, case_id)
    return [g.to_dict() for g in case_agreement(case)]


@router.post(
    "/evidence/{evidence_id}/stamp",
    response={200: dict[str, Any], **ERRORS},
    summary="为证据文件加盖可信时间戳（RFC 3161，WEIQUAN_TSA_URL）；时间戳随证据包导出",
)
def stamp(request: AuthedRequest, evidence_id: str) -> dict[str, Any]:
    evidence = evidence_for_owner(request.auth, evidence_id)
    try:
        row = stamp_evidence(evidence, request.auth)
    except IntelError as exc:
        raise ApiError(422, exc.message) from None
    return {"evidence": str(evidence.public_id), "gen_time": row.gen_time.isoformat(), "tsa": row.tsa}


class CaptureIn(Schema):
    url: str
    kind: str = "platform_terms"


@router.post(
    "/cases/{case_id}/captures",
    response={201: dict[str, Any], **ERRORS},
    summary="网页取证：排队，由取证进程在后台抓取（WARC、整页截图、文字、清单）",
)
def create_capture(request: AuthedRequest, case_id: str, body: CaptureIn) -> Status[Any]:
    case = case_for_owner(request.auth, case_id)
    try:
        job = queue_capture(case, body.url, body.kind, request.auth)
    except IntelError as exc:
        raise ApiError(422, exc.message) from None
    return Status(201, _job_out(job))


@router.get(
    "/cases/{case_id}/captures",
    response={200: list[dict[str, Any]], **ERRORS},
    summary="案件的网页取证任务及状态",
)
def list_captures(request: AuthedRequest, case_id: str) -> list[dict[str, Any]]:
    case = case_for_owner(request.auth, case_id)
    return [_job_out(j) for j in case.capture_jobs.select_related("evidence")]
