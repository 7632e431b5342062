"""The merchant portal: claim a platform by its domain, then answer its public complaints.

Each view's first line is its loader: ``claims.claim_for_user`` (a token is only shown to its own user),
``claims.platform_for_representative`` / ``claims.complaint_for_representative`` (verified representatives of the
platform only; everyone else gets 404). The consumer's "问题解决了吗？" is the public app's ``case_publish_confirm``
(its form: ``merchant/_confirm.html``).
There is no view that deletes, edits or hides a complaint or a reply.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from markdown_it import MarkdownIt

from weiquan.platforms import claims, replies, webhooks
from weiquan.platforms.models import Platform, PlatformClaim
from weiquan.platforms.portal_forms import ClaimForm, DeclareForm, ProgressForm, ReplyForm, WebhookForm
from weiquan.public.models import ComplaintReply, PublicComplaint

PER_PAGE = 20
logger = logging.getLogger(__name__)
GUIDE = Path(__file__).resolve().parent.parent.parent / "docs" / "merchant-integration.md"


@functools.cache
def guide_html() -> str:
    """docs/merchant-integration.md as HTML: CommonMark with raw HTML switched off, so nothing in the file can
    reach the page as markup (markdown-it-py escapes it); tables on. Read once per process."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    return md.render(GUIDE.read_text(encoding="utf-8"))


def guide(request: HttpRequest) -> HttpResponse:
    """The integration guide for platforms, public (no login): how to claim, reply, receive webhooks, use the API."""
    if not GUIDE.is_file():
        raise Http404(_("接入说明暂时不可用"))
    return render(request, "merchant/guide.html", {"guide": mark_safe(guide_html())})  # noqa: S308


# --- claiming -----------------------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest, form: ClaimForm | None = None, status: int = 200) -> HttpResponse:
    ids = claims.represented_ids(request.user)
    context = {
        "platforms": Platform.objects.filter(pk__in=ids, merged_into__isnull=True),
        "pending": PlatformClaim.objects.filter(user=request.user, verified_at__isnull=True).select_related(
            "platform"
        ),
        "form": form or ClaimForm(),
    }
    return render(request, "merchant/home.html", context, status=status)


@login_required
@require_POST
def claim_start(request: HttpRequest) -> HttpResponse:
    form = ClaimForm(request.POST)
    if not form.is_valid():
        return home(request, form, status=400)
    try:
        claim = claims.start_claim(request.user, form.cleaned_data["domain"])
    except claims.ClaimError as exc:
        form.add_error("domain", exc.message)
        return home(request, form, status=400)
    if claim.verified:
        return redirect("merchant_portal", claim.platform.active.public_id)
    return redirect("merchant_claim", claim.platform.public_id)


@login_required
def claim_detail(request: HttpRequest, platform_id: UUID) -> HttpResponse:
    claim = claims.claim_for_user(request.user, platform_id)
    if claim.verified:
        return redirect("merchant_portal", claim.platform.active.public_id)
    context = {"claim": claim, "urls": claims.verification_urls(claim.domain), "path": claims.WELL_KNOWN_PATH}
    return render(request, "merchant/claim.html", context)


@login_required
@require_POST
def claim_verify(request: HttpRequest, platform_id: UUID) -> HttpResponse:
    claim = claims.claim_for_user(request.user, platform_id)
    try:
        claims.verify_claim(claim)  # up to two HTTP requests of at most 5 s each, outside any transaction
    except claims.ClaimError as exc:
        messages.error(request, exc.message)
        return redirect("merchant_claim", claim.platform.public_id)
    messages.success(
        request, _("验证成功：你现在是“%(name)s”的认证代表。") % {"name": claim.platform.active.name}
    )
    return redirect("merchant_portal", claim.platform.active.public_id)


# --- the portal ---------------------------------------------------------------------------------------------------


@login_required
def portal(request: HttpRequest, platform_id: UUID) -> HttpResponse:
    platform = claims.platform_for_representative(request.user, platform_id)
    if platform.merged_into_id is not None:
        return redirect("merchant_portal", platform.active.public_id)
    unanswered = request.GET.get("show") == "unanswered"
    q = PublicComplaint.objects.visible().filter(platform_id__in=claims.group_ids(platform))
    if unanswered:
        q = q.filter(first_reply_at__isnull=True)
    replies_q = ComplaintReply.objects.order_by("created_at", "pk")
    q = q.prefetch_related(Prefetch("replies", queryset=replies_q))
    page = Paginator(q, PER_PAGE).get_page(request.GET.get("page"))
    hook = webhooks.endpoint(platform)
    context = {
        "platform": platform,
        "page": page,
        "rows": [_row(c) for c in page],
        "unanswered": unanswered,
        "webhook": hook,
        "webhook_form": WebhookForm(initial={"url": hook.url if hook else ""}),
        "deliveries": webhooks.recent_deliveries(platform),
        "declare_form": DeclareForm(
            initial={
                "company": platform.declared_company,
                "credit_code": platform.declared_credit_code,
                "icp": platform.declared_icp,
                "odr": bool(platform.declared_odr),
            }
        ),
    }
    return render(request, "merchant/portal.html", context)


@login_required
def declare(request: HttpRequest, platform_id: UUID) -> HttpResponse:
    """The operator's company, credit code, ICP number and ODR membership, as the platform itself states them.

    Stored in the ``declared_*`` columns only: the registry's own values (from consumers and operators) and every
    consumer's case stay as they were; public pages show both, this one labelled "平台自报".
    """
    platform = claims.platform_for_representative(request.user, platform_id)
    form = DeclareForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        platform.declared_company, platform.declared_credit_code = d["company"].strip(), d["credit_code"]
        platform.declared_icp, platform.declared_odr = d["icp"], True if d["odr"] else None
        platform.declared_at = timezone.now()
        platform.save(
            update_fields=[
                "declared_company",
                "declared_credit_code",
                "declared_icp",
                "declared_odr",
                "declared_at",
            ]
        )
        logger.info("platform %s: self-declared operator details saved", platform.public_id)
        messages.success(request, _("已保存。平台页和三查会把这些信息标为“平台自报”显示。"))
        return redirect(reverse("merchant_portal", args=[platform.public_id]) + "#declare")
    status = 400 if form.is_bound else 200
    return render(request, "merchant/declare.html", {"platform": platform, "form": form}, status=status)


def _row(c: PublicComplaint) -> dict[str, Any]:
    short = str(c.public_id)[:8]
    return {
        "complaint": c,
        "reply_form": ReplyForm(auto_id=f"r{short}-%s"),
        "progress_form": ProgressForm(auto_id=f"p{short}-%s", initial={"progress": c.progress or "accepted"}),
    }


def _back_to(complaint: PublicComplaint) -> HttpResponse:
    url = reverse("merchant_portal", args=[complaint.platform.active.public_id])
    return redirect(f"{url}#c-{complaint.public_id}")


@login_required
@require_POST
def reply(request: HttpRequest, complaint_id: UUID) -> HttpResponse:
    complaint = claims.complaint_for_representative(request.user, complaint_id)
    form = ReplyForm(request.POST)
    try:
        if not form.is_valid():
            raise replies.ReplyError(" ".join(e for errs in form.errors.values() for e in errs))
        replies.add_reply(complaint, user=request.user, **form.cleaned_data)
    except replies.ReplyError as exc:
        messages.error(request, _("回复没有发出：%(reason)s") % {"reason": exc.message})
        return _back_to(complaint)
    messages.success(request, _("回复已公开。"))
    return _back_to(complaint)


@login_required
@require_POST
def progress(request: HttpRequest, complaint_id: UUID) -> HttpResponse:
    complaint = claims.complaint_for_representative(request.user, complaint_id)
    form = ProgressForm(request.POST)
    try:
        if not form.is_valid():
            raise replies.ReplyError(_("请选择处理进度"))
        replies.set_progress(complaint, form.cleaned_data["progress"])
    except replies.ReplyError as exc:
        messages.error(request, exc.message)
        return _back_to(complaint)
    messages.success(request, _("处理进度已更新。"))
    return _back_to(complaint)


@login_required
@require_POST
def webhook_save(request: HttpRequest, platform_id: UUID) -> HttpResponse:
    platform = claims.platform_for_representative(request.user, platform_id)
    form = WebhookForm(request.POST)
    if form.is_valid():
        webhooks.set_endpoint(platform, form.cleaned_data["url"])
        messages.success(request, _("已保存。有新的公开投诉时会通知这个网址。"))
    else:
        messages.error(request, " ".join(form.errors.get("url", [_("网址无效")])))
    return redirect(reverse("merchant_portal", args=[platform.public_id]) + "#integration")


@login_required
@require_POST
def webhook_disable(request: HttpRequest, platform_id: UUID) -> HttpResponse:
    platform = claims.platform_for_representative(request.user, platform_id)
    webhooks.disable_endpoint(platform)
    messages.success(request, _("已停用通知。"))
    return redirect(reverse("merchant_portal", args=[platform.public_id]) + "#integration")


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, platform_id: UUID) -> HttpResponse:
    platform = claims.platform_for_representative(request.user, platform_id)
    webhooks.rotate_secret(platform)
    messages.success(request, _("已生成新的签名密钥，旧密钥立即失效。"))
    return redirect(reverse("merchant_portal", args=[platform.public_id]) + "#integration")
