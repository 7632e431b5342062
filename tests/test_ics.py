"""The secret ICS feed: GET /calendar/<ics_token>.ics lists the owner's open-case deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from icalendar import Calendar

from weiquan.accounts.models import Profile
from weiquan.cases.models import Case
from weiquan.domain.facts import CHINA_TZ

pytestmark = pytest.mark.django_db

SUMMARY_12315 = "维权期限：12315受理决定期限（七个工作日）（某某卡盟）"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=CHINA_TZ), tick=False)
    return time_machine


@pytest.fixture
def case(clock, alice, seed_case_file) -> Case:
    case = Case.create_from_case_file(alice, seed_case_file)
    case.add_contact(at=dt.datetime(2026, 11, 23, 10, tzinfo=CHINA_TZ), channel="12315", response="pending")
    return case


def feed_url(user) -> str:
    return reverse("ics_feed", args=[Profile.objects.get_or_create(user=user)[0].ics_token])


def read(client, url: str) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    return Calendar.from_ical(response.content)


def events(cal: Calendar) -> dict[str, dict]:
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


def test_it_lists_the_12315_acceptance_deadline(client, case, alice, settings):
    settings.SITE_URL = "https://weiquan.example"
    cal = read(client, feed_url(alice))

    ev = events(cal)[SUMMARY_12315]
    assert ev.decoded("DTSTART") == dt.date(2026, 12, 2)  # all day: the period ends at 24:00
    assert ev.decoded("DTEND") == dt.date(2026, 12, 3)
    explain = next(
        t.deadline.explain() for t in case.plan(dt.date(2026, 11, 25)).deadlines if t.id == "12315"
    )
    assert explain in str(ev["DESCRIPTION"])
    assert f"https://weiquan.example/cases/{case.public_id}/" in str(ev["DESCRIPTION"])
    (alarm,) = ev.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -dt.timedelta(hours=15)  # 09:00 the day before
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]


def test_it_also_lists_the_limitation_period(client, case, alice):
    ev = events(read(client, feed_url(alice)))["维权期限：诉讼时效（三年）（某某卡盟）"]
    assert ev.decoded("DTSTART") == dt.date(2029, 11, 20)


def test_uids_are_stable_across_reads(client, case, alice, clock):
    url = feed_url(alice)
    first = {str(e["UID"]) for e in read(client, url).walk("VEVENT")}
    clock.move_to(dt.datetime(2026, 11, 26, 18, tzinfo=CHINA_TZ))
    second = {str(e["UID"]) for e in read(client, url).walk("VEVENT")}
    assert first == second
    assert f"{case.public_id}-12315-20261202@weiquan" in first


def test_an_unknown_token_is_404(client, case):
    assert client.get(reverse("ics_feed", args=["not-a-real-token"])).status_code == 404


def test_another_users_feed_has_none_of_alices_cases(client, case, bob):
    cal = read(client, feed_url(bob))
    assert cal.walk("VEVENT") == []


def test_a_closed_case_leaves_the_feed(client, case, alice):
    case.close(alice, outcome_channel="platform_cs", recovered_amount=None)
    assert read(client, feed_url(alice)).walk("VEVENT") == []


def test_an_inactive_users_feed_is_404(client, case, alice):
    url = feed_url(alice)
    alice.is_active = False
    alice.save()
    assert client.get(url).status_code == 404


def test_the_feed_does_not_query_per_case(client, case, alice, seed_case_file, django_assert_num_queries):
    url = feed_url(alice)
    with django_assert_num_queries(4):  # profile, cases, their contacts, their evidence
        client.get(url)
    Case.create_from_case_file(alice, seed_case_file)
    with django_assert_num_queries(4):
        cal = read(client, url)
    assert len(cal.walk("VEVENT")) == 3


def test_a_promise_with_a_time_is_a_timed_event(client, clock, alice, seed_case_file):
    seed_case_file["contacts"] = [
        {
            "at": "2026-11-24T10:00:00+08:00",
            "channel": "platform_cs",
            "response": "promised",
            "promise": "周五下午六点前处理",
            "promise_by": "2026-11-27T18:00:00+08:00",
        }
    ]
    Case.create_from_case_file(alice, seed_case_file)
    cal = read(client, feed_url(alice))
    (ev,) = [e for e in cal.walk("VEVENT") if "客服承诺" in str(e["SUMMARY"])]
    assert ev.decoded("DTSTART") == dt.datetime(2026, 11, 27, 18, tzinfo=CHINA_TZ)
    assert ev["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert ev.walk("VALARM")[0].decoded("TRIGGER") == -dt.timedelta(days=1)
