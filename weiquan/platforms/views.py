"""The platform page and the 三查 page: public, read-only, a constant number of queries each."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from weiquan.domain import sancha as domain_sancha
from weiquan.domain.taxonomy import TYPES
from weiquan.platforms import checks, rating
from weiquan.platforms.forms import SanchaForm, TermsForm
from weiquan.platforms.linking import find_platforms
from weiquan.platforms.models import Platform
from weiquan.public.models import PublicComplaint

SANCHA_RESULTS = 5
LATEST_COMPLAINTS = 10


def platform_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    platform = checks.public_platforms().filter(public_id=public_id).first()
    if platform is None:
        # An old link to a platform merged into another one leads to the one that absorbed it.
        old = get_object_or_404(Platform, public_id=public_id)
        return redirect("platform_detail", old.active.public_id)
    latest = (
        PublicComplaint.objects.visible()
        .filter(platform=platform)
        # Only the indexed column: (platform, status, published_at) read backwards, however many complaints exist.
        .order_by("-published_at")
        .only(
            "public_id",
            "title",
            "pseudonym",
            "problem_type",
            "amount",
            "published_at",
            "first_reply_at",
            "progress",
        )[:LATEST_COMPLAINTS]
    )
    context = {
        "report": checks.report(platform),
        "latest": latest,
        "types": {tid: t.label for tid, t in TYPES.items()},
        "checklist": domain_sancha.CHECKLIST,
    }
    return render(request, "platforms/platform_detail.html", context)


def sancha(request: HttpRequest) -> HttpResponse:
    form = SanchaForm(request.GET if "q" in request.GET else None)
    terms_form = TermsForm(request.POST if request.method == "POST" else None)
    context: dict[str, object] = {
        "form": form,
        "terms_form": terms_form,
        "checklist": domain_sancha.CHECKLIST,
    }
    if form.is_valid():
        q = form.cleaned_data["q"]
        found = list(checks.with_public_data(find_platforms(q))[: SANCHA_RESULTS + 1])
        prior = rating.current_prior()
        today = timezone.localdate()
        context |= {
            "q": q,
            "reports": [checks.report(p, today=today, prior=prior) for p in found[:SANCHA_RESULTS]],
            "more": len(found) > SANCHA_RESULTS,
        }
    if terms_form.is_valid():
        context |= {
            "terms_checked": True,
            "term_hits": domain_sancha.find_void_terms(terms_form.cleaned_data["terms"]),
        }
    return render(request, "platforms/sancha.html", context)
