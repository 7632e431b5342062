"""Limits on log-in, sign-up and publishing that protect accounts without letting anyone lock an owner out.

Log-in (the web page, the admin and the API token all go through ``RateLimitedModelBackend``):
- per (username, client address): LOGIN_RATE_LIMIT attempts per LOGIN_RATE_WINDOW seconds. A slot is taken
  *before* the password is checked, so 40 parallel guesses get at most LOGIN_RATE_LIMIT password checks; a
  successful log-in gives the pair its slots back.
- per client address: LOGIN_IP_RATE_LIMIT attempts (many user names from one address). Higher, because many
  Chinese mobile users share one carrier-grade NAT address; successful log-ins are refunded.
- per username, a slow-down, not a lockout: after LOGIN_SLOWDOWN_AFTER failures from anywhere, an address that has
  never logged into this account gets one password check per LOGIN_SLOWDOWN_SECONDS (shared by all such
  addresses). Addresses the owner logged in from before are not slowed down, so guessing from elsewhere never
  keeps the owner out.

The client address is REMOTE_ADDR, or the X-Forwarded-For entry the trusted proxies (WEIQUAN_TRUSTED_PROXIES)
saw, read from the right: every address a client writes itself is to the left of what our proxies appended.

Counters live in weiquan.accounts.counters (their own table, or Redis): never pruned while live, atomic.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from weiquan.accounts.counters import counters, key

KNOWN_FOR = 90 * 24 * 3600  # an address the owner logged in from stays exempt from the slow-down this long
LIMITED_ATTR = "weiquan_login_limited"


class Limited(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the client's address ---------------------------------------------------------------------------------------


@functools.cache
def _networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    return addr is not None and any(addr in net for net in _networks(settings.WEIQUAN_TRUSTED_PROXIES))


def client_ip(request: HttpRequest) -> str:
    """The address that reached our first trusted proxy (or us directly); never one a client could choose."""
    peer = _ip(request.META.get("REMOTE_ADDR") or "")
    if peer is None:
        return "unknown"
    if not _trusted(peer):
        return str(peer)
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        addr = _ip(hop)
        if addr is None:
            break  # garbage: the proxies' part of the list is over
        if not _trusted(addr):
            return str(addr)
    return str(peer)


# --- log-in ------------------------------------------------------------------------------------------------------


def _name(username: str) -> str:
    return username.strip().lower()


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


def before_password_check(request: HttpRequest, username: str) -> None:
    """Takes this attempt's slots, or raises ``Limited`` (nothing was counted then) before any password is hashed."""
    c, ip, name, window = counters(), client_ip(request), _name(username), settings.LOGIN_RATE_WINDOW
    pair, per_ip = key("login-pair", name, ip), key("login-ip", ip)
    lockout = Limited(_("登录失败次数过多，请 %(minutes)d 分钟后再试") % {"minutes": _minutes(window)})
    if not c.take(pair, settings.LOGIN_RATE_LIMIT, window):
        raise lockout
    if not c.take(per_ip, settings.LOGIN_IP_RATE_LIMIT, window):
        c.refund(pair)
        raise lockout
    # The slow-down's slot is taken only when it applies: one check per LOGIN_SLOWDOWN_SECONDS for all new addresses.
    slowed = c.count(key("login-fail", name)) >= settings.LOGIN_SLOWDOWN_AFTER
    known = slowed and c.count(key("login-known", name, ip)) > 0
    if slowed and not known and not c.take(key("login-slow", name), 1, settings.LOGIN_SLOWDOWN_SECONDS):
        c.refund(pair)
        c.refund(per_ip)
        raise Limited(
            _("这个账户近期有多次失败的登录尝试，为保护账户，请 %(seconds)d 秒后再试。")
            % {"seconds": settings.LOGIN_SLOWDOWN_SECONDS}
        )


def after_password_check(request: HttpRequest, username: str, ok: bool) -> None:
    c, ip, name = counters(), client_ip(request), _name(username)
    if ok:
        c.clear(key("login-pair", name, ip))
        c.refund(key("login-ip", ip))
        c.add(key("login-known", name, ip), KNOWN_FOR)
    else:
        c.add(key("login-fail", name), settings.LOGIN_RATE_WINDOW)


def limited_message(request: HttpRequest | None) -> str | None:
    """The Chinese message when the last authenticate() on this request was refused by a limit."""
    return getattr(request, LIMITED_ATTR, None)


class RateLimitedModelBackend(ModelBackend):
    """Django's ModelBackend behind the limits above: every authenticate() with a request is counted."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("username")
        if request is None or username is None or password is None:
            return super().authenticate(request, username, password, **kwargs)
        try:
            before_password_check(request, username)
        except Limited as exc:
            setattr(request, LIMITED_ATTR, exc.message)
            raise PermissionDenied(exc.message) from None  # stops authenticate(): no other backend tries
        user = super().authenticate(request, username, password, **kwargs)
        after_password_check(request, username, ok=user is not None)
        return user


# --- sign-up, publishing and anything else -------------------------------------------------------------------------


def allow(scope: str, *parts: object, limit: int, window: int) -> bool:
    """One more hit of ``scope`` for ``parts`` (an address, a user id …): True while within ``limit`` per ``window``.

    For new limits (a password-reset form, say): ``allow("reset", client_ip(request), limit=5, window=3600)``.
    """
    return counters().take(key(scope, *parts), limit, window)


def allow_signup(request: HttpRequest) -> str | None:
    """None if this address may create another account now, else the Chinese message."""
    if allow("signup", client_ip(request), limit=settings.SIGNUP_RATE_LIMIT, window=3600):
        return None
    return _("这个网络地址一小时内注册的账户太多，请稍后再试。")


def allow_publish(user: Any) -> str | None:
    if allow("publish", user.pk, limit=settings.PUBLISH_RATE_LIMIT, window=24 * 3600):
        return None
    return _("24 小时内最多提交 %(n)d 次公开投诉，请明天再试。") % {"n": settings.PUBLISH_RATE_LIMIT}
