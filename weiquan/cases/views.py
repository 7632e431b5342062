"""The consumer's pages: the case wizard, the case list, the case page, recording events, document downloads.

Every view that touches a case loads it with ``case_for_owner`` on its first line: anyone but the owner gets 404.
The plan is derived on every read (``Case.plan``), so a recorded event moves it at once.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from weiquan import pagecache
from weiquan.accounts.forms import SignupForm
from weiquan.cases import wizard as wiz
from weiquan.cases.complete import CompleteForm
from weiquan.cases.forms import RecordForm, today_in_china
from weiquan.cases.models import CHANNELS, EVIDENCE_KINDS, Case, case_for_owner
from weiquan.domain.documents import DOCUMENT_KINDS, build_document
from weiquan.domain.escalation import plan as make_plan
from weiquan.domain.facts import CaseFileError
from weiquan.domain.forms_text import ASKS, FORM_KINDS, form_text
from weiquan.domain.render import RenderError, render_docx, render_pdf, render_txt

RENDERERS = {
    "txt": (render_txt, "text/plain; charset=utf-8"),
    "docx": (render_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": (render_pdf, "application/pdf"),
}
FORMAT_LABELS = {"txt": "文本", "docx": "Word", "pdf": "PDF"}
CHANNEL_IDS = {c for c, _label in CHANNELS}


# --- the wizard -------------------------------------------------------------------------------------------------


def wizard_start(request: HttpRequest) -> HttpResponse:
    draft = wiz.Draft(request.session)
    return redirect("wizard", min(draft.first_open_step(), wiz.LAST))


@require_POST
def wizard_reset(request: HttpRequest) -> HttpResponse:
    wiz.Draft(request.session).clear()
    return redirect("wizard", 1)


def wizard(request: HttpRequest, step: int) -> HttpResponse:
    draft = wiz.Draft(request.session)  # the session's own draft: nobody else's data can be reached from here
    if step < 1:
        raise Http404
    if step > wiz.LAST:  # the old five-screen wizard's evidence screen: part of the last step now
        return redirect("wizard", min(draft.first_open_step(), wiz.LAST))
    if draft.first_open_step() < step:
        return redirect("wizard", draft.first_open_step())
    post = request.POST if request.method == "POST" else None
    form = draft.form(step, post, quiet=post is None)
    # A visitor without an account creates one on the last screen: one tap saves the account and the case.
    signup: SignupForm | None = None
    if step == wiz.LAST and not request.user.is_authenticated:
        signup = SignupForm(post if post is not None and "username" in post else None)
    if post is not None:
        draft.remember(step, post)
        if "back" in post:
            return redirect("wizard", draft.previous_step(step))
        if "no_contact" in post and step == wiz.LAST:
            draft.skip_contacts()  # the rows go; the evidence and the sign-up on the same screen are still to do
            return redirect(reverse("wizard", args=[wiz.LAST]) + "#evidence")
        if "add_row" in post and step == wiz.LAST:
            draft.add_row()
            return redirect(reverse("wizard", args=[wiz.LAST]) + "#last-row")
        if form.is_valid():
            draft.complete(step, form)
            if step < wiz.LAST:
                return redirect("wizard", draft.next_step(step))
            if "have_account" in post:
                draft.mark_pending()
                messages.info(request, _("登录后，你填的内容会立即保存成案件。"))
                return redirect("login")
            if signup is not None and signup.is_bound:
                if not signup.is_valid():
                    context = {**draft.context(step, form, show_errors=True), "signup": signup}
                    return render(request, "cases/wizard.html", context)
                user = signup.save()
                login(request, user)  # the one configured backend: the visitor stays logged in
            return _finish(request, draft)
    context = draft.context(step, form, show_errors=post is not None)
    if signup is not None:
        context["signup"] = signup
    return render(request, "cases/wizard.html", context)


def _finish(request: HttpRequest, draft: wiz.Draft) -> HttpResponse:
    if not request.user.is_authenticated:
        draft.mark_pending()
        messages.info(request, _("最后一步：注册一个账户（已有账户就登录），你填的内容会立即保存成案件。"))
        return redirect("signup")
    try:
        case = draft.create_case(request.user)
    except wiz.StepInvalid as exc:
        messages.error(request, _("这一步还有问题，请检查后再继续。"))
        return redirect("wizard", exc.step)
    except CaseFileError as exc:
        context = draft.context(wiz.LAST, draft.form(wiz.LAST), show_errors=True)
        return render(request, "cases/wizard.html", {**context, "problems": exc.problems}, status=400)
    messages.success(request, _("案件已保存。下面是你的维权计划，先做最上面那一步。"))
    return redirect("case_detail", case.public_id)


# --- the list and the case page ---------------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = (
        Case.objects.owned_by(request.user)
        .select_related("platform")
        .prefetch_related("contacts", "evidence")
    )
    today = today_in_china()
    rows = []
    for case in cases:
        data = for_consumer(case.plan(today).to_dict())
        nxt = data["next_action"]
        now = any(s["channel"] == nxt["channel"] and s["status"] == "now" for s in data["steps"])
        rows.append({"case": case, "next": nxt, "now": now, "deadline": nearest_deadline(data)})
    return render(
        request, "cases/case_list.html", {"rows": rows, "has_draft": wiz.Draft(request.session).raw(1)}
    )


@login_required
def case_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    # The owner check and the page key need five columns; the whole case is loaded only to render a page.
    case = case_for_owner(request.user, public_id, only=pagecache.CASE_KEY_FIELDS)
    today = today_in_china()
    html = pagecache.get(pagecache.key(case, today))
    if html is None:
        case = Case.objects.select_related("publication", "platform").get(
            pk=case.pk
        )  # the page's publication section
        context = _case_context(case, RecordForm(initial=_record_initial(case)), today)
        html = render_to_string(
            "cases/case_detail.html", {**context, **pagecache.slots(), "user": request.user}
        )
        pagecache.put(
            pagecache.key(case, today), html
        )  # the key of what was rendered, should the case have moved
    return HttpResponse(pagecache.personalise(html, request))


@login_required
@require_POST
def case_record(request: HttpRequest, public_id: UUID) -> HttpResponse:
    case = case_for_owner(request.user, public_id)
    if case.status != "open":
        messages.error(request, _("案件已结案，不能再记录进展。"))
        return redirect("case_detail", case.public_id)
    form = RecordForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, form, status=400)
    form.apply(case, request.user)
    messages.success(request, _("已记录。计划已按最新进展更新。"))
    return redirect(reverse("case_detail", args=[case.public_id]) + "#next")


@login_required
@transaction.non_atomic_requests
def case_document(request: HttpRequest, public_id: UUID, kind: str, fmt: str) -> HttpResponse:
    case = case_for_owner(request.user, public_id)
    if kind not in DOCUMENT_KINDS or fmt not in RENDERERS:
        raise Http404(_("没有这种文书"))
    prefetch_related_objects([case], "contacts", "evidence")
    facts, today = case.facts(), today_in_china()
    plan = make_plan(facts, today)
    doc = build_document(
        kind, facts, problem_type=plan.problem_type, today=today, reply_by=plan.cs_reply_by.date
    )
    render_fn, content_type = RENDERERS[fmt]
    try:
        body = render_fn(doc)  # rendering (PDF especially) happens outside any transaction: reads are done
    except RenderError as exc:
        # A plain Chinese reason (too long, took too long, PDFs unavailable) on the case page, whose download
        # list still offers the other formats of the same document.
        messages.error(request, str(exc))
        return redirect("case_detail", case.public_id)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{doc.filename}.{fmt}"'
    return response


@login_required
def case_form(request: HttpRequest, public_id: UUID, kind: str) -> HttpResponse:
    """One complaint form's boxes with a 复制 button each; missing facts asked for and saved here (POST)."""
    case = case_for_owner(request.user, public_id)
    if kind not in FORM_KINDS:
        raise Http404(_("没有这种表单"))
    prefetch_related_objects([case], "contacts", "evidence")
    today = today_in_china()
    plan = case.plan(today)
    text = form_text(plan.facts, kind, plan)
    asks = text.asks
    status = 200
    if request.method == "POST":
        # Only the facts this page asked for can be changed here.
        complete = CompleteForm(request.POST, asks=[a for a in ASKS if a in request.POST])
        if complete.is_valid():
            changed = complete.save(case, request.user)
            if changed:
                messages.success(request, _("已保存到案件，下面的文字已经补全。"))
            return redirect(reverse("case_form", args=[case.public_id, kind]) + "#fields")
        status = 400
    else:
        complete = CompleteForm(asks=asks)
    titles = {k: v.title for k, v in DOCUMENT_KINDS.items()}
    context = {
        "case": case,
        "text": text,
        "complete": complete,
        "kind": kind,
        "doc_title": titles.get(kind, text.title),
        "formats": FORMAT_LABELS,
        "others": [(k, t) for k, t in FORM_KINDS.items() if k != kind and k in plan.document_kinds],
    }
    return render(request, "cases/form_text.html", context, status=status)


# --- helpers ----------------------------------------------------------------------------------------------------


def nearest_deadline(plan: dict[str, Any]) -> dict[str, Any] | None:
    """The soonest deadline still ahead: of a step under way, or a tracked one (limitation, etc.)."""
    found = [
        {
            "date": s["deadline"],
            "workdays_left": s["workdays_left"],
            "label": s["deadline_label"] or s["name"],
        }
        for s in plan["steps"]
        if s["deadline"] and s["status"] in ("now", "waiting")
    ]
    found += [
        {"date": d["date"], "workdays_left": d["workdays_left"], "label": d["label"]}
        for d in plan["deadlines"]
    ]
    ahead = [d for d in found if d["date"] >= plan["today"]]
    return min(ahead, key=lambda d: d["date"]) if ahead else None


def _record_initial(case: Case) -> dict[str, Any]:
    return {"event": "contacted", "recovered_amount": case.amount}


def _case_page(request: HttpRequest, case: Case, record_form: RecordForm, status: int = 200) -> HttpResponse:
    context = _case_context(case, record_form, today_in_china())
    return render(request, "cases/case_detail.html", context, status=status)


# Our working notes and the engine's rule-selection traces ("适用规则：…（按2026-11-25确定）").
_INTERNAL = re.compile(r"种子文本|待核实|尚未核实|DOMAIN\.md|原文未找到|适用规则：[^。]*确定")
_BRACKETED = re.compile(r"[（(]([^（）()]*)[）)]")


def for_consumer(value: Any) -> Any:
    """The plan as a consumer reads it: our own working notes ("种子文本…", "待核实") taken out of every text.

    A bracketed source note loses only its internal part ("（种子文本第三部分；个人信息保护法第六十五条）" keeps the
    law); a sentence that is itself a working note is dropped. Applied to the whole plan dict before any page sees it.
    """
    if isinstance(value, dict):
        return {k: for_consumer(v) for k, v in value.items()}
    if isinstance(value, list):
        return [for_consumer(v) for v in value]
    if not isinstance(value, str) or not _INTERNAL.search(value):
        return value

    def bracket(m: re.Match[str]) -> str:
        kept = [part for part in re.split(r"[；;]", m.group(1)) if not _INTERNAL.search(part)]
        return f"（{'；'.join(kept)}）" if kept else ""

    text = _BRACKETED.sub(bracket, value)
    return "".join(s for s in re.split(r"(?<=[。！？])", text) if not _INTERNAL.search(s.strip())).strip()


def platform_answers(case: Case) -> tuple[set[str], str | None]:
    """Which recorded contacts are the platform's own words (its public replies and progress), and the platform's
    latest "已退款/已补发/已解决" the consumer has not answered yet (None when there is nothing to ask).

    Only a published case can have them; the publication lookup is the one the page's template makes anyway.
    """
    try:
        case.publication  # noqa: B018  (loads and keeps the reverse one-to-one for the template)
    except ObjectDoesNotExist:
        return set(), None
    events = case.events.filter(kind__in=("platform_reply", "platform_progress", "public_confirmed")).only(
        "kind", "payload"
    )
    contacts: set[str] = set()
    claim: str | None = None
    for e in events:
        if e.kind == "public_confirmed":
            claim = None
            continue
        if e.payload.get("contact"):
            contacts.add(e.payload["contact"])
        if e.payload.get("claims_resolved"):
            claim = e.payload.get("contact")
    return contacts, claim


def _case_context(case: Case, record_form: RecordForm, today: dt.date) -> dict[str, Any]:
    prefetch_related_objects([case], "contacts", "evidence")
    from_platform, claim_id = platform_answers(case)
    contacts = list(case.contacts.all())
    for c in contacts:
        c.from_platform = str(c.public_id) in from_platform  # type: ignore[attr-defined]
    platform_claim = next((c for c in contacts if str(c.public_id) == claim_id), None)
    data = for_consumer(case.plan(today).to_dict())
    nxt = data["next_action"]
    next_step = next((s for s in data["steps"] if s["channel"] == nxt["channel"]), None)
    if not record_form.is_bound:
        record_form.initial.setdefault(
            "channel", nxt["channel"] if nxt["channel"] in CHANNEL_IDS else "platform_cs"
        )
    evidence = list(case.evidence.all())
    missing = [g["kind"] for g in data["evidence"]["missing"]]
    titles = {k: v.title for k, v in DOCUMENT_KINDS.items()}
    context = {
        "case": case,
        "plan": data,
        "next_step": next_step,
        "next_documents": [(k, titles[k]) for k in nxt["documents"] or () if k in titles],
        "documents": [(k, titles[k]) for k in data["documents"] if k in titles],
        "not_applicable": [s for s in data["steps"] if s["status"] == "not_applicable"],
        # the disclaimer closes the page on its own line
        "warnings": [w for w in data["warnings"] if w["code"] != "not_legal_advice"],
        "formats": FORMAT_LABELS,
        "form_kinds": FORM_KINDS,
        # forms of the other steps to do now (12315 and 黑猫 together), one tap from the first screen
        "also_forms": [
            (k, FORM_KINDS[k])
            for s in data["steps"]
            if s["status"] == "now" and s["channel"] != nxt["channel"]
            for k in s["documents"] or ()
            if k in FORM_KINDS and k not in (nxt["documents"] or ())
        ],
        "evidence_kinds": EVIDENCE_KINDS,
        "outcome_label": dict(CHANNELS).get(case.outcome_channel, case.outcome_channel),
        "files": [e for e in evidence if e.has_file],
        # Declared but not uploaded: only kinds with no uploaded file at all (an upload settles its declaration).
        "declared": [
            e for e in evidence if not e.has_file and e.kind not in {f.kind for f in evidence if f.has_file}
        ],
        "contacts": contacts,
        # The platform says it is done: the consumer is asked (one tap: 已退款，结案 / 已补发，结案 / 没有解决).
        "platform_claim": platform_claim if case.status == "open" else None,
        "record_form": record_form,
        "upload_kind": missing[0] if missing else "order_screenshot",
    }
    return context
