"""Public complaint pages, and the consumer's publish / withdraw / confirm / collective actions.

Public pages read only ``PublicComplaint.objects.public()`` (published rows, their masked columns): never a Case,
never an evidence file. The consumer's views load the case with ``case_for_owner`` on their first line.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from weiquan.accounts import ratelimit
from weiquan.cases.models import Case, case_for_owner
from weiquan.public import services
from weiquan.public.forms import CollectiveForm, ConfirmForm, PublishForm
from weiquan.public.models import CollectiveComplaint, PublicComplaint

# --- the consumer's side -------------------------------------------------------------------------------------------


def _back(case: Case) -> HttpResponse:
    return redirect(reverse("case_detail", args=[case.public_id]) + "#public")


def _publication(case: Case) -> PublicComplaint:
    complaint = PublicComplaint.objects.filter(case=case).first()
    if complaint is None:
        raise Http404(_("这个案件还没有公开投诉"))
    return complaint


@login_required
def case_publish(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """GET: the preview of exactly what will be public; POST: submit it for moderation."""
    case = case_for_owner(request.user, public_id)
    existing = PublicComplaint.objects.filter(case=case).exclude(status="rejected").first()
    if existing is not None:
        return _back(case)
    form = PublishForm(request.POST if request.method == "POST" else request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    try:
        if request.method == "POST" and valid:
            if refused := ratelimit.allow_publish(request.user):
                raise services.PublishError(refused, 429)
            services.publish(case, request.user, pseudonym=data.get("pseudonym"), title=data.get("title"))
            messages.success(request, _("已提交审核。审核通过后，投诉会出现在公开页面上。"))
            return _back(case)
        preview = services.masked_copy(case, pseudonym=data.get("pseudonym"), title=data.get("title"))
        error = ""
    except services.PublishError as exc:
        preview, error = None, exc.message
    context = {"case": case, "form": form, "preview": preview, "error": error}
    return render(request, "public/publish_preview.html", context, status=400 if error or not valid else 200)


@login_required
@require_POST
def case_withdraw(request: HttpRequest, public_id: UUID) -> HttpResponse:
    case = case_for_owner(request.user, public_id)
    try:
        services.withdraw(_publication(case), request.user)
        messages.success(request, _("已撤回。投诉内容已从公开页面删除，平台统计里只保留一条匿名计数。"))
    except services.PublishError as exc:
        messages.error(request, exc.message)
    return _back(case)


@login_required
@require_POST
def case_confirm(request: HttpRequest, public_id: UUID) -> HttpResponse:
    case = case_for_owner(request.user, public_id)
    complaint = _publication(case)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择平台是否解决了你的问题。"))
        return _back(case)
    try:
        services.confirm(
            complaint,
            request.user,
            confirmed=form.cleaned_data["confirmed"],
            rating=form.cleaned_data["rating"],
            outcome=form.cleaned_data["outcome"],
        )
        if form.cleaned_data["confirmed"] and case.status == "open":
            messages.success(request, _("已结案，提醒已停止。你的确认会显示在公开页面上。"))
        elif form.cleaned_data["confirmed"] is False and case.status == "open":
            messages.success(request, _("已记录：平台没有解决。计划已转到下一步。"))
        else:
            messages.success(request, _("已记录你的确认，会显示在公开页面上。"))
    except services.PublishError as exc:
        messages.error(request, exc.message)
    return _back(case)


@login_required
@require_POST
def case_collective(request: HttpRequest, public_id: UUID) -> HttpResponse:
    case = case_for_owner(request.user, public_id)
    complaint = _publication(case)
    form = CollectiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return _back(case)
    data = form.cleaned_data
    try:
        if data["collective"]:
            collective = get_object_or_404(CollectiveComplaint, public_id=data["collective"])
            services.join_collective(complaint, collective, request.user)
        else:
            services.create_collective(
                complaint,
                request.user,
                title=data["title"],
                description=data["description"],
                event_date=data["event_date"],
            )
        messages.success(request, _("已加入集体投诉。"))
    except services.PublishError as exc:
        messages.error(request, exc.message)
    return _back(case)


# --- public pages ----------------------------------------------------------------------------------------------------


def complaint_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("platform", "").strip()
    platform = services.resolve_platform(query)
    complaints = services.for_platform(PublicComplaint.objects.public(), platform)
    context: dict[str, Any] = {
        "query": query,
        "platform": platform,
        "not_found": bool(query) and platform is None,
        "page": None if query and platform is None else services.page_of(complaints, request.GET.get("page")),
        "collectives": services.public_collectives(platform) if platform else [],
    }
    return render(request, "public/complaint_list.html", context)


def complaint_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    complaint = get_object_or_404(PublicComplaint.objects.public(), public_id=public_id)
    replies = [(r, services.clean_reply_text(r.text)) for r in complaint.replies.all()]
    return render(request, "public/complaint_detail.html", {"c": complaint, "replies": replies})


def collective_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    # Shown only once one of its complaints passed moderation: nobody publishes by starting a collective.
    collective = get_object_or_404(services.public_collectives(), public_id=public_id)
    members = PublicComplaint.objects.public().filter(collective=collective)
    context = {
        "collective": collective,
        "page": services.page_of(members, request.GET.get("page")),
        "count": members.count(),
    }
    return render(request, "public/collective_detail.html", context)
