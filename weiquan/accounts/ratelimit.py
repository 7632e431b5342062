"""Failed log-in attempts, counted per username and per IP address in Django's cache.

Used by the API token endpoint and the web log-in page alike: call ``check`` before checking the password,
``register_failure`` after a wrong one and ``reset`` after a right one. Both counters allow
settings.LOGIN_RATE_LIMIT failures within settings.LOGIN_RATE_WINDOW seconds, the window starting at the first
failure.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _


def _keys(request: HttpRequest, username: str) -> list[str]:
    # Hashed, so any username (spaces, CJK, 200 characters) makes a valid key for every cache backend.
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy overwrites it.
    ip = request.META.get("REMOTE_ADDR") or "unknown"
    return [f"login-fail:user:{name}", f"login-fail:ip:{ip}"]


def _count(value: object, now: float) -> int:
    if isinstance(value, (list, tuple)) and len(value) == 2 and value[1] > now:
        return int(value[0])
    return 0


def check(request: HttpRequest, username: str) -> bool:
    """True while neither this username nor this address has used up its failed attempts."""
    now = time.time()
    counts = cache.get_many(_keys(request, username))
    return all(_count(v, now) < settings.LOGIN_RATE_LIMIT for v in counts.values())


def register_failure(request: HttpRequest, username: str) -> None:
    now = time.time()
    for key in _keys(request, username):
        # The value carries its own window end: cache.incr() of the database backend re-stores the value with the
        # default timeout, which would slide the window on every failure. Two failures at the same instant may
        # count once (read-modify-write); the limit stays within a few attempts of N, which is what it is for.
        value = cache.get(key)
        until = value[1] if _count(value, now) else now + settings.LOGIN_RATE_WINDOW
        cache.set(key, (_count(value, now) + 1, until), timeout=max(1, int(until - now) + 1))


def reset(request: HttpRequest, username: str) -> None:
    """After a successful log-in: forget this username's failures.

    The address counter is left to expire: otherwise whoever guesses at other people's passwords could clear it
    by logging into their own account between guesses.
    """
    cache.delete(_keys(request, username)[0])


def message() -> str:
    minutes = max(1, settings.LOGIN_RATE_WINDOW // 60)
    return _("登录失败次数过多，请 %(minutes)d 分钟后再试") % {"minutes": minutes}
