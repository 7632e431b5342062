"""The case row, its facts, its plan and its hash-chained log."""

from __future__ import annotations

import datetime as dt

import pytest

from weiquan.cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db


def test_a_case_file_round_trips_through_the_database(alice_case, seed_case_file):
    facts = alice_case.facts()
    assert facts.problem_type == "invalid_code"
    assert facts.platform.name == "某某卡盟"
    assert [c.response for c in facts.contacts] == ["refused"]
    assert {e.kind for e in facts.evidence} == {"order_screenshot", "payment_record", "cs_chat"}


def test_the_case_page_plan_equals_the_cli_plan(alice_case):
    from weiquan.domain.escalation import plan
    from weiquan.domain.facts import load_case

    today = dt.date(2026, 11, 25)
    web = alice_case.plan(today).to_dict()
    cli = plan(load_case("examples/seed-invalid-code.json"), today).to_dict()
    assert web["next_action"] == cli["next_action"]
    assert [(s["channel"], s["status"]) for s in web["steps"]] == [
        (s["channel"], s["status"]) for s in cli["steps"]
    ]


def test_every_change_extends_the_hash_chain(alice_case):
    alice_case.add_contact(
        at=dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), channel="12315", response="pending"
    )
    events = list(alice_case.events.all())
    assert [e.kind for e in events] == ["created", "contact"]
    assert events[0].prev_hash == ""
    assert events[1].prev_hash == events[0].hash
    assert all(e.hash == e.compute_hash() for e in events)
    alice_case.refresh_from_db()
    assert alice_case.log_head == events[-1].hash


def test_log_entries_cannot_be_changed_or_deleted(alice_case):
    event = alice_case.events.first()
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert CaseEvent.objects.count() == 1


def test_recording_an_event_recomputes_the_next_reminder(alice_case):
    alice_case.add_contact(
        at=dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), channel="12315", response="pending"
    )
    alice_case.refresh_from_db()
    # 12315 acceptance deadline 2026-12-02 → reminder on the working day before, 09:00 Beijing time.
    assert alice_case.next_reminder_at is not None


def test_owner_loader_hides_other_peoples_cases(alice_case, bob):
    from django.http import Http404

    from weiquan.cases.models import case_for_owner

    assert case_for_owner(alice_case.owner, alice_case.public_id) == alice_case
    with pytest.raises(Http404):
        case_for_owner(bob, alice_case.public_id)
    with pytest.raises(Http404):
        case_for_owner(alice_case.owner, "not-a-uuid")
    assert Case.objects.owned_by(bob).count() == 0
