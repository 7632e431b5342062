"""The platform page and the 三查 page: public, read-only, a constant number of queries each."""

from __future__ import annotations

import hashlib
from functools import cache
from uuid import UUID

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone

from weiquan import pagecache
from weiquan.domain import sancha as domain_sancha
from weiquan.domain.taxonomy import TYPES
from weiquan.platforms import checks, rating
from weiquan.platforms.forms import SanchaForm, TermsForm
from weiquan.platforms.linking import find_platforms
from weiquan.platforms.models import Platform, PlatformAlias, PlatformStats, RatingPrior
from weiquan.public.models import PublicComplaint

SANCHA_RESULTS = 5
LATEST_COMPLAINTS = 10


@cache
def _key_sql() -> str:
    """The key query, written once per process: the ORM spent 1.5 ms building it on every view (three times the
    cost of running it). Columns and tables come from the models; the one parameter is the platform's id."""
    q = connection.ops.quote_name
    p, s, a, r = (m._meta for m in (Platform, PlatformStats, PlatformAlias, RatingPrior))
    platform_cols = [f"p.{q(f.column)}" for f in p.concrete_fields]
    # Every counter of the statistics row (one of them moves with every event, even within one clock tick).
    stats_cols = [f"s.{q(f.column)}" for f in s.concrete_fields if f.get_internal_type() != "JSONField"]
    aliases = f"FROM {q(a.db_table)} a WHERE a.{q('platform_id')} = p.{q('id')}"
    return (
        f"SELECT {', '.join(platform_cols + stats_cols)}, "
        f"(SELECT COUNT(*) {aliases}), (SELECT MAX(a.{q('id')}) {aliases}), "
        f"(SELECT MAX(a.{q('first_seen')}) {aliases}), "
        f"(SELECT r.{q('computed_at')} FROM {q(r.db_table)} r WHERE r.{q('id')} = 1) "
        f"FROM {q(p.db_table)} p LEFT JOIN {q(s.db_table)} s ON s.{q('platform_id')} = p.{q('id')} "
        f"WHERE p.{q('public_id')} = %s AND p.{q('merged_into_id')} IS NULL"
    )


def page_key(public_id: UUID, request: HttpRequest) -> str | None:
    """The platform page's cache key, from one query; None when no active platform has this id.

    Everything the page shows moves one of these: the platform's own row, its aliases, its statistics row (saved in
    the transaction of every publication, withdrawal, reply and confirmation — so also the latest-complaints list),
    the site-wide rating prior, the date; and the navigation differs for a logged-in visitor.
    """
    uid = Platform._meta.get_field("public_id").get_db_prep_value(public_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(_key_sql(), [uid])
        head = cursor.fetchone()
    if head is None:
        return None
    digest = hashlib.blake2b(repr(head).encode(), digest_size=12).hexdigest()
    signed_in = int(request.user.is_authenticated)
    return f"weiquan:platform-page:{pagecache.generation()}:{digest}:{timezone.localdate().isoformat()}:{signed_in}"


def platform_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    key = page_key(public_id, request)
    html = pagecache.get(key) if key else None
    if html is None:
        response = _render_platform_page(request, public_id)
        if key is None or response.status_code != 200:
            return response
        html = response.content.decode()
        pagecache.put(key, html)
    return HttpResponse(pagecache.personalise(html, request))


def _render_platform_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
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
    # Rendered to keep: placeholders for the CSRF token and the flash messages (pagecache.personalise fills them).
    return HttpResponse(
        render_to_string("platforms/platform_detail.html", {**context, **pagecache.slots()}, request)
    )


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
