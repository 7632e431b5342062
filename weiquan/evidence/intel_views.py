"""Evidence-intelligence pages: read a screenshot and confirm what was read, import a chat, capture a web page.

Thin like the other views: the owner loader first (another user's case or evidence is 404), then one service call
in weiquan/evidence/intel.py. Nothing read or found enters the case until the consumer confirms it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from weiquan.cases.models import case_for_owner
from weiquan.domain.chatlog import ChatLogError
from weiquan.domain.evidence import kind_label
from weiquan.domain.facts import CaseFileError
from weiquan.domain.ocr_fields import FIELD_LABELS
from weiquan.evidence.capture import browser_available, unavailable_message
from weiquan.evidence.intel import (
    IntelError,
    case_agreement,
    confirm_reading,
    enters_case,
    import_chat,
    queue_capture,
    read_evidence,
    stamp_evidence,
)
from weiquan.evidence.intel_models import EvidenceReading
from weiquan.evidence.models import EVIDENCE_KINDS
from weiquan.evidence.services import evidence_for_owner, open_blob
from weiquan.evidence.tsa import NO_TSA_NOTE, tsa_url

MAX_CHAT_BYTES = 20 * 1024 * 1024
METHOD_LABELS = {"alipay": "支付宝", "wechat_pay": "微信支付", "bank_card": "银行卡", "other": "其他"}


@login_required
@require_GET
def case_intel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_for_owner(request.user, public_id)
    files = [e for e in case.evidence.select_related("stamp") if e.has_file]
    images = [e for e in files if e.content_type.startswith("image/")]
    readings = {r.evidence_id: r for r in EvidenceReading.objects.filter(evidence__case=case)}
    return render(
        request,
        "evidence/intel.html",
        {
            "case": case,
            "images": [(e, readings.get(e.pk)) for e in images],
            "files": [(e, getattr(e, "stamp", None)) for e in files],
            "gaps": case_agreement(case),
            "jobs": case.capture_jobs.select_related("evidence").order_by("-created_at")[:10],
            "capture_kinds": [
                (k, v)
                for k, v in EVIDENCE_KINDS
                if k in ("platform_terms", "violation_screenshot", "order_screenshot", "platform_identity")
            ],
            "browser": browser_available(),
            "no_browser": unavailable_message(),
            "tsa": bool(tsa_url()),
            "no_tsa": NO_TSA_NOTE,
        },
    )


@login_required
@require_POST
def case_chat(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_for_owner(request.user, public_id)
    f = request.FILES.get("file")
    if f is None:
        messages.error(request, _("聊天记录文件：请选择要导入的文件"))
    elif (f.size or 0) > MAX_CHAT_BYTES:
        messages.error(request, _("聊天记录文件：太大，最多 20 MB"))
    else:
        before = case.contacts.count()
        try:
            log = import_chat(
                case,
                b"".join(f.chunks()),
                request.user,
                platform=request.POST.get("platform") or None,
                keep_as=f,
            )
        except ChatLogError as exc:
            messages.error(request, _("聊天记录文件：%s") % exc)
        else:
            added = case.contacts.count() - before
            kinds = {"promise": 0, "refusal": 0, "runaround": 0}
            for finding in log.findings:
                kinds[finding.kind] += 1
            messages.success(
                request,
                _(
                    "读取了 %(n)d 条消息：客服承诺 %(p)d 处、拒绝 %(r)d 处、推诿 %(a)d 处，已记入联系记录 %(added)d 条。"
                )
                % {
                    "n": len(log.messages),
                    "p": kinds["promise"],
                    "r": kinds["refusal"],
                    "a": kinds["runaround"],
                    "added": added,
                },
            )
    return redirect("case_intel", public_id)


@login_required
@require_POST
def case_capture(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = case_for_owner(request.user, public_id)
    try:
        queue_capture(
            case, request.POST.get("url", ""), request.POST.get("kind", "platform_terms"), request.user
        )
    except IntelError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已排队取证，通常一分钟内完成；完成后网页存档会出现在证据列表中。"))
    return redirect("case_intel", public_id)


@login_required
@require_POST
def evidence_stamp(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    evidence = evidence_for_owner(request.user, public_id)
    try:
        row = stamp_evidence(evidence, request.user)
    except IntelError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已加盖可信时间戳：%(name)s 在 %(when)s 已存在（%(tsa)s）")
            % {"name": evidence.original_name, "when": row.gen_time.isoformat(), "tsa": row.tsa},
        )
    return redirect("case_intel", evidence.case.public_id)


@login_required
@require_GET
def evidence_image(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    """The stored image shown inline on the reading page (owner only)."""
    evidence = evidence_for_owner(request.user, public_id)
    if not evidence.has_file or not evidence.content_type.startswith("image/"):
        raise Http404(_("这项证据不是图片"))
    response = FileResponse(open_blob(evidence), content_type=evidence.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


def _rows(reading: EvidenceReading) -> list[dict[str, Any]]:
    rows = []
    for n, (name, f) in enumerate(reading.fields.items(), 1):
        value = f.get("value")
        if name == "amount" and isinstance(value, int | float):
            shown = f"{value:.2f}"
        elif name == "payment_method":
            shown = METHOD_LABELS.get(str(value), str(value))
        else:
            shown = str(value)
        confirmed = (reading.confirmed or {}).get(name)
        if confirmed is not None and name == "payment_method":
            confirmed = METHOD_LABELS.get(confirmed, confirmed)
        box = f.get("box") or [0, 0, 0, 0]
        rows.append(
            {
                "n": n,
                "name": name,
                "label": FIELD_LABELS.get(name, name),
                "value": confirmed if confirmed is not None else shown,
                "read_as": f.get("text") or shown,
                "confidence": round(float(f.get("confidence") or 0) * 100),
                "low": float(f.get("confidence") or 0) < 0.9,
                "box": {"x": box[0], "y": box[1], "w": max(1, box[2] - box[0]), "h": max(1, box[3] - box[1])},
                "enters_case": enters_case(reading, name),
                "confirmed": confirmed is not None,
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def evidence_reading(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    evidence = evidence_for_owner(request.user, public_id)
    try:
        reading = read_evidence(evidence)
    except IntelError as exc:
        messages.error(request, exc.message)
        return redirect("case_intel", evidence.case.public_id)
    if request.method == "POST":
        chosen = {name: request.POST.get(f"value_{name}", "") for name in request.POST.getlist("confirm")}
        chosen = {k: v for k, v in chosen.items() if enters_case(reading, k)}
        if not chosen and not request.POST.get("correct_kind"):
            messages.error(request, _("请至少勾选一项要采用的内容"))
        else:
            try:
                confirm_reading(
                    reading, chosen, request.user, correct_kind=bool(request.POST.get("correct_kind"))
                )
            except IntelError as exc:
                messages.error(request, exc.message)
            except CaseFileError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("已写入案件：%s") % ("、".join(FIELD_LABELS[k] for k in chosen) or _("证据种类")),
                )
                return redirect("case_intel", evidence.case.public_id)
    return render(
        request,
        "evidence/reading.html",
        {
            "evidence": evidence,
            "case": evidence.case,
            "reading": reading,
            "rows": _rows(reading),
            "looks_like": kind_label(reading.kind) if reading.kind != "unknown" else "",
            "kind_differs": reading.kind not in ("unknown", evidence.kind),
            "uploaded_as": kind_label(evidence.kind),
        },
    )
