"""Claiming a platform by proving control of one of its domains, and the loaders that say who may act for whom.

A representative starts a claim on a domain that is registered as an alias of the platform, gets a random token,
and serves it at ``https://<domain>/.well-known/weiquan-verification.txt``. "Verify" fetches that URL (HTTPS first,
then HTTP; see ``weiquan.platforms.outbound`` for the safety rules) and marks the claim verified when the body is
the token.

Who may act for a platform: a user with a verified claim whose domain is still a domain alias of the platform's
group — the platform and every platform merged into it. A merge moves aliases and complaints to the surviving
platform (weiquan.platforms.linking.merge), so a claim proven on a merged-away platform's domain carries over to
the survivor with the domain; a domain the operator removes from the registry (sold, taken over) ends the claim.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from weiquan.platforms.models import Platform, PlatformAlias, PlatformClaim
from weiquan.platforms.outbound import OutboundError, request
from weiquan.platforms.validation import normalize_domain
from weiquan.public.models import PublicComplaint

WELL_KNOWN_PATH = "/.well-known/weiquan-verification.txt"
TIMEOUT = 5.0
MAX_BYTES = 1024
MAX_REDIRECTS = 3
RECHECK_AFTER = 10  # seconds between two checks of one claim


class ClaimError(Exception):
    """A claim that cannot be started or verified; the message says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- domains ----------------------------------------------------------------------------------------------------


def normalise(raw: str) -> str:
    """The domain as aliases store it, with an explicit port kept (some 卡盟 sites live on :8080).

    The registry's normaliser decides the host part (IDN, www., case); aliases store that host without the port,
    and whoever controls a port of the host controls the host.
    """
    text = raw.strip()
    if "://" not in text:
        text = "//" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    try:
        host = normalize_domain(host) if host else ""
    except ValidationError:
        host = ""
    return f"{host}:{port}" if host and port and port not in (80, 443) else host


def host_of(domain: str) -> str:
    """The alias a claimed domain stands for: its host without the port (aliases never carry one)."""
    return urlsplit(f"//{domain}").hostname or ""


def group_ids(platform: Platform) -> set[int]:
    """The platform and every platform merged into it, directly or through another merge."""
    ids, frontier = {platform.pk}, {platform.pk}
    while frontier:
        frontier = set(Platform.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    return ids


def find_platform(domain: str) -> Platform | None:
    alias = (
        PlatformAlias.objects.select_related("platform").filter(kind="domain", value=host_of(domain)).first()
    )
    return alias.platform.active if alias else None


def domain_belongs(group: set[int], domain: str) -> bool:
    return PlatformAlias.objects.filter(kind="domain", value=host_of(domain), platform_id__in=group).exists()


# --- who may act for whom -----------------------------------------------------------------------------------------


def represented_ids(user: Any) -> set[int]:
    """Ids of every platform the user may act for (empty for anyone without a verified claim)."""
    if not user.is_authenticated:
        return set()
    ids: set[int] = set()
    for claim in PlatformClaim.objects.filter(user=user, verified_at__isnull=False).select_related(
        "platform"
    ):
        group = group_ids(claim.platform.active)
        if not group <= ids and domain_belongs(group, claim.domain):
            ids |= group
    return ids


def platform_for_representative(user: Any, public_id: Any) -> Platform:
    """The one loader for the portal's platform pages: outsiders and unverified representatives get 404."""
    try:
        platform = Platform.objects.get(public_id=public_id)
    except (Platform.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404(_("平台不存在")) from exc
    if platform.pk not in represented_ids(user):
        raise Http404(_("平台不存在"))
    return platform


def complaint_for_representative(user: Any, public_id: Any, ids: set[int] | None = None) -> PublicComplaint:
    """A published complaint against a platform the user represents; any other complaint is 404."""
    ids = represented_ids(user) if ids is None else ids
    try:
        return PublicComplaint.objects.visible().get(public_id=public_id, platform_id__in=ids)
    except (PublicComplaint.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404(_("投诉不存在")) from exc


def claim_for_user(user: Any, platform_public_id: Any) -> PlatformClaim:
    """The user's own latest claim on a platform; 404 for anyone else (a token is never shown to another user)."""
    claim = None
    if user.is_authenticated:
        try:
            claim = (
                PlatformClaim.objects.select_related("platform")
                .filter(user=user, platform__public_id=platform_public_id)
                .order_by(F("verified_at").desc(nulls_last=True), "-created_at")
                .first()
            )
        except (ValidationError, ValueError, TypeError):
            claim = None
    if claim is None:
        raise Http404(_("认领不存在"))
    return claim


# --- starting and verifying a claim -------------------------------------------------------------------------------


def start_claim(user: Any, raw_domain: str) -> PlatformClaim:
    """Find the platform by one of its domains and give the user a claim (and token) for it.

    At most one unverified claim per user and platform: asking again with another of its domains moves that claim
    to the new domain and keeps its token, so a file already uploaded elsewhere stays valid.
    """
    domain = normalise(raw_domain)
    if not domain:
        raise ClaimError(_("请填写平台的域名，例如 example.com"))
    platform = find_platform(domain)
    if platform is None:
        raise ClaimError(
            _("登记的平台里没有域名 %(domain)s。请填写平台已登记的域名，或先通过案件把平台登记进来。")
            % {"domain": domain}
        )
    with transaction.atomic():
        claims = PlatformClaim.objects.select_for_update().filter(user=user, platform=platform)
        verified = claims.filter(verified_at__isnull=False).first()
        if verified is not None:
            return verified
        claim = claims.first()
        if claim is None:
            return PlatformClaim.objects.create(user=user, platform=platform, domain=domain)
        if claim.domain != domain:
            claim.domain = domain
            claim.save(update_fields=["domain"])
        return claim


def verification_urls(domain: str) -> list[str]:
    return [f"https://{domain}{WELL_KNOWN_PATH}", f"http://{domain}{WELL_KNOWN_PATH}"]


def serves_token(domain: str, token: str) -> list[str]:
    """Whether the domain serves the token at the well-known URL: [] when it does, else what went wrong.

    HTTPS is tried first, then HTTP. Redirects are followed only within the same host (http → https, a trailing
    slash); one to another host is refused, or anybody could "prove" a domain by redirecting to a file on a site
    they control.
    """
    problems: list[str] = []
    host = urlsplit(f"//{domain}").hostname
    for start in verification_urls(domain):
        url = start
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                resp = request("GET", url, timeout=TIMEOUT, max_bytes=MAX_BYTES)
            except OutboundError as exc:
                problems.append(f"{url}：{exc.message}")
                break
            if resp.status in (301, 302, 303, 307, 308) and resp.location:
                target = urljoin(url, resp.location)
                if urlsplit(target).hostname != host or urlsplit(target).scheme not in ("http", "https"):
                    problems.append(
                        _("%(url)s：重定向到了其他网站（%(target)s），不跟随")
                        % {"url": url, "target": target}
                    )
                    break
                url = target
                continue
            if resp.status != 200:
                problems.append(
                    _("%(url)s：返回状态 %(status)s，应为 200") % {"url": url, "status": resp.status}
                )
            elif hmac.compare_digest(resp.body.removeprefix(b"\xef\xbb\xbf").strip(), token.encode()):
                return []
            else:
                problems.append(_("%(url)s：文件内容与令牌不一致") % {"url": url})
            break
        else:
            problems.append(_("%(url)s：重定向次数过多") % {"url": url})
    return problems


def verify_claim(claim: PlatformClaim) -> PlatformClaim:
    """Check the claim's domain for its token; mark the claim verified or raise ClaimError saying why not.

    The fetch (up to two URLs, 5 s each) runs outside any transaction; only the final UPDATE touches the database.
    """
    if claim.verified:
        return claim
    if not domain_belongs(group_ids(claim.platform.active), claim.domain):
        raise ClaimError(_("域名 %(domain)s 已不是该平台登记的域名") % {"domain": claim.domain})
    # Each check makes up to two outbound requests to an address the user chose: not more often than this.
    if not cache.add(f"weiquan:claim-check:{claim.pk}", 1, timeout=RECHECK_AFTER):
        raise ClaimError(_("刚刚验证过，请 %(s)s 秒后再试") % {"s": RECHECK_AFTER})
    problems = serves_token(claim.domain, claim.token)
    if problems:
        raise ClaimError(_("验证没有通过：") + "；".join(problems))
    PlatformClaim.objects.filter(pk=claim.pk, verified_at__isnull=True).update(verified_at=timezone.now())
    claim.refresh_from_db(fields=["verified_at"])
    return claim
