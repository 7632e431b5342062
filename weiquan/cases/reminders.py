"""The reminder worker: claim one due case at a time, e-mail what is due, record it, schedule the next look.

The rules (which reminders, when, which one supersedes which) are in ``weiquan.domain.reminders``; this module only
moves rows and sends mail. The ``remind`` management command loops over ``process_one``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from weiquan.cases.models import Case, ReminderSent
from weiquan.domain import reminders as domain
from weiquan.domain.escalation import DISCLAIMER, Plan, plan
from weiquan.domain.facts import CHINA_TZ
from weiquan.domain.workdays import WEEKDAY_NAMES

logger = logging.getLogger(__name__)

# A case whose plan cannot be computed is looked at again after this long, so one bad row cannot spin the worker.
RETRY_AFTER = dt.timedelta(hours=1)

Kind = Literal["sent", "undeliverable", "failed", "settled", "lost_race", "error"]


def case_url(case: Case) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/cases/{case.public_id}/"


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(CHINA_TZ).date()


def reminder_state(case: Case, now: dt.datetime) -> tuple[list[domain.Reminder], set[str], Plan]:
    """The case's reminders, the keys already recorded, and today's plan.

    Today's plan alone is not enough after an outage: some deadlines leave the plan once they pass (a customer-
    service promise that was not kept turns the step into "failed" and drops its deadline). So the reminders of the
    plan as it stood on the day of the stored ``next_reminder_at`` are added too; keys are stable (deadline id,
    date, which reminder), so both lists merge without duplicates. Both plans use today's facts, so a deadline
    removed by a recorded event (resolved, accepted …) stays removed.
    """
    facts = case.facts()
    today = local_date(now)
    today_plan = plan(facts, today)
    by_key = {r.key: r for r in domain.reminders_for(today_plan)}
    since = case.next_reminder_at
    if since is not None and local_date(since) < today:
        for r in domain.reminders_for(plan(facts, local_date(since))):
            by_key.setdefault(r.key, r)
    sent = set(case.reminders_sent.values_list("key", flat=True))
    return sorted(by_key.values(), key=lambda r: r.at), sent, today_plan


# --- one case ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Claim:
    """What one worker decided for one case, before it knows whether it won the row."""

    case: Case
    seen: dt.datetime  # the next_reminder_at value read: the conditional UPDATE matches on it
    now: dt.datetime
    plan: Plan
    due: list[domain.Reminder]
    settled: set[str]
    next_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Outcome:
    case_id: int
    kind: Kind
    keys: tuple[str, ...] = ()


def find_due(now: dt.datetime) -> Case | None:
    """The earliest due case that no other worker holds.

    Earliest first, so a backlog drains in deadline order; the index on next_reminder_at serves this query. Where
    the database can (PostgreSQL), the row is locked with SKIP LOCKED inside the caller's transaction, so a second
    worker takes the next case instead of computing the same plan and losing the claim. The conditional UPDATE in
    ``claim`` stays the guard everywhere (SQLite has no row locks: its write transaction serialises workers).
    """
    q = Case.objects.filter(status="open", next_reminder_at__lte=now).select_related("owner")
    q = q.order_by("next_reminder_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        q = q.select_for_update(skip_locked=True, of=("self",))
    return q.first()


def prepare(case: Case, now: dt.datetime) -> Claim:
    assert case.next_reminder_at is not None
    reminders, sent, today_plan = reminder_state(case, now)
    settled = domain.settled(reminders, sent, now)
    return Claim(
        case=case,
        seen=case.next_reminder_at,
        now=now,
        plan=today_plan,
        due=domain.due(reminders, sent, now),
        settled=settled,
        # Everything up to now is settled by this pass, so the next time is always in the future (or None).
        next_at=domain.next_time(reminders, sent | settled, now),
    )


def claim(c: Claim) -> bool:
    """Move next_reminder_at on, but only if nobody else did since we read it: the one whose UPDATE hits sends."""
    q = Case.objects.filter(pk=c.case.pk, status="open", next_reminder_at=c.seen)
    return q.update(next_reminder_at=c.next_at) == 1


def record(c: Claim) -> list[domain.Reminder]:
    """Record every settled key; return the due reminders this worker recorded first (and so must send).

    Rows are written as not delivered and flipped after the e-mail went out, so a crash in between leaves a
    truthful record and never a second e-mail. The unique (case, key) constraint is the last guard: a worker that
    won a stale claim (the row came back to the same time) finds the keys taken and sends nothing.
    """
    due_keys = {r.key for r in c.due}
    at = timezone.now()
    with transaction.atomic():
        ReminderSent.objects.bulk_create(
            [
                ReminderSent(case=c.case, key=k, sent_at=at, delivered=False)
                for k in sorted(c.settled - due_keys)
            ],
            ignore_conflicts=True,
        )
        return [
            r
            for r in c.due
            if ReminderSent.objects.get_or_create(
                case=c.case, key=r.key, defaults={"sent_at": at, "delivered": False}
            )[1]
        ]


def deliver(c: Claim) -> Outcome:
    mine = record(c)
    keys = tuple(r.key for r in mine)
    if not mine:
        return Outcome(c.case.pk, "settled")
    # Outside any transaction: SMTP may be slow (STYLE lesson 6).
    try:
        delivered = send_reminder(c.case, mine, c.plan, c.now)
    except Exception:
        logger.exception("reminder e-mail for case %s failed", c.case.public_id)
        return Outcome(c.case.pk, "failed", keys)
    if not delivered:
        return Outcome(c.case.pk, "undeliverable", keys)
    ReminderSent.objects.filter(case=c.case, key__in=keys).update(delivered=True)
    return Outcome(c.case.pk, "sent", keys)


def process_one(now: dt.datetime | None = None) -> Outcome | None:
    """Handle one due case; None when no case is due.

    1. Find the open case with the earliest next_reminder_at that is not in the future.
    2. Compute from the domain what is due, what this pass settles, and the next time.
       If that raises, push next_reminder_at an hour on (conditionally) and report an error.
    3. Claim the row: UPDATE … SET next_reminder_at=<next> WHERE pk=… AND next_reminder_at=<value read>.
       If no row changed, another worker got there first: done.
    4. Record the settled keys (unique per case and key), then e-mail the due reminders this worker recorded.

    Errors in one case end as an Outcome, so the caller's loop goes on; errors reaching the database in step 1 or 3
    propagate.
    """
    now = now or timezone.now()
    with transaction.atomic():  # holds the SKIP LOCKED row lock from find_due until the claim commits
        case = find_due(now)
        if case is None:
            return None
        try:
            c = prepare(case, now)
        except Exception:
            logger.exception("cannot compute reminders for case %s", case.public_id)
            Case.objects.filter(pk=case.pk, next_reminder_at=case.next_reminder_at).update(
                next_reminder_at=now + RETRY_AFTER
            )
            return Outcome(case.pk, "error")
        if not claim(c):
            return Outcome(case.pk, "lost_race")
    try:
        return deliver(c)
    except Exception:
        logger.exception("reminders for case %s failed", case.public_id)
        return Outcome(case.pk, "error")


# --- the e-mail -------------------------------------------------------------------------------------------------


def _cn_date(d: dt.date) -> str:
    return f"{d.month}月{d.day}日"


def relative_day(deadline: dt.date, today: dt.date) -> str:
    """How the subject names the deadline day, seen from the day the e-mail is sent."""
    days = (deadline - today).days
    if days == 0:
        return _("今天到期")
    if days == 1:
        return _("明天")
    if days < 0:
        return _("已于%(date)s到期") % {"date": _cn_date(deadline)}
    return _("%(date)s（%(weekday)s）到期") % {
        "date": _cn_date(deadline),
        "weekday": WEEKDAY_NAMES[deadline.weekday()],
    }


def reminder_context(
    case: Case, reminders: list[domain.Reminder], p: Plan, now: dt.datetime
) -> dict[str, Any]:
    today = local_date(now)
    items = [
        {
            "label": r.label,
            "relative": relative_day(r.deadline, today),
            "date": f"{r.deadline.year}年{_cn_date(r.deadline)}（{WEEKDAY_NAMES[r.deadline.weekday()]}）",
            "overdue": r.deadline < today,
            "explain": r.explain,
            "advice": r.advice,
            "channel": r.channel,
        }
        for r in sorted(reminders, key=lambda r: (r.deadline, r.label))
    ]
    next_action = p.to_dict()["next_action"]
    return {
        "platform": case.platform_label,
        "amount": case.amount,
        "items": items,
        "first": items[0],
        "more": len(items) - 1,
        # The plan's next step only where it is the step of a deadline that fell due, and without its reason (which
        # lists the parallel channels): a 12315 reminder tells what to do about 12315, not to go to 黑猫.
        "next_action": next_action if next_action["channel"] in {i["channel"] for i in items} else None,
        "case_url": case_url(case),
        "disclaimer": DISCLAIMER,
    }


def send_email(name: str, to: str, ctx: dict[str, Any]) -> None:
    """Render templates/emails/<name>-{subject,body-text,body-html}.html and send through Django's backend."""
    subject = render_to_string(f"emails/{name}-subject.html", ctx)
    subject = "".join(line.strip() for line in subject.splitlines())
    text = render_to_string(f"emails/{name}-body-text.html", ctx)
    html = render_to_string(f"emails/{name}-body-html.html", ctx)
    msg = EmailMultiAlternatives(subject, text, to=[to], headers={"Auto-Submitted": "auto-generated"})
    msg.attach_alternative(html, "text/html")
    msg.send()


def send_reminder(case: Case, reminders: list[domain.Reminder], p: Plan, now: dt.datetime) -> bool:
    """One e-mail listing the case's due reminders; False when the owner has no e-mail address."""
    to = case.owner.email
    if not to:
        return False
    send_email("reminder", to, reminder_context(case, reminders, p, now))
    return True
