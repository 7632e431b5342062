"""The case log's hash rule, free of Django so an exported bundle can be checked on any machine (verify.py).

An entry's hash is the SHA-256 of the canonical JSON of its seq, time (UTC, microseconds), kind, payload and the
previous entry's hash. ``weiquan.cases.models.CaseEvent.compute_hash`` must give the same value; a test holds
them together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any


def canonical_json(data: Any) -> str:
    # Sorted keys and no whitespace: one byte string per value, whatever the dict order or the machine.
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_time(at: dt.datetime) -> str:
    """The time as the hash sees it: UTC with microseconds, so a round trip through any time zone keeps it."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(*, seq: int, at: str, kind: str, payload: Any, prev_hash: str) -> str:
    """``at`` is the string from ``event_time``; the manifest stores exactly that string."""
    body = {"seq": seq, "at": at, "kind": kind, "payload": payload, "prev_hash": prev_hash}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()
