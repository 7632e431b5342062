"""Rendered pages kept in Django's cache framework, keyed by everything the page is derived from.

The case page is the most visited page and the most expensive one: the plan and a long template (about 12 ms of CPU)
for a view whose own work is three indexed queries. Its HTML only changes when the case changes (every change
appends to the case log, so ``log_head`` moves; ``updated_at`` covers plain saves), when the date changes (deadlines
count working days from today), or when the code, templates or rule data change (``BUILD``, a hash of them, is part
of every key). Per request, two slots are filled in: the CSRF token and the flash messages. The platform page is
kept the same way (weiquan.platforms.views), keyed by its statistics row.

Which cache: the ``pages`` alias when settings define one; else ``default`` when it is a shared or in-memory cache
(RedisCache when REDIS_URL is set: one render serves every worker and every machine); else — the embedded default,
whose ``default`` is the database cache, no faster than rendering and pruned at 300 entries — a cache in this
process (512 pages). Only the owner ever reaches a case page (the view loads the case with ``case_for_owner``
before asking here), and what is kept holds no token and no message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import BaseCache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

CSRF_SLOT = "weiquanCsrfTokenSlot"
MESSAGES_SLOT = mark_safe("<!--weiquan:messages-->")
MAX_PAGES = 512  # the in-process fallback only
TIMEOUT = 2 * 24 * 3600  # keys carry the date: a page is never served on another day, it just expires
# Fields a case-page key is made of: on a hit, the view loads only these (weiquan.cases.views.case_detail).
CASE_KEY_FIELDS = ("id", "public_id", "log_head", "updated_at", "status")
NOT_SHARED = ("django.core.cache.backends.db.DatabaseCache", "django.core.cache.backends.dummy.DummyCache")

_generation = 0  # bumped by clear(): this process stops finding what it kept, a shared cache is left alone
_local = LocMemCache("weiquan-pages", {"TIMEOUT": TIMEOUT, "OPTIONS": {"MAX_ENTRIES": MAX_PAGES}})


def page_cache() -> BaseCache:
    if "pages" in settings.CACHES:
        return caches["pages"]
    if settings.CACHES["default"]["BACKEND"] not in NOT_SHARED:
        return caches["default"]
    return _local


@cache
def build() -> str:
    """A hash of the code, templates and rule data (holidays included): pages of another build are never served."""
    root = Path(__file__).resolve().parent  # the weiquan package
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(root.rglob("*")):
        if (
            path.suffix in (".py", ".html", ".yaml", ".yml", ".json", ".txt", ".typ")
            and "migrations" not in path.parts
        ):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def key(case: Any, today: dt.date) -> str:
    return (
        f"weiquan:case-page:{generation()}:{case.pk}:{case.public_id}:{case.log_head}:"
        f"{case.updated_at.timestamp()}:{case.status}:{today.isoformat()}"
    )


def get(page_key: str) -> str | None:
    html = page_cache().get(page_key)
    return html if isinstance(html, str) else None


def put(page_key: str, html: str) -> None:
    page_cache().set(page_key, html, TIMEOUT)


def get_or_render(page_key: str, render: Callable[[], str]) -> str:
    html = get(page_key)
    if html is None:
        html = render()  # two requests may render the same page once each, harmlessly
        put(page_key, html)
    return html


def slots() -> dict[str, Any]:
    """Context for rendering a page to keep: placeholders instead of this request's token and messages."""
    return {"csrf_token": CSRF_SLOT, "messages_slot": MESSAGES_SLOT}


def personalise(html: str, request: HttpRequest) -> str:
    storage = get_messages(request)
    # Most requests have no flash message: no template to render for them (len() does not mark messages as read).
    messages = render_to_string("web/_messages.html", {"messages": storage}) if len(storage) else ""
    if CSRF_SLOT in html:
        html = html.replace(CSRF_SLOT, get_token(request))
    return html.replace(MESSAGES_SLOT, messages)


def generation() -> str:
    """The part of every key that changes with the code (``build``) and with ``clear``."""
    return f"{build()}.{_generation}"


def clear() -> None:
    """Forgets every kept page in this process (tests, the bench's uncached server); a shared cache keeps its own."""
    global _generation
    _generation += 1
    _local.clear()
