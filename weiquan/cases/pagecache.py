"""Rendered case pages, kept in this process and keyed by everything the page is derived from.

The case page is the most visited page and the most expensive one: the plan (about 3 ms) and a long template
(about 10 ms) for a view whose own work is three indexed queries. Its HTML only changes when the case changes (every
change appends to the case log, so ``log_head`` moves; ``updated_at`` covers plain saves), when the date changes
(deadlines count working days from today), or when the code or holiday data change (a new process, so an empty
cache). Per request, two slots are filled in: the CSRF token and the flash messages.

Per-process on purpose: no cache round trip, and a deploy starts empty. Only the owner ever reaches a page
(the view loads the case with ``case_for_owner`` before asking here).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.contrib.messages import get_messages
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

CSRF_SLOT = "weiquanCsrfTokenSlot"
MESSAGES_SLOT = mark_safe("<!--weiquan:messages-->")
MAX_PAGES = 512

_pages: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_lock = threading.Lock()


def key(case: Any, today: dt.date) -> tuple[Any, ...]:
    return (case.pk, case.public_id, case.log_head, case.updated_at, case.status, today)


def get_or_render(page_key: tuple[Any, ...], render: Callable[[], str]) -> str:
    with _lock:
        html = _pages.get(page_key)
        if html is not None:
            _pages.move_to_end(page_key)
            return html
    html = render()  # outside the lock: two threads may render the same page once each, harmlessly
    with _lock:
        _pages[page_key] = html
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
    return html


def slots() -> dict[str, Any]:
    """Context for rendering a page to keep: placeholders instead of this request's token and messages."""
    return {"csrf_token": CSRF_SLOT, "messages_slot": MESSAGES_SLOT}


def personalise(html: str, request: HttpRequest) -> str:
    messages = render_to_string("web/_messages.html", {"messages": get_messages(request)})
    return html.replace(CSRF_SLOT, get_token(request)).replace(MESSAGES_SLOT, messages)


def clear() -> None:
    with _lock:
        _pages.clear()
