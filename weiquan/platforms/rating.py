"""The credit rating: a documented formula (docs/rating.md) that does not reward tiny samples.

Three rates per platform, each counting a complaint backed by a payment record as 1 and a bare claim as 0.5:
reply rate, consumer-confirmed resolution rate and 跑路/欺诈 share. Each is shrunk towards the site-wide mean with
a prior worth ``PRIOR_WEIGHT`` complaints (a Bayesian average), then

    score = 100 × (0.4 × reply + 0.6 × resolved) × (1 − runaway)²

A platform with fewer than ``MIN_SAMPLE`` complaints gets a score (so the formula is inspectable) but no grade and
no rank. Complaint volume is not used: without sales figures a large platform's many complaints and a small one's
few cannot be compared, and the rating does not pretend otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from weiquan.platforms.models import PlatformStats, RatingPrior

PAYMENT_WEIGHT = 1.0  # a complaint whose case holds a payment record
BARE_WEIGHT = 0.5  # a complaint with nothing behind it but the consumer's word
PRIOR_WEIGHT = 10  # the site-wide mean counts as this many (weighted) complaints
MIN_SAMPLE = 10  # complaints below which no rate is shown as a finding and no grade is given
REPLY_WEIGHT, RESOLVED_WEIGHT = 0.4, 0.6
RUNAWAY_EXPONENT = 2  # (1 − share)²: a platform with 30 % 跑路 reports keeps about half its score
GRADES = ((80.0, "A"), (60.0, "B"), (40.0, "C"), (20.0, "D"), (0.0, "E"))
GRADE_WORDS = {"A": "较好", "B": "尚可", "C": "一般", "D": "较差", "E": "很差"}


@dataclass(frozen=True, slots=True)
class Prior:
    reply: float
    resolved: float
    runaway: float
    weight: float = 0.0  # weighted complaints behind the means (0: the starting assumption below)
    platforms: int = 0
    computed_at: dt.datetime | None = None

    @property
    def measured(self) -> bool:
        return self.weight > 0


# Before any complaint exists there is nothing to measure; these starting values are an assumption, not data, and
# every page says so until ``recompute_stats`` has replaced them with the site's own means.
DEFAULT_PRIOR = Prior(reply=0.5, resolved=0.25, runaway=0.1)


@dataclass(frozen=True, slots=True)
class Counts:
    """The counters a rating needs, from a PlatformStats row (or built directly in tests)."""

    complaints: int = 0
    backed: int = 0
    replied: int = 0
    replied_backed: int = 0
    resolved: int = 0
    resolved_backed: int = 0
    runaway: int = 0
    runaway_backed: int = 0

    @classmethod
    def from_stats(cls, s: PlatformStats | None) -> Counts:
        if s is None:
            return cls()
        return cls(
            complaints=s.complaints,
            backed=s.payment_backed,
            replied=s.replied,
            replied_backed=s.replied_backed,
            resolved=s.resolved_confirmed,
            resolved_backed=s.resolved_backed,
            runaway=s.runaway,
            runaway_backed=s.runaway_backed,
        )

    @staticmethod
    def weighted(total: int, backed: int) -> float:
        return PAYMENT_WEIGHT * backed + BARE_WEIGHT * (total - backed)

    @property
    def n_weighted(self) -> float:
        return self.weighted(self.complaints, self.backed)

    def raw(self) -> tuple[float, float, float] | None:
        """Payment-weighted reply, resolved and runaway rates without shrinkage (None without complaints)."""
        n = self.n_weighted
        if n <= 0:
            return None
        return (
            self.weighted(self.replied, self.replied_backed) / n,
            self.weighted(self.resolved, self.resolved_backed) / n,
            self.weighted(self.runaway, self.runaway_backed) / n,
        )


@dataclass(frozen=True, slots=True)
class Rating:
    score: float
    grade: str | None  # None: not rated (sample below MIN_SAMPLE)
    ranked: bool
    n: int
    n_weighted: float
    reply: float  # shrunk rates
    resolved: float
    runaway: float
    prior: Prior

    @property
    def grade_word(self) -> str:
        return GRADE_WORDS.get(self.grade or "", "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "grade": self.grade,
            "grade_word": self.grade_word,
            "ranked": self.ranked,
            "n": self.n,
            "n_weighted": self.n_weighted,
            "min_sample": MIN_SAMPLE,
            "components": {"reply": self.reply, "resolved": self.resolved, "runaway": self.runaway},
            "prior": {
                **{k: v for k, v in asdict(self.prior).items() if k != "computed_at"},
                "measured": self.prior.measured,
                "computed_at": self.prior.computed_at.isoformat() if self.prior.computed_at else None,
                "weight_as_complaints": PRIOR_WEIGHT,
            },
        }


def shrink(successes: float, n: float, mean: float, m: float = PRIOR_WEIGHT) -> float:
    """Bayesian average: the rate after adding ``m`` pseudo-complaints at the site-wide ``mean``."""
    return (successes + m * mean) / (n + m)


def grade_for(score: float) -> str:
    return next(g for floor, g in GRADES if score >= floor)


def rate(counts: Counts, prior: Prior) -> Rating:
    n = counts.n_weighted
    reply = shrink(counts.weighted(counts.replied, counts.replied_backed), n, prior.reply)
    resolved = shrink(counts.weighted(counts.resolved, counts.resolved_backed), n, prior.resolved)
    runaway = shrink(counts.weighted(counts.runaway, counts.runaway_backed), n, prior.runaway)
    score = 100 * (REPLY_WEIGHT * reply + RESOLVED_WEIGHT * resolved) * (1 - runaway) ** RUNAWAY_EXPONENT
    score = round(min(max(score, 0.0), 100.0), 1)
    ranked = counts.complaints >= MIN_SAMPLE
    return Rating(
        score=score,
        grade=grade_for(score) if ranked else None,
        ranked=ranked,
        n=counts.complaints,
        n_weighted=n,
        reply=round(reply, 4),
        resolved=round(resolved, 4),
        runaway=round(runaway, 4),
        prior=prior,
    )


def rate_stats(s: PlatformStats | None, prior: Prior) -> Rating:
    return rate(Counts.from_stats(s), prior)


# --- the site-wide prior -----------------------------------------------------------------------------------------


def current_prior() -> Prior:
    """The stored prior (one query), or the starting assumption while none has been computed."""
    row = RatingPrior.objects.filter(pk=1).first()
    if row is None:
        return DEFAULT_PRIOR
    return Prior(row.reply, row.resolved, row.runaway, row.weight, row.platforms, row.computed_at)


def compute_prior(rows: list[Counts]) -> Prior:
    """The means the rates are shrunk towards.

    Each platform with at least MIN_SAMPLE complaints counts once (a mean of platform rates), so one giant
    platform cannot set everybody's prior; with no such platform yet, all complaints are pooled; with none at all,
    the starting assumption stays.
    """
    weight = sum(c.n_weighted for c in rows)
    big = [raw for c in rows if c.complaints >= MIN_SAMPLE and (raw := c.raw()) is not None]
    if big:
        reply, resolved, runaway = (sum(r[i] for r in big) / len(big) for i in range(3))
        return Prior(reply, resolved, runaway, weight=weight, platforms=len(big), computed_at=timezone.now())
    if weight > 0:
        pooled = Counts(*(sum(getattr(c, f) for c in rows) for f in Counts.__dataclass_fields__))
        pooled_raw = pooled.raw()
        assert pooled_raw is not None
        reply, resolved, runaway = pooled_raw
        return Prior(reply, resolved, runaway, weight=weight, platforms=0, computed_at=timezone.now())
    return DEFAULT_PRIOR


def refresh_prior() -> Prior:
    """Recompute the prior from every active platform's counters (a scan of platforms, never of complaints)."""
    rows = [
        Counts.from_stats(s)
        for s in PlatformStats.objects.filter(platform__merged_into__isnull=True, complaints__gt=0).iterator()
    ]
    prior = compute_prior(rows)
    if not prior.measured:
        RatingPrior.objects.filter(pk=1).delete()
        return prior
    with transaction.atomic():
        RatingPrior.objects.update_or_create(
            pk=1,
            defaults={
                "reply": prior.reply,
                "resolved": prior.resolved,
                "runaway": prior.runaway,
                "weight": prior.weight,
                "platforms": prior.platforms,
                "computed_at": prior.computed_at,
            },
        )
    return prior
