"""Cases to platforms: find or create the registry entry a case is about, search the registry, merge duplicates.

卡盟 sites change domains often and consumers name them loosely, so one platform carries many aliases: domains
(normalised), names and payment merchant names (folded by ``name_key``). A case is matched by domain first (the
strongest identifier), then by the merchant name on the payment receipt, then by the name the consumer typed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from weiquan.cases.models import Case
from weiquan.platforms import rating, stats
from weiquan.platforms.models import Platform, PlatformAlias, PlatformMerge
from weiquan.platforms.validation import (
    credit_code_problem,
    domain_or_none,
    icp_problem,
    normalize_icp,
    parent_domains,
)
from weiquan.public.models import CollectiveComplaint, PublicComplaint

# Punctuation and symbols that consumers add or drop at will: 「某某卡盟」, 某某 卡盟, 某某卡盟（官方）…
_FOLD = re.compile(r"[\s\W_]+", re.UNICODE)


class MergeError(ValueError):
    """A merge that cannot be done; the message is shown to the operator as it is."""


def name_key(value: str) -> str:
    """A name as a matching key: full-width folded (NFKC), lower case, without spaces and punctuation."""
    return _FOLD.sub("", unicodedata.normalize("NFKC", value or "").casefold())[:253]


def case_keys(case: Case) -> list[tuple[str, str, str]]:
    """(kind, key, label) for each identifier the case gives, strongest first."""
    keys: list[tuple[str, str, str]] = []
    domain = domain_or_none(case.platform_domain)
    if domain:
        keys.append(("domain", domain, domain))
    for kind, raw in (("merchant", case.platform_merchant_name), ("name", case.platform_name)):
        key = name_key(raw)
        if key:
            keys.append((kind, key, raw.strip()[:253]))
    return keys


def _alias_match(kind: str, key: str) -> PlatformAlias | None:
    aliases = PlatformAlias.objects.select_related("platform")
    alias = aliases.filter(kind=kind, value=key).first()
    if alias is None and kind == "domain":
        # shop.example.com is example.com's: take the nearest registered parent.
        parents = parent_domains(key)
        found = {a.value: a for a in aliases.filter(kind="domain", value__in=parents)}
        alias = next((found[p] for p in parents if p in found), None)
    return alias


def _find(keys: list[tuple[str, str, str]]) -> Platform | None:
    for kind, key, _label in keys:
        alias = _alias_match(kind, key)
        if alias is not None:
            return alias.platform.active
    return None


def _registration_from(case: Case) -> dict[str, str]:
    """The operator details a consumer wrote down, keeping only those that pass the format checks."""
    data = {"company": case.platform_company.strip(), "address": case.platform_address.strip()}
    if case.platform_credit_code and credit_code_problem(case.platform_credit_code) is None:
        data["credit_code"] = unicodedata.normalize("NFKC", case.platform_credit_code).strip().upper()
    if case.platform_icp and icp_problem(case.platform_icp) is None:
        data["icp"] = normalize_icp(case.platform_icp)
    return {k: v for k, v in data.items() if v}


def _create(case: Case, keys: list[tuple[str, str, str]]) -> Platform:
    label = case.platform_name.strip() or (keys[0][2] if keys else "") or _("未命名平台")
    # One consumer's word fills a new entry's registration details; it never overwrites an existing entry's
    # (an operator edits those in the admin), so a single case cannot rewrite a platform's public record.
    return Platform.objects.create(name=label[:200], **_registration_from(case))


def _learn(platform: Platform, keys: list[tuple[str, str, str]]) -> None:
    """Add the case's identifiers that no platform holds yet; one held by another platform stays there."""
    for kind, key, label in keys:
        try:
            with transaction.atomic():
                PlatformAlias.objects.get_or_create(
                    kind=kind, value=key, defaults={"platform": platform, "label": label}
                )
        except IntegrityError:  # another request learned it a moment ago
            pass


def link_case(case: Case) -> Platform | None:
    """The platform this case is about, found (domain, then merchant, then name) or created; sets case.platform.

    Idempotent: a second call finds the same platform and adds nothing. A case that names no platform at all
    (no domain, merchant or name) is left unlinked and None is returned.
    """
    keys = case_keys(case)
    if case.platform_id is not None:
        platform: Platform | None = case.platform.active
    else:
        platform = _find(keys)
    if platform is None:
        if not keys:
            return None
        try:
            with transaction.atomic():
                platform = _create(case, keys)
                kind, key, label = keys[0]
                PlatformAlias.objects.create(platform=platform, kind=kind, value=key, label=label)
        except IntegrityError:
            # Two cases about the same new site linked at once: the other one created it; use theirs.
            platform = _find(keys)
            if platform is None:
                raise
    _learn(platform, keys)
    if case.platform_id != platform.pk:
        case.platform = platform
        # A queryset update: linking is bookkeeping, not a change to the case (its page and log stay as they are).
        Case.objects.filter(pk=case.pk).update(platform=platform)
    return platform


def link_case_on_signal(sender: object, case: Case, **kwargs: object) -> None:
    """Receiver of ``weiquan.cases.signals.platform_details_stored`` (connected in PlatformsConfig.ready)."""
    link_case(case)


def find_platforms(q: str) -> QuerySet[Platform]:
    """Active platforms matching a domain, name or merchant name (prefix or contained), merged ones followed.

    A merged-away platform's old name still finds the platform that absorbed it.
    """
    q = (q or "").strip()
    key = name_key(q)
    if not key:
        return Platform.objects.none()
    alias_q = Q(kind__in=("name", "merchant"), value__contains=key)
    domain = domain_or_none(q) if "." in q or "。" in q else None
    if domain:
        alias_q |= Q(kind="domain", value__startswith=domain) | Q(
            kind="domain", value__in=parent_domains(domain)
        )
    else:
        alias_q |= Q(kind="domain", value__startswith=q.lower())
    hits = Platform.objects.filter(
        Q(pk__in=PlatformAlias.objects.filter(alias_q).values("platform_id"))
        | Q(name__icontains=q)
        | Q(company__icontains=q)
    ).values("pk")
    absorbed_by = Platform.objects.filter(pk__in=hits, merged_into__isnull=False).values("merged_into_id")
    return (
        Platform.objects.filter(merged_into__isnull=True)
        .filter(Q(pk__in=hits) | Q(pk__in=absorbed_by))
        .order_by(F("stats__complaints").desc(nulls_last=True), "name", "pk")
    )


def merge(source: Platform, target: Platform, actor: Any = None, note: str = "") -> PlatformMerge:
    """Fold ``source`` into ``target``: aliases, cases and complaints move; source stays as history.

    1. Lock both rows (in id order, so two opposite merges cannot deadlock) and re-read them.
    2. Move aliases, cases, complaints and collective complaints; earlier merges into source now point at target.
    3. Fill target's blank registration fields from source, keep source's name as an alias of target.
    4. Mark source merged, write the PlatformMerge row, recompute both platforms' statistics and the prior.
    """

    with transaction.atomic():
        locked = {p.pk: p for p in Platform.objects.select_for_update().filter(pk__in=[source.pk, target.pk])}
        src, dst = locked.get(source.pk), locked.get(target.pk)
        if src is None or dst is None:
            raise MergeError(_("平台不存在"))
        if dst.merged_into_id is not None:
            dst = dst.active
        if src.pk == dst.pk:
            raise MergeError(_("不能把平台合并到它自己"))
        if src.merged_into_id is not None:
            raise MergeError(_("“%(name)s”已经合并到其他平台") % {"name": src.name})

        PlatformAlias.objects.filter(platform=src).update(platform=dst)
        Case.objects.filter(platform=src).update(platform=dst)
        PublicComplaint.objects.filter(platform=src).update(platform=dst)
        CollectiveComplaint.objects.filter(platform=src).update(platform=dst)
        Platform.objects.filter(merged_into=src).update(merged_into=dst)

        changed = [
            f for f in ("company", "credit_code", "icp", "address", "terms_text") if not getattr(dst, f)
        ]
        for field in changed:
            setattr(dst, field, getattr(src, field))
        dst.save(update_fields=changed)
        _learn(dst, [("name", name_key(src.name), src.name)] if name_key(src.name) else [])

        src.merged_into = dst
        src.save(update_fields=["merged_into"])
        record = PlatformMerge.objects.create(source=src, target=dst, actor=actor, note=note[:300])
        stats.recompute(src)
        stats.recompute(dst)
        rating.refresh_prior()
    source.merged_into = dst
    return record
