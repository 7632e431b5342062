"""The 三查 report of one platform: registration checks, statistics and rating, red flags — from loaded rows only.

Load platforms with ``PUBLIC_PLATFORMS`` (stats joined, aliases prefetched); building a report then costs at most
the one query for the rating prior, which callers pass in when they report on several platforms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from weiquan.domain import sancha
from weiquan.platforms import rating, stats
from weiquan.platforms.models import Platform, PlatformAlias, PlatformClaim, PlatformStats
from weiquan.platforms.validation import credit_code_problem, display_domain, icp_problem, normalize_icp


def with_public_data(platforms: QuerySet[Platform]) -> QuerySet[Platform]:
    """Platforms with what their public pages show: the stats row joined, aliases in one extra query, and whether a
    verified representative speaks for the platform (a subquery, no query per platform)."""
    verified = PlatformClaim.objects.filter(platform=OuterRef("pk"), verified_at__isnull=False)
    return (
        platforms.select_related("stats")
        .prefetch_related(
            Prefetch("aliases", queryset=PlatformAlias.objects.order_by("kind", "first_seen", "pk"))
        )
        .annotate(has_verified_representative=Exists(verified))
    )


def has_verified_representative(platform: Platform) -> bool:
    known = getattr(platform, "has_verified_representative", None)
    if known is not None:
        return bool(known)
    return platform.claims.filter(verified_at__isnull=False).exists()


@dataclass(frozen=True, slots=True)
class Declared:
    """One value a verified representative stated ("平台自报"), next to the registry's own value for the same field."""

    label: str
    value: str
    registry: str  # what the registry knows ("" when nothing)
    agrees: bool | None  # None: the registry has no value to compare with
    problem: str | None


def public_platforms() -> QuerySet[Platform]:
    return with_public_data(Platform.objects.filter(merged_into__isnull=True))


@dataclass(frozen=True, slots=True)
class Check:
    label: str
    value: str
    ok: bool | None  # None: nothing to check (not registered)
    note: str


def registration_checks(platform: Platform) -> list[Check]:
    """Company, credit code and ICP number: registered? well-formed? (Format only; the page says where to verify.)"""
    code, icp = platform.credit_code, platform.icp
    code_problem = credit_code_problem(code) if code else None
    icp_issue = icp_problem(icp) if icp else None
    return [
        Check(
            _("经营者"),
            platform.company,
            bool(platform.company) or None,
            "" if platform.company else _("本站尚无经营者信息"),
        ),
        Check(
            _("统一社会信用代码"),
            code,
            code_problem is None if code else None,
            code_problem
            or (
                _("格式和校验位正确；请到国家企业信用信息公示系统核对公司是否存在") if code else _("本站尚无")
            ),
        ),
        Check(
            _("ICP备案号"),
            normalize_icp(icp) if icp else "",
            # Unknown, not a fault: nobody has told this site the number yet (the red flags say where to look).
            icp_issue is None if icp else None,
            icp_issue
            or (
                _("格式正确；请到 beian.miit.gov.cn 核对它是否属于这个域名")
                if icp
                else _("本站尚无该平台的备案信息")
            ),
        ),
    ]


def _aliases(platform: Platform) -> list[PlatformAlias]:
    return list(platform.aliases.all())


def alias_rows(platform: Platform) -> list[dict[str, Any]]:
    """Aliases as public pages show them (merchant names of natural persons masked, punycode decoded)."""
    return [
        {
            "kind": a.kind,
            "kind_label": a.get_kind_display(),
            "value": display_domain(a.value) if a.kind == "domain" else a.public_label,
            "first_seen": a.first_seen,
        }
        for a in _aliases(platform)
    ]


def platform_facts(platform: Platform, summary: dict[str, Any]) -> sancha.PlatformFacts:
    try:
        s: PlatformStats | None = platform.stats
    except PlatformStats.DoesNotExist:
        s = None
    last_runaway = (
        s.last_runaway_at.astimezone(timezone.get_current_timezone()).date()
        if s and s.last_runaway_at
        else None
    )
    return sancha.PlatformFacts(
        company=platform.company,
        credit_code=platform.credit_code,
        credit_code_problem=credit_code_problem(platform.credit_code) if platform.credit_code else None,
        icp=platform.icp,
        icp_problem=icp_problem(platform.icp) if platform.icp else None,
        domains=tuple(
            (display_domain(a.value), timezone.localdate(a.first_seen))
            for a in _aliases(platform)
            if a.kind == "domain"
        ),
        complaints=summary["complaints"],
        unanswered=summary["unanswered"],
        last_runaway=last_runaway,
        runaway_recent=summary["runaway_recent"],
        terms_text=platform.terms_text,
        term_hits=sancha.find_void_terms(platform.terms_text),
    )


def declared_rows(platform: Platform) -> list[Declared]:
    """The platform's self-declared operator details, each beside the registry's value; never merged into it."""
    if platform.declared_at is None:
        return []
    rows = []
    for label, value, registry, problem in (
        (_("经营者全称"), platform.declared_company, platform.company, None),
        (
            _("统一社会信用代码"),
            platform.declared_credit_code,
            platform.credit_code,
            credit_code_problem(platform.declared_credit_code) if platform.declared_credit_code else None,
        ),
        (
            _("ICP备案号"),
            platform.declared_icp,
            normalize_icp(platform.icp) if platform.icp else "",
            icp_problem(platform.declared_icp) if platform.declared_icp else None,
        ),
    ):
        if value:
            agrees = (
                (normalize_icp(value) == registry if label == _("ICP备案号") else value == registry)
                if registry
                else None
            )
            rows.append(Declared(label, value, registry, agrees, problem))
    if platform.declared_odr:
        rows.append(Declared(_("12315 ODR企业"), _("是"), "", None, None))
    return rows


@dataclass(frozen=True, slots=True)
class Report:
    platform: Platform
    checks: list[Check]
    aliases: list[dict[str, Any]]
    summary: dict[str, Any]
    flags: list[sancha.RedFlag]
    verified: bool = False
    declared: tuple[Declared, ...] = ()

    @property
    def rating(self) -> dict[str, Any]:
        return self.summary["rating"]  # type: ignore[no-any-return]


def _self_declared_flag(platform: Platform, flag: sancha.RedFlag) -> sancha.RedFlag:
    """ "不知道背后的经营者" told differently when the platform's verified representative named the operator: the
    registry still has no verified value, so the warning stays, but it says what the platform states."""
    if flag.id != "no_operator" or not (platform.declared_company or platform.declared_credit_code):
        return flag
    who = "，".join(v for v in (platform.declared_company, platform.declared_credit_code) if v)
    return sancha.RedFlag(
        flag.id,
        "info",
        _("经营者只有平台自报"),
        _(
            "平台的认证代表自报经营者为：%(who)s。本站没有核实过：付款前请到国家企业信用信息公示系统核对公司，"
            "并看网站首页是否公示同一家公司的营业执照。"
        )
        % {"who": who},
        flag.basis,
    )


def report(platform: Platform, *, today: dt.date | None = None, prior: rating.Prior | None = None) -> Report:
    today = today or timezone.localdate()
    summary = stats.platform_summary(platform, today=today, prior=prior)
    flags = [
        _self_declared_flag(platform, f) for f in sancha.red_flags(platform_facts(platform, summary), today)
    ]
    return Report(
        platform,
        registration_checks(platform),
        alias_rows(platform),
        summary,
        flags,
        verified=has_verified_representative(platform),
        declared=tuple(declared_rows(platform)),
    )
