"""When to remind a consumer of a plan's deadlines: the working day before and the day itself, at 09:00 Beijing time.

Pure: the web app stores the earliest unsent time on the case (indexed) and the `remind` worker polls it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from weiquan.domain.datafiles import load
from weiquan.domain.escalation import Plan, TrackedDeadline

CHINA_TZ = ZoneInfo("Asia/Shanghai")
REMIND_AT = dt.time(9, 0)
# Overdue reminders are still sent (a worker that was down catches up), but not for deadlines long gone.
CATCH_UP_DAYS = 7


@dataclass(frozen=True, slots=True)
class Reminder:
    key: str  # stable across recomputations: deadline id, its date and which of the two reminders
    at: dt.datetime
    label: str
    deadline: dt.date
    when: str  # "before" | "day"
    explain: str
    advice: str = ""  # what to do now that this deadline falls due (data/reminder_advice.yaml)
    channel: str | None = None


def advice_kind(t: TrackedDeadline, plan: Plan) -> str:
    """Which advice of data/reminder_advice.yaml fits the deadline ``t`` of ``plan``."""
    channel = t.channel or t.id
    if t.id == "limitation":
        return "limitation"
    if t.id.endswith("_odr"):
        return "12315_odr"
    if channel == "platform_cs":
        contacts = plan.facts.contacts_with("platform_cs")
        last = contacts[-1] if contacts else None
        return "cs_promise" if last is not None and (last.promise or last.promise_by) else "cs_wait"
    if channel == "12315":
        accepted = any(c.response == "accepted" for c in plan.facts.contacts_with("12315"))
        return "12315_mediation" if accepted else "12315_acceptance"
    if channel in ("alipay", "wechat_pay"):
        return "payment"
    if channel in ("small_claims", "payment_order"):
        return "court"
    return channel if channel in load("reminder_advice") else "default"


def advice_for(t: TrackedDeadline, plan: Plan) -> str:
    texts: dict[str, str] = load("reminder_advice")
    return texts[advice_kind(t, plan)]


def reminders_for(plan: Plan) -> list[Reminder]:
    out: list[Reminder] = []
    cal = plan.calendar
    for t in plan.deadlines:
        before = t.deadline.date - dt.timedelta(days=1)
        for _ in range(30):  # the longest run of rest days is the Spring Festival break
            if cal.is_workday(before):
                break
            before -= dt.timedelta(days=1)
        out.extend(_two_reminders(t, before, advice_for(t, plan)))
    return sorted(out, key=lambda r: r.at)


def _two_reminders(t: TrackedDeadline, before: dt.date, advice: str) -> list[Reminder]:
    d = t.deadline.date
    explain = t.deadline.explain()
    ch = t.channel or t.id
    return [
        Reminder(f"{t.id}:{d.isoformat()}:before", _at(before), t.label, d, "before", explain, advice, ch),
        Reminder(f"{t.id}:{d.isoformat()}:day", _at(d), t.label, d, "day", explain, advice, ch),
    ]


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, REMIND_AT, CHINA_TZ)


def settled(reminders: list[Reminder], sent: set[str], now: dt.datetime) -> set[str]:
    """Keys whose time has come: after a worker pass they are all recorded, whether sent or skipped."""
    return {r.key for r in reminders if r.key not in sent and r.at <= now}


def due(reminders: list[Reminder], sent: set[str], now: dt.datetime) -> list[Reminder]:
    """Reminders to send now: for each deadline only its latest unsent reminder whose time has come.

    A worker that was down catches up (the day-of reminder replaces the day-before one), but a deadline more than
    CATCH_UP_DAYS gone is not announced any more.
    """
    horizon = now.astimezone(CHINA_TZ).date() - dt.timedelta(days=CATCH_UP_DAYS)
    ready = [r for r in reminders if r.key not in sent and r.at <= now and r.deadline >= horizon]
    latest: dict[str, Reminder] = {}
    for r in ready:  # sorted by time: a later reminder of the same deadline replaces the earlier one
        latest[r.key.rsplit(":", 1)[0]] = r
    return sorted(latest.values(), key=lambda r: r.at)


def next_time(reminders: list[Reminder], sent: set[str], now: dt.datetime) -> dt.datetime | None:
    """The earliest time the worker must look at this case again, or None when nothing is left.

    Call it with ``sent`` including what the current pass settled; a time in the past means work is due now.
    """
    pending = [r.at for r in reminders if r.key not in sent]
    return min(pending) if pending else None
