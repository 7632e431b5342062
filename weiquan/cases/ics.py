"""The secret per-user ICS feed of open-case deadlines: ``GET /calendar/<ics_token>.ics``.

Recomputed from the plans on every read, so a recorded answer or a calendar fix shows up at the next sync. The
token is the only credential (calendar apps cannot log in); it is a 32-character random string, an unknown one gets
404, and the feed holds nothing but the token owner's own deadlines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from icalendar import Alarm, Calendar, Event, Timezone

from weiquan.accounts.models import Profile
from weiquan.cases.models import Case
from weiquan.cases.reminders import case_url, local_date
from weiquan.domain.escalation import DISCLAIMER, TrackedDeadline

TZID = "Asia/Shanghai"
# All-day events start at 00:00 local time: 15 hours earlier is 09:00 the day before, the reminder hour.
ALL_DAY_ALARM = dt.timedelta(hours=-15)
TIMED_ALARM = dt.timedelta(days=-1)


def event_uid(case: Case, t: TrackedDeadline) -> str:
    # Stable while the deadline is the same, so a calendar app updates the event instead of adding a copy; a
    # deadline that moves gets a new UID and the old event disappears with the next sync.
    return f"{case.public_id}-{t.id}-{t.deadline.date:%Y%m%d}@weiquan"


def deadline_event(case: Case, t: TrackedDeadline, stamp: dt.datetime) -> Event:
    summary = f"维权期限：{t.label}（{case.platform_label}）"
    url = case_url(case)
    ev = Event()
    ev.add("uid", event_uid(case, t))
    ev.add("dtstamp", stamp)
    ev.add("summary", summary)
    ev.add("description", f"{t.deadline.explain()}\n\n查看案件：{url}\n\n{DISCLAIMER}")
    ev.add("url", url)
    ev.add("transp", "TRANSPARENT")  # a deadline does not make the user busy
    if t.deadline.at is None:
        # The period ends at 24:00 of its last day (民法典第二百零三条第二款): a whole-day event.
        ev.add("dtstart", t.deadline.date)
        ev.add("dtend", t.deadline.date + dt.timedelta(days=1))
        trigger = ALL_DAY_ALARM
    else:
        # Hour periods and promises naming a time end at that moment: an event without DTEND (RFC 5545 3.6.1).
        ev.add("dtstart", t.deadline.at)
        trigger = TIMED_ALARM
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", trigger)
    ev.add_component(alarm)
    return ev


def build_feed(user: Any, now: dt.datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//weiquan//维权期限//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "维权期限")
    cal.add("x-wr-timezone", TZID)
    cal.add_component(Timezone.from_tzid(TZID))
    today = local_date(now)
    stamp = now.astimezone(dt.UTC)
    # Two prefetches feed every case's plan (contacts, evidence): the query count does not grow with the cases.
    cases = (
        Case.objects.filter(owner=user, status="open")
        .select_related("platform")
        .prefetch_related("contacts", "evidence")
    )
    for case in cases.order_by("created_at", "pk"):
        for t in case.plan(today).deadlines:
            cal.add_component(deadline_event(case, t, stamp))
    return cal.to_ical()


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    profile = Profile.objects.select_related("user").filter(ics_token=token, user__is_active=True).first()
    if profile is None:
        raise Http404("日历不存在")
    response = HttpResponse(
        build_feed(profile.user, timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="weiquan.ics"'
    # Personal data behind a secret URL: no shared caches, no search engines, no Referer to third parties.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
