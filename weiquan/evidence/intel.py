"""Evidence intelligence for the web pages and the API (one code path with the CLI's domain functions):
read an evidence image, confirm what was read into the case, import a chat, compare the evidence, queue captures.

Nothing read by OCR or found in a chat changes the case until the consumer confirms it; every change is logged in
the case's hash-chained log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from weiquan.cases.models import Case
from weiquan.domain.agreement import AgreementGap, case_source, chat_source, check_agreement, reading_source
from weiquan.domain.chatlog import ChatLog, ChatLogError, findings_as_contacts, read_chat
from weiquan.domain.facts import parse_case
from weiquan.domain.ocr_fields import FIELD_LABELS, parse_amount, parse_time
from weiquan.evidence.intel_models import CaptureJob, EvidenceReading, EvidenceStamp
from weiquan.evidence.models import EVIDENCE_KINDS, Evidence
from weiquan.evidence.services import open_blob
from weiquan.platforms.outbound import OutboundError, resolve

KIND_LABELS = dict(EVIDENCE_KINDS)
# confirmed reading field → where it goes in the case file
CASE_FIELDS = {
    "amount": ("amount",),
    "paid_at": ("paid_at",),
    "order_no": ("order_no",),
    "merchant_order_no": ("order_no",),  # the bill's 商家订单号 is the platform's order number
    "item": ("item",),
    "payment_method": ("payment_method",),
    "merchant_name": ("platform", "merchant_name"),
}


def enters_case(reading: EvidenceReading, name: str) -> bool:
    """Whether a confirmed field goes into the case. A bill's own 订单号 (支付宝/微信支付's transaction number) does
    not: the case's order number is the platform's, which the bill shows as 商家订单号."""
    if name == "order_no" and reading.layout in ("alipay_bill", "wechat_pay_bill"):
        return False
    return name in CASE_FIELDS


READABLE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "image/tiff")
MAX_READ_BYTES = 20 * 1024 * 1024
MAX_CHAT_BYTES = 5 * 1024 * 1024


class IntelError(ValueError):
    """A request that cannot be done; ``message`` is Chinese and names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- OCR -----------------------------------------------------------------------------------------------------------


def read_evidence(evidence: Evidence) -> EvidenceReading:
    """OCR an evidence image once (later calls return the stored reading)."""
    existing = EvidenceReading.objects.filter(evidence=evidence).first()
    if existing is not None:
        return existing
    if not evidence.has_file or not evidence.content_type.startswith("image/"):
        raise IntelError(_("只能识别图片证据（截图或照片）"))
    if (evidence.size or 0) > MAX_READ_BYTES:
        raise IntelError(_("图片太大，无法识别"))
    from PIL import Image

    from weiquan.evidence.reader import ReadError, read_bytes

    with open_blob(evidence) as fh:
        data = fh.read()
    try:
        reading = read_bytes(data)
        import io

        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except ReadError as exc:
        raise IntelError(str(exc)) from None
    row, _created = EvidenceReading.objects.update_or_create(
        evidence=evidence,
        defaults={
            "kind": reading.kind,
            "layout": reading.layout,
            "text": reading.text,
            "fields": {k: v.to_dict() for k, v in reading.fields.items()},
            "width": width,
            "height": height,
            "read_at": timezone.now(),
        },
    )
    return row


def _clean_value(name: str, raw: Any) -> Any:
    text = str(raw).strip() if raw is not None else ""
    label = FIELD_LABELS.get(name, name)
    if not text:
        raise IntelError(_("%(label)s：不能为空；不想采用就取消勾选") % {"label": label})
    if name == "amount":
        value = parse_amount(text)
        if value is None:
            raise IntelError(_("%(label)s：请写成数字，例如 1299.00") % {"label": label})
        return f"{value:.2f}"
    if name == "paid_at":
        iso = parse_time(text)
        if iso is None:
            try:
                iso = dt.datetime.fromisoformat(text).isoformat()
            except ValueError:
                raise IntelError(_("%(label)s：请写成 2026-11-20 10:00:05") % {"label": label}) from None
        return iso
    if name == "payment_method":
        choices = {
            "alipay": "alipay",
            "支付宝": "alipay",
            "wechat_pay": "wechat_pay",
            "微信支付": "wechat_pay",
        }
        choices |= {"bank_card": "bank_card", "银行卡": "bank_card", "other": "other", "其他": "other"}
        if text not in choices:
            raise IntelError(_("%(label)s：可选 支付宝、微信支付、银行卡、其他") % {"label": label})
        return choices[text]
    limit = 128 if name.endswith("order_no") else 200
    if len(text) > limit:
        raise IntelError(_("%(label)s：太长，最多 %(n)d 个字") % {"label": label, "n": limit})
    return text


def confirm_reading(
    reading: EvidenceReading, confirmed: dict[str, Any], actor: Any = None, *, correct_kind: bool = False
) -> Case:
    """Puts the consumer's confirmed (possibly corrected) values into the case; nothing else enters it.

    ``correct_kind``: the consumer agrees the file is what the reading says (a bill uploaded as 卡密失效截图 then
    counts in the checklist only for what a bill proves). Raises IntelError / CaseFileError, changing nothing.
    """
    unknown = [k for k in confirmed if k not in CASE_FIELDS and k != "error_text"]
    if unknown:
        raise IntelError(_("未知的字段：%s") % "、".join(unknown))
    values = {k: _clean_value(k, v) for k, v in confirmed.items()}
    evidence = reading.evidence
    case = Case.objects.get(pk=evidence.case_id)
    data = case.to_case_file()
    for name, value in values.items():
        if not enters_case(reading, name):
            continue
        target: dict[str, Any] = data
        *parents, leaf = CASE_FIELDS[name]
        for p in parents:
            target = target[p]
        target[leaf] = value
        if name == "paid_at":
            data["paid_at_time_known"] = "T" in value
    facts = parse_case(data)  # CaseFileError (Chinese, naming the field) if a value does not fit the case
    with transaction.atomic():
        case.apply_facts(facts)
        case.save()
        reading.confirmed = values
        reading.confirmed_at = timezone.now()
        reading.save(update_fields=["confirmed", "confirmed_at"])
        payload: dict[str, Any] = {"evidence": str(evidence.public_id), "confirmed": values}
        if correct_kind and reading.kind in KIND_LABELS and reading.kind != evidence.kind:
            payload["kind_from"], payload["kind_to"] = evidence.kind, reading.kind
            Evidence.objects.filter(pk=evidence.pk).update(kind=reading.kind)
        case.log("reading_confirmed", payload, actor)
    case.refresh_reminder()
    return case


# --- chat ----------------------------------------------------------------------------------------------------------


def import_chat(
    case: Case, data: bytes, actor: Any = None, *, platform: str | None = None, keep_as: Any = None
) -> ChatLog:
    """Reads the chat and adds its findings as platform_cs contacts (one per moment, never twice).

    ``keep_as``: the uploaded file, stored as 客服聊天记录 evidence too (unless the same bytes are already kept).
    """
    log = read_chat(data, platform=platform)  # ChatLogError (Chinese) for unreadable input
    if keep_as is not None:
        import hashlib

        from weiquan.evidence.services import EvidenceRejected, store_upload

        if not case.evidence.filter(sha256=hashlib.sha256(data).hexdigest()).exists():
            # the findings count even when the file's format is one the locker does not keep
            with contextlib.suppress(EvidenceRejected):
                store_upload(case, keep_as, kind="cs_chat", description=_("导入的客服聊天记录"), actor=actor)
    existing = {(c.at, c.channel) for c in case.contacts.all()}
    for c in findings_as_contacts(log.findings):
        at = dt.datetime.fromisoformat(c["at"])
        if (at, c["channel"]) in existing:
            continue
        fields = {**c, "at": at}
        if "promise_by" in fields:
            fields["promise_by"] = dt.datetime.fromisoformat(fields["promise_by"])
        case.add_contact(actor, **fields)
    return log


# --- agreement -----------------------------------------------------------------------------------------------------


def case_agreement(case: Case) -> list[AgreementGap]:
    """Disagreements between the confirmed readings and the case's own facts (see domain/agreement.py)."""
    sources = [case_source(case.to_case_file())]
    readings = EvidenceReading.objects.filter(evidence__case=case, confirmed__isnull=False).select_related(
        "evidence"
    )
    for r in readings:
        values = {**r.values(), **(r.confirmed or {})}
        label = f"{KIND_LABELS.get(r.evidence.kind, r.evidence.kind)}「{r.evidence.original_name}」"
        sources.append(reading_source(label, r.evidence.kind, values))
    # chat logs kept as evidence: the order numbers (and the one amount) written in them
    chats = case.evidence.filter(kind="cs_chat", content_type__in=("text/plain", "text/html", "text/csv"))
    for e in chats:
        if not e.has_file or (e.size or 0) > MAX_CHAT_BYTES:
            continue
        with open_blob(e) as fh:
            data = fh.read()
        try:
            log = read_chat(data)
        except ChatLogError:
            continue
        source = chat_source([m.text for m in log.messages], f"聊天记录「{e.original_name}」")
        if source.order_numbers or source.amount is not None:
            sources.append(source)
    return check_agreement(sources)


# --- trusted time --------------------------------------------------------------------------------------------


def stamp_evidence(evidence: Evidence, actor: Any = None) -> EvidenceStamp:
    """Stamps the evidence file's SHA-256 at the configured TSA (WEIQUAN_TSA_URL); IntelError otherwise."""
    from weiquan.evidence.tsa import NO_TSA_NOTE, TsaError, request_token, tsa_url, verify_token_bytes

    existing = EvidenceStamp.objects.filter(evidence=evidence).first()
    if existing is not None:
        return existing
    if not evidence.has_file:
        raise IntelError(_("这项证据只有登记，没有上传文件，无法加盖时间戳"))
    url = tsa_url()
    if not url:
        raise IntelError(NO_TSA_NOTE)
    try:
        token = request_token(bytes.fromhex(evidence.sha256), url)
    except TsaError as exc:
        raise IntelError(str(exc)) from None
    with open_blob(evidence) as fh:
        check = verify_token_bytes(fh.read(), token, evidence.original_name, "token")
    if check.gen_time is None or not (check.ok or all("不在受信任" in p for p in check.problems)):
        raise IntelError(_("时间戳服务的答复无法核对：%s") % "；".join(check.problems))
    with transaction.atomic():
        stamp = EvidenceStamp.objects.create(
            evidence=evidence, token=token, gen_time=check.gen_time, tsa=check.tsa or ""
        )
        evidence.case.log(
            "evidence_stamped",
            {
                "evidence": str(evidence.public_id),
                "sha256": evidence.sha256,
                "gen_time": check.gen_time.isoformat(),
                "tsa": check.tsa,
            },
            actor,
        )
    return stamp


# --- captures ------------------------------------------------------------------------------------------------------


def check_capture_url(url: str) -> str:
    """The URL if it may be captured: http(s), a host name, and (in production) a public address."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IntelError(_("网址：请填写以 http:// 或 https:// 开头的完整网址"))
    if len(url) > 2000:
        raise IntelError(_("网址：太长"))

    try:
        resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except OutboundError as exc:
        raise IntelError(_("网址：%s") % exc.message) from None
    return url


def queue_capture(case: Case, url: str, kind: str = "platform_terms", actor: Any = None) -> CaptureJob:
    url = check_capture_url(url)
    if kind not in KIND_LABELS:
        raise IntelError(_("未知的证据种类：%s") % kind)
    pending = case.capture_jobs.filter(status__in=("queued", "running")).count()
    if pending >= getattr(settings, "WEIQUAN_CAPTURE_MAX_PENDING", 3):
        raise IntelError(_("已有取证任务在排队，请等它们完成后再提交"))
    with transaction.atomic():
        job = CaptureJob.objects.create(case=case, url=url, kind=kind)
        case.log("capture_requested", {"job": str(job.public_id), "url": url, "kind": kind}, actor)
    return job


STALE_AFTER = dt.timedelta(minutes=10)  # a worker that died mid-capture: its job is queued again
MAX_ATTEMPTS = 3


def claim_capture(now: dt.datetime | None = None) -> CaptureJob | None:
    """Claims the oldest queued job with a conditional UPDATE: of two workers, exactly one wins a job."""
    now = now or timezone.now()
    CaptureJob.objects.filter(
        status="running", claimed_at__lt=now - STALE_AFTER, attempts__lt=MAX_ATTEMPTS
    ).update(status="queued")
    CaptureJob.objects.filter(status="running", claimed_at__lt=now - STALE_AFTER).update(
        status="failed", error=_("多次取证都没有完成，请稍后重新提交"), finished_at=now
    )
    candidates = (
        CaptureJob.objects.filter(status="queued").order_by("created_at", "pk").values_list("pk", flat=True)
    )
    for pk in candidates[:10]:
        won = CaptureJob.objects.filter(pk=pk, status="queued").update(
            status="running", claimed_at=now, attempts=F("attempts") + 1
        )
        if won == 1:
            return CaptureJob.objects.select_related("case").get(pk=pk)
    return None


def _resolve(host: str, port: int) -> list[str]:
    """The merchant-claim guard for captures: public addresses only in production (CaptureError otherwise)."""
    from weiquan.evidence.capture import CaptureError

    try:
        return resolve(host, port)
    except OutboundError as exc:
        raise CaptureError(exc.message) from None


def run_capture(job: CaptureJob) -> str:
    """Captures the job's page, stores the folder (ZIP) as evidence of the case; returns "done" or "failed"."""
    import tempfile
    import zipfile

    from weiquan.evidence.capture import CaptureError, capture
    from weiquan.evidence.services import EvidenceRejected
    from weiquan.evidence.tsa import TsaError, stamp, tsa_url

    case = job.case
    try:
        with tempfile.TemporaryDirectory(prefix="capture-") as tmp:
            folder = Path(tmp) / "capture"
            capture(
                job.url,
                folder,
                timeout=float(getattr(settings, "WEIQUAN_CAPTURE_TIMEOUT", 30)),
                max_bytes=int(getattr(settings, "WEIQUAN_CAPTURE_MAX_BYTES", 30 * 1024 * 1024)),
                resolve=_resolve,
            )
            if tsa_url():
                with contextlib.suppress(TsaError):  # the capture still counts, without trusted time
                    stamp(folder / "manifest.json")
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(folder.iterdir()):
                    zf.write(f, f.name)
            host = urlsplit(job.url).hostname or "page"
            evidence = _store_capture(
                case, buf.getvalue(), f"网页取证-{host}.zip", job.kind, _("网页取证：%s") % job.url[:250]
            )
    except (CaptureError, EvidenceRejected) as exc:
        message = getattr(exc, "message", None) or str(exc)
        CaptureJob.objects.filter(pk=job.pk).update(
            status="failed", error=message, finished_at=timezone.now()
        )
        case.log("capture_failed", {"job": str(job.public_id), "url": job.url, "error": message})
        return "failed"
    CaptureJob.objects.filter(pk=job.pk).update(
        status="done", evidence=evidence, finished_at=timezone.now(), error=""
    )
    return "done"


def _store_capture(case: Case, data: bytes, name: str, kind: str, description: str) -> Evidence:
    """Stores a capture ZIP the server made itself (the locker refuses archives from uploads, not its own)."""
    from weiquan.evidence.content import too_large
    from weiquan.evidence.services import log_payload
    from weiquan.evidence.storage import blob_store
    from weiquan.evidence.upload import HashedUpload

    if len(data) > settings.EVIDENCE_MAX_BYTES:
        raise too_large(name, settings.EVIDENCE_MAX_BYTES)
    spool = blob_store().spool(settings.EVIDENCE_MAX_BYTES)
    try:
        spool.write(data)
    except BaseException:
        spool.discard()
        raise
    upload = HashedUpload(spool, name, "application/zip")
    try:
        assert upload.path is not None
        blob_store().commit(upload.path, upload.sha256)
        upload.stored()
        with transaction.atomic():
            evidence = Evidence.objects.create(
                case=case,
                kind=kind,
                description=description,
                sha256=upload.sha256,
                size=len(data),
                original_name=name,
                content_type="application/zip",
                received_at=timezone.now(),
            )
            case.log("evidence_uploaded", log_payload(evidence))
    finally:
        upload.close()
    case.refresh_reminder()
    return evidence


def process_one_capture() -> str | None:
    job = claim_capture()
    if job is None:
        return None
    return run_capture(job)
