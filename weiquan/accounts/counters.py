"""Fixed-window counters that every worker process and every machine shares, and that nothing prunes while live.

Used for the log-in, sign-up and publish limits and for the webhook replay guard. Django's database cache is not
fit for this: it deletes a third of its entries whenever it holds more than MAX_ENTRIES (300), live or not, so
an attacker who fills it with failed log-ins elsewhere wipes a victim's lockout.

Two stores, chosen by settings.WEIQUAN_COUNTERS:
- "db" (default): the accounts_ratecounter table. ``take`` is one conditional UPDATE (the database serialises
  concurrent UPDATEs of a row and re-checks the WHERE), so N parallel requests get at most ``limit`` slots.
  Expired rows are deleted now and then; a live one never is.
- "redis" (when REDIS_URL is set): SET NX EX + INCR in one MULTI, so the window starts with the first hit and INCR
  is atomic on the server.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import time
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When

PURGE_ONE_IN = 200  # about every 200th new window also deletes the rows whose window ended


def key(*parts: object) -> str:
    """A fixed-length key for any input (long, CJK or odd user names included)."""
    raw = "\x1f".join(str(p) for p in parts)
    return f"{parts[0]}:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


class Counters(Protocol):
    def take(self, key: str, limit: int, window: float) -> bool: ...
    def add(self, key: str, window: float) -> int: ...
    def count(self, key: str) -> int: ...
    def refund(self, key: str) -> None: ...
    def clear(self, key: str) -> None: ...


class DatabaseCounters:
    def _model(self) -> Any:
        from weiquan.accounts.models import RateCounter

        return RateCounter

    def _bump(self, key: str, limit: int | None, now: float, window: float) -> bool:
        expired = Q(until__lte=now)
        rows = self._model().objects.filter(key=key)
        if limit is not None:
            rows = rows.filter(expired | Q(count__lt=limit))
        # One statement: both CASEs read the row as it was, and a concurrent UPDATE waits for this one.
        return bool(
            rows.update(
                count=Case(When(expired, then=Value(1)), default=F("count") + 1),
                until=Case(When(expired, then=Value(now + window)), default=F("until")),
            )
        )

    def take(self, key: str, limit: int, window: float) -> bool:
        """Counts one hit and returns True if fewer than ``limit`` were counted in the current window."""
        if limit <= 0:
            return False
        now = time.time()
        if self._bump(key, limit, now, window):
            return True
        try:
            with transaction.atomic():
                self._model().objects.create(key=key, count=1, until=now + window)
        except IntegrityError:
            # The row exists: full, or created a moment ago by a parallel request.
            return self._bump(key, limit, now, window)
        if random.randrange(PURGE_ONE_IN) == 0:
            self._model().objects.filter(until__lte=now).delete()
        return True

    def add(self, key: str, window: float) -> int:
        now = time.time()
        if not self._bump(key, None, now, window):
            try:
                with transaction.atomic():
                    self._model().objects.create(key=key, count=1, until=now + window)
            except IntegrityError:
                self._bump(key, None, now, window)
        return self.count(key)

    def count(self, key: str) -> int:
        row = self._model().objects.filter(key=key, until__gt=time.time()).values_list("count", flat=True)
        return int(row.first() or 0)

    def refund(self, key: str) -> None:
        self._model().objects.filter(key=key, count__gt=0, until__gt=time.time()).update(count=F("count") - 1)

    def clear(self, key: str) -> None:
        self._model().objects.filter(key=key).delete()


_REFUND = "local v = tonumber(redis.call('GET', KEYS[1]) or '0') if v > 0 then return redis.call('DECR', KEYS[1]) end return 0"


class RedisCounters:
    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self._refund = self.redis.register_script(_REFUND)

    def add(self, key: str, window: float) -> int:
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(key, 0, ex=max(1, math.ceil(window)), nx=True)
        pipe.incr(key)
        return int(pipe.execute()[1])

    def take(self, key: str, limit: int, window: float) -> bool:
        return self.add(key, window) <= limit

    def count(self, key: str) -> int:
        return int(self.redis.get(key) or 0)

    def refund(self, key: str) -> None:
        self._refund(keys=[key])

    def clear(self, key: str) -> None:
        self.redis.delete(key)


@functools.cache
def _redis(url: str) -> RedisCounters:
    return RedisCounters(url)


def counters() -> Counters:
    if settings.WEIQUAN_COUNTERS == "redis":
        return _redis(settings.REDIS_URL)
    return DatabaseCounters()


def accept_once(token: str, window: float) -> bool:
    """True the first time ``token`` is seen within ``window`` seconds (a replay guard)."""
    return counters().take(key("once", token), 1, window)
