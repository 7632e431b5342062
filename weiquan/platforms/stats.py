"""Per-platform statistics, kept up to date event by event so a page view reads one row and never scans complaints.

The public-complaint code calls one function per event, inside the transaction that changes the complaint, after
it has set the complaint's fields:

    on_published(c)           status → published (c.published_at set). Adds the complaint's whole contribution,
                              including a reply or confirmation it already carries (imports, re-publication).
    on_unpublished(c)         a moderator takes a published complaint down (status → rejected). Removes its whole
                              contribution again (a withdrawn one's ``withdrawn`` count too, by c.withdrawn_at).
    on_withdrawn(c)           the consumer withdraws (status → withdrawn). It still counts, anonymously:
                              ``complaints`` keeps it, ``withdrawn`` += 1.
    on_first_reply(c, at)     the platform's first public reply (c.first_reply_at = at).
    on_later_reply(c)         any further public reply by the platform.
    on_confirmed(c, ok, previous=None)
                              the consumer says the complaint was resolved (ok=True) or not; ``previous`` is their
                              earlier answer if they change it.

Each function locks the platform's stats row (``select_for_update``), so two events at once cannot lose a count;
on SQLite, writes are serialised anyway. ``recompute`` derives the same numbers from the complaints, and the
``recompute_stats`` command reports any difference.

What is counted: complaints that were published (withdrawn ones included), never pending or rejected ones. Working
hours are 09:00–18:00 (9 hours) on Chinese working days (weiquan.domain.workdays: holidays and 调休 included),
Beijing time, from publication to the first reply; a complaint published on a Friday evening and answered on Monday
at 10:00 waited one working hour.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, IntegerField, Max, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from weiquan.domain.workdays import SHANGHAI, WorkCalendar, default_calendar
from weiquan.platforms import rating
from weiquan.platforms.models import Platform, PlatformStats
from weiquan.public.models import ComplaintReply, PublicComplaint

RUNAWAY_TYPES = frozenset({"fraud_runaway"})  # taxonomy: 平台欺诈/跑路
COUNTED = ("published", "withdrawn")
WORK_START, WORK_END = dt.time(9), dt.time(18)
WORK_HOURS_PER_DAY = 9
MAX_HOURS_BUCKET = 2000  # replies later than this many working hours (about 10 months) share one bucket
AMOUNT_EDGES = (0, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000)
Z95 = 1.959963984540054

# Fields compared by recompute_stats (rating is derived, updated_at is bookkeeping).
FIELDS = (
    "complaints",
    "withdrawn",
    "replied",
    "replied_backed",
    "resolved_confirmed",
    "resolved_backed",
    "answered",
    "payment_backed",
    "runaway",
    "runaway_backed",
    "public_replies",
    "amount_total",
    "amount_count",
    "amount_hist",
    "reply_hours",
    "by_month",
    "runaway_by_month",
    "last_runaway_at",
)


# --- pure helpers ------------------------------------------------------------------------------------------------


def working_hours(start: dt.datetime, end: dt.datetime, cal: WorkCalendar | None = None) -> float:
    """Hours of 09:00–18:00 on working days between two moments (Beijing time)."""
    cal = cal or default_calendar()
    start, end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    if end <= start:
        return 0.0

    def part(day: dt.date) -> float:
        if not cal.is_workday(day):
            return 0.0
        lo = max(start, dt.datetime.combine(day, WORK_START, SHANGHAI))
        hi = min(end, dt.datetime.combine(day, WORK_END, SHANGHAI))
        return max((hi - lo).total_seconds(), 0.0)

    first, last = start.date(), end.date()
    seconds = part(first) if first == last else part(first) + part(last)
    if (last - first).days > 1:
        seconds += WORK_HOURS_PER_DAY * 3600 * cal.workdays_between(first, last - dt.timedelta(days=1))
    return seconds / 3600


def hours_bucket(hours: float) -> str:
    """Whole working hours, rounded up (a reply within the first working hour is "1")."""
    return str(min(math.ceil(round(hours, 6)), MAX_HOURS_BUCKET))


def amount_bucket(amount: Decimal) -> str:
    """The lower edge of the 1-2-5 bucket holding ``amount`` (10 ≤ 15 < 20 → "10")."""
    edge = AMOUNT_EDGES[0]
    for e in AMOUNT_EDGES:
        if amount >= e:
            edge = e
    return str(edge)


def month_key(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95 % Wilson score interval for k successes out of n (8/10 → 0.490–0.943); (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At k = 0 or k = n the bound is exactly 0 or 1; floating point would give 5e-17 or 0.9999999999999999.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def histogram_median(hist: Mapping[str, int]) -> float | None:
    """Median of a {value: count} histogram (mean of the two middle values when the count is even)."""
    items = sorted((int(k), v) for k, v in hist.items() if v > 0)
    n = sum(v for _, v in items)
    if n == 0:
        return None
    ranks = ((n + 1) // 2, n // 2 + 1)
    found: list[int] = []
    seen = 0
    for value, count in items:
        seen += count
        while len(found) < 2 and seen >= ranks[len(found)]:
            found.append(value)
    return (found[0] + found[1]) / 2


def _bump(counter: dict[str, int], key: str, sign: int) -> None:
    value = counter.get(key, 0) + sign
    if value > 0:
        counter[key] = value
    else:
        counter.pop(key, None)


def is_runaway(problem_type: str) -> bool:
    return problem_type in RUNAWAY_TYPES


# --- incremental updates -----------------------------------------------------------------------------------------


def _active_id(platform_id: int) -> int:
    pid: int | None = platform_id
    while True:
        nxt = Platform.objects.filter(pk=pid).values_list("merged_into_id", flat=True).first()
        if nxt is None:
            return pid  # type: ignore[return-value]
        pid = nxt


def _locked(platform_id: int) -> PlatformStats:
    pid = _active_id(platform_id)
    PlatformStats.objects.get_or_create(platform_id=pid)  # get_or_create survives a concurrent create
    return PlatformStats.objects.select_for_update().get(platform_id=pid)


def _save(s: PlatformStats) -> None:
    s.rating = rating.rate_stats(s, rating.current_prior()).score
    s.save()


def _reply(s: PlatformStats, c: Any, at: dt.datetime, sign: int) -> None:
    s.replied += sign
    s.replied_backed += sign * c.payment_backed
    s.public_replies += sign
    _bump(s.reply_hours, hours_bucket(working_hours(c.published_at, at)), sign)


def _confirmation(s: PlatformStats, c: Any, answer: bool | None, sign: int) -> None:
    if answer is None:
        return
    s.answered += sign
    if answer:
        s.resolved_confirmed += sign
        s.resolved_backed += sign * c.payment_backed


def _contribution(s: PlatformStats, c: Any, sign: int, *, later_replies: int = 0) -> None:
    s.complaints += sign
    s.payment_backed += sign * c.payment_backed
    if c.status == "withdrawn" or getattr(c, "withdrawn_at", None) is not None:
        s.withdrawn += sign
    month = month_key(c.published_at)
    _bump(s.by_month, month, sign)
    if is_runaway(c.problem_type):
        s.runaway += sign
        s.runaway_backed += sign * c.payment_backed
        _bump(s.runaway_by_month, month, sign)
        if sign > 0 and (s.last_runaway_at is None or c.published_at > s.last_runaway_at):
            s.last_runaway_at = c.published_at
    if c.amount is not None:
        s.amount_total += sign * c.amount
        s.amount_count += sign
        _bump(s.amount_hist, amount_bucket(c.amount), sign)
    if c.first_reply_at is not None:
        _reply(s, c, c.first_reply_at, sign)
    s.public_replies += sign * later_replies
    _confirmation(s, c, c.consumer_confirmed, sign)


def _platform_replies(c: Any) -> int:
    return int(c.replies.filter(author="platform").count()) if c.pk else 0


def on_published(complaint: Any) -> None:
    if complaint.published_at is None:
        complaint.published_at = timezone.now()
    later = max(_platform_replies(complaint) - (complaint.first_reply_at is not None), 0)
    with transaction.atomic():
        s = _locked(complaint.platform_id)
        _contribution(s, complaint, +1, later_replies=later)
        _save(s)


def on_unpublished(complaint: Any) -> None:
    if complaint.published_at is None:
        return

    later = max(_platform_replies(complaint) - (complaint.first_reply_at is not None), 0)
    with transaction.atomic():
        s = _locked(complaint.platform_id)
        _contribution(s, complaint, -1, later_replies=later)
        if is_runaway(complaint.problem_type) and s.last_runaway_at == complaint.published_at:
            # A maximum cannot be "un-maxed": ask the index for the next latest report (a rare event).
            s.last_runaway_at = (
                PublicComplaint.objects.filter(
                    platform_id=s.platform_id,
                    status__in=COUNTED,
                    published_at__isnull=False,
                    problem_type__in=RUNAWAY_TYPES,
                )
                .exclude(pk=complaint.pk)
                .aggregate(m=Max("published_at"))["m"]
            )
        _save(s)


def on_withdrawn(complaint: Any) -> None:
    if complaint.published_at is None:  # withdrawn while still pending: it was never counted
        return
    with transaction.atomic():
        s = _locked(complaint.platform_id)
        s.withdrawn += 1
        _save(s)


def on_first_reply(complaint: Any, at: dt.datetime) -> None:
    if complaint.published_at is None:
        return
    with transaction.atomic():
        s = _locked(complaint.platform_id)
        _reply(s, complaint, at, +1)
        _save(s)


def on_later_reply(complaint: Any) -> None:
    if complaint.published_at is None:
        return
    with transaction.atomic():
        s = _locked(complaint.platform_id)
        s.public_replies += 1
        s.save(update_fields=["public_replies", "updated_at"])


def on_confirmed(complaint: Any, confirmed: bool, previous: bool | None = None) -> None:
    """Only the consumer's own answer counts as resolved (a platform saying "已解决" does not)."""
    if complaint.published_at is None or previous == confirmed:
        return
    with transaction.atomic():
        s = _locked(complaint.platform_id)
        _confirmation(s, complaint, previous, -1)
        _confirmation(s, complaint, confirmed, +1)
        _save(s)


# --- from scratch ------------------------------------------------------------------------------------------------


def _counted(platform: Platform) -> Any:
    return PublicComplaint.objects.filter(platform=platform, status__in=COUNTED, published_at__isnull=False)


def _bucket_expression() -> Case:
    whens = [
        When(amount__lt=upper, then=Value(lower))
        for lower, upper in zip(AMOUNT_EDGES, AMOUNT_EDGES[1:], strict=False)
    ]
    return Case(*whens, default=Value(AMOUNT_EDGES[-1]), output_field=IntegerField())


def compute(platform: Platform) -> dict[str, Any]:
    """Every counter of ``platform`` derived from its complaints: SQL aggregates, plus one pass over the
    (publication, first reply) pairs, since working hours need the holiday calendar."""

    qs = _counted(platform)
    backed, runaway = Q(payment_backed=True), Q(problem_type__in=RUNAWAY_TYPES)
    replied = Q(first_reply_at__isnull=False)
    resolved = Q(consumer_confirmed=True)
    # Aliases are prefixed: an aggregate may not share its name with a field its filters use.
    raw = qs.aggregate(
        x_complaints=Count("pk"),
        x_withdrawn=Count("pk", filter=Q(status="withdrawn")),
        x_replied=Count("pk", filter=replied),
        x_replied_backed=Count("pk", filter=replied & backed),
        x_resolved_confirmed=Count("pk", filter=resolved),
        x_resolved_backed=Count("pk", filter=resolved & backed),
        x_answered=Count("pk", filter=Q(consumer_confirmed__isnull=False)),
        x_payment_backed=Count("pk", filter=backed),
        x_runaway=Count("pk", filter=runaway),
        x_runaway_backed=Count("pk", filter=runaway & backed),
        x_amount_total=Sum("amount"),
        x_amount_count=Count("amount"),
        x_last_runaway_at=Max("published_at", filter=runaway),
    )
    agg = {key[2:]: value for key, value in raw.items()}
    agg["amount_total"] = agg["amount_total"] or Decimal("0")
    by_month: dict[str, int] = {}
    runaway_by_month: dict[str, int] = {}
    months = (
        qs.annotate(month=TruncMonth("published_at", tzinfo=SHANGHAI))
        .values("month")
        .annotate(n=Count("pk"), r=Count("pk", filter=runaway))
    )
    for row in months:
        key = month_key(row["month"])
        by_month[key] = by_month.get(key, 0) + row["n"]
        if row["r"]:
            runaway_by_month[key] = runaway_by_month.get(key, 0) + row["r"]
    amount_hist = {
        str(row["bucket"]): row["n"]
        for row in qs.filter(amount__isnull=False)
        .annotate(bucket=_bucket_expression())
        .values("bucket")
        .annotate(n=Count("pk"))
    }
    reply_hours: dict[str, int] = {}
    cal = default_calendar()
    for published_at, first_reply_at in (
        qs.filter(replied).values_list("published_at", "first_reply_at").iterator()
    ):
        _bump(reply_hours, hours_bucket(working_hours(published_at, first_reply_at, cal)), +1)
    public_replies = ComplaintReply.objects.filter(complaint__in=qs, author="platform").count()
    return {
        **agg,
        "public_replies": public_replies,
        "amount_hist": amount_hist,
        "reply_hours": reply_hours,
        "by_month": by_month,
        "runaway_by_month": runaway_by_month,
    }


def differences(stored: PlatformStats | None, fresh: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{field: (stored, recomputed)} for every field that disagrees."""
    out = {}
    for field in FIELDS:
        old = (
            getattr(stored, field)
            if stored is not None
            else PlatformStats._meta.get_field(field).get_default()
        )
        new = fresh[field]
        if isinstance(old, Decimal) or isinstance(new, Decimal):
            same = Decimal(old or 0) == Decimal(new or 0)
        else:
            same = old == new
        if not same:
            out[field] = (old, new)
    return out


def recompute(platform: Platform, fresh: Mapping[str, Any] | None = None) -> PlatformStats:
    fresh = fresh if fresh is not None else compute(platform)
    with transaction.atomic():
        PlatformStats.objects.get_or_create(platform=platform)
        s = PlatformStats.objects.select_for_update().get(platform=platform)
        for field in FIELDS:
            setattr(s, field, fresh[field])
        _save(s)
    return s


# --- reading -----------------------------------------------------------------------------------------------------


def rate_dict(k: int, n: int) -> dict[str, Any]:
    low, high = wilson(k, n)
    return {
        "k": k,
        "n": n,
        "rate": round(k / n, 4) if n else None,
        "low": round(low, 4) if n else None,
        "high": round(high, 4) if n else None,
        "sufficient": n >= rating.MIN_SAMPLE,
    }


def last_months(today: dt.date, count: int = 12) -> list[str]:
    y, m = today.year, today.month
    keys = []
    for _ in range(count):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return keys[::-1]


def _median_amount_bucket(hist: Mapping[str, int]) -> tuple[int, int | None] | None:
    """The 1-2-5 bucket holding the (lower) median amount, as (lower, upper) yuan; upper None for the top one.

    Amounts are kept as a histogram (no scan), so the median is known to its bucket, and is shown as a range.
    """
    items = sorted((int(k), v) for k, v in hist.items() if v > 0)
    n = sum(v for _, v in items)
    if n == 0:
        return None
    seen = 0
    for lower, count in items:
        seen += count
        if seen >= (n + 1) // 2:
            i = AMOUNT_EDGES.index(lower)
            return lower, AMOUNT_EDGES[i + 1] if i + 1 < len(AMOUNT_EDGES) else None
    return None


def _series(counter: Mapping[str, int], months: Iterable[str]) -> list[dict[str, Any]]:
    return [{"month": m, "count": int(counter.get(m, 0))} for m in months]


def platform_summary(
    platform: Platform, *, today: dt.date | None = None, prior: rating.Prior | None = None
) -> dict[str, Any]:
    """Everything the platform page, the 三查 page and the API show, from the stats row alone.

    Load the platform with ``select_related("stats")``; this function then makes at most one query (the prior).
    """
    today = today or timezone.localdate()
    try:
        s = platform.stats  # loaded by select_related (or one query)
    except PlatformStats.DoesNotExist:
        s = PlatformStats(platform=platform)
    prior = prior or rating.current_prior()
    n = s.complaints
    months = last_months(today)
    recent = sum(s.by_month.get(m, 0) for m in months[-3:])
    before = sum(s.by_month.get(m, 0) for m in months[-6:-3])
    amount_range = _median_amount_bucket(s.amount_hist)
    return {
        "complaints": n,
        "withdrawn": s.withdrawn,
        "min_sample": rating.MIN_SAMPLE,
        "sufficient": n >= rating.MIN_SAMPLE,
        "reply": rate_dict(s.replied, n),
        "unanswered": n - s.replied,
        "public_replies": s.public_replies,
        "median_reply_hours": {"value": histogram_median(s.reply_hours), "n": sum(s.reply_hours.values())},
        "resolved": rate_dict(s.resolved_confirmed, n),
        "answered": s.answered,
        "runaway": rate_dict(s.runaway, n),
        "payment_backed": rate_dict(s.payment_backed, n),
        "last_runaway_at": s.last_runaway_at.isoformat() if s.last_runaway_at else None,
        "runaway_recent": sum(s.runaway_by_month.get(m, 0) for m in months[-3:]),
        "amounts": {
            "n": s.amount_count,
            "total": f"{Decimal(s.amount_total):.2f}",
            "median_range": list(amount_range) if amount_range else None,
        },
        "by_month": _series(s.by_month, months),
        "growth": {"last_3_months": recent, "previous_3_months": before},
        "rating": rating.rate_stats(s, prior).to_dict(),
    }
