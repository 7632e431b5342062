"""The `remind` command: due reminders go out once, by e-mail, even with two workers or after an outage."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from weiquan import worker as polling
from weiquan.cases import reminders as worker
from weiquan.cases.models import Case, ReminderSent
from weiquan.domain.facts import CHINA_TZ

pytestmark = pytest.mark.django_db

SUBJECT_12315 = "12315受理决定期限（七个工作日）（某某卡盟）"
# The seed case (paid 2026-11-20, customer service refused) gets a 12315 complaint filed on Monday 2026-11-23:
# the acceptance decision is due in seven working days, Wednesday 2026-12-02; reminders on 12-01 and 12-02 at 09:00.
FILED_12315 = dt.datetime(2026, 11, 23, 10, tzinfo=CHINA_TZ)


def beijing(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=CHINA_TZ)


def remind(**options: object) -> str:
    out = StringIO()
    call_command("remind", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(beijing(11, 25, 10), tick=False)
    return time_machine


@pytest.fixture
def consumer(alice):
    alice.email = "alice@example.com"
    alice.save()
    return alice


@pytest.fixture
def make_case(clock, consumer, seed_case_file):
    def make(owner=consumer, contacts: list[dict] | None = None, with_12315: bool = True) -> Case:
        data = dict(seed_case_file)
        if contacts is not None:
            data["contacts"] = contacts
        case = Case.create_from_case_file(owner, data)
        if with_12315:
            case.add_contact(at=FILED_12315, channel="12315", response="pending")
        case.refresh_from_db()
        return case

    return make


@pytest.fixture
def case(make_case) -> Case:
    return make_case()


def keys(case: Case) -> dict[str, bool]:
    return dict(ReminderSent.objects.filter(case=case).values_list("key", "delivered"))


# --- sending ------------------------------------------------------------------------------------------------------


def test_it_sends_the_day_before_reminder_once(case, clock, mailoutbox):
    assert case.next_reminder_at == beijing(12, 1)
    clock.move_to(beijing(12, 1, 9, 5))

    out = remind()
    assert "已发送 1 封" in out
    assert [m.subject for m in mailoutbox] == [f"【维权提醒】明天：{SUBJECT_12315}"]
    assert mailoutbox[0].to == ["alice@example.com"]
    assert keys(case) == {"12315:2026-12-02:before": True}
    case.refresh_from_db()
    assert case.next_reminder_at == beijing(12, 2)

    remind()
    assert len(mailoutbox) == 1


def test_it_sends_the_day_of_reminder_on_the_day(case, clock, mailoutbox):
    clock.move_to(beijing(12, 1, 9, 5))
    remind()
    clock.move_to(beijing(12, 2, 9, 0))
    remind()
    assert [m.subject for m in mailoutbox][1] == f"【维权提醒】今天到期：{SUBJECT_12315}"
    case.refresh_from_db()
    assert case.next_reminder_at == beijing(11, 19).replace(
        year=2029
    )  # next: the limitation period, 2029-11-20


def test_the_email_explains_the_deadline_and_the_next_step(case, clock, mailoutbox, settings):
    settings.SITE_URL = "https://weiquan.example/"
    clock.move_to(beijing(12, 1, 9, 5))
    plan = case.plan(dt.date(2026, 12, 1))
    explain = next(t.deadline.explain() for t in plan.deadlines if t.id == "12315")
    remind()

    (mail,) = mailoutbox
    html, mime = mail.alternatives[0]
    assert mime == "text/html"
    url = f"https://weiquan.example/cases/{case.public_id}/"
    for body in (mail.body, html):
        assert "2026年12月2日（星期三）" in body
        assert explain in body
        # what to do about the 12315 deadline (issue 13), not the plan's first parallel step (黑猫)
        assert "查询投诉进度" in body and "黑猫" not in body
        assert url in body
        assert "不构成法律意见" in body
    assert f'href="{url}"' in html


PROMISE_3_WORKDAYS = {
    "at": "2026-11-23T10:00:00+08:00",
    "channel": "platform_cs",
    "response": "promised",
    "promise": "3个工作日内处理",
}


def test_a_later_reminder_supersedes_an_earlier_one_of_the_same_deadline(make_case, clock, mailoutbox):
    # Customer service promised an answer "within 3 working days" of Monday 11-23: due Thursday 11-26.
    case = make_case(contacts=[PROMISE_3_WORKDAYS], with_12315=False)
    clock.move_to(beijing(11, 26, 9, 30))
    remind()
    assert [m.subject for m in mailoutbox] == [
        "【维权提醒】今天到期：客服承诺的处理期限（3个工作日内处理）（某某卡盟）"
    ]
    assert keys(case) == {"platform_cs:2026-11-26:before": False, "platform_cs:2026-11-26:day": True}


def test_several_due_reminders_go_out_in_one_email(make_case, clock, mailoutbox):
    # By 12-01 09:05 both the promise (due 11-26, never announced: the worker was down) and the 12315 complaint
    # (due 12-02) have a reminder waiting: one e-mail lists both, the earliest deadline first.
    case = make_case(contacts=[PROMISE_3_WORKDAYS])
    clock.move_to(beijing(12, 1, 9, 5))
    remind()
    (mail,) = mailoutbox
    assert (
        mail.subject
        == "【维权提醒】已于11月26日到期：客服承诺的处理期限（3个工作日内处理）（某某卡盟）等2项期限"
    )
    assert mail.body.index("客服承诺的处理期限") < mail.body.index("明天：12315受理决定期限")
    assert {k for k, delivered in keys(case).items() if delivered} == {
        "platform_cs:2026-11-26:day",
        "12315:2026-12-02:before",
    }


# --- two workers --------------------------------------------------------------------------------------------------


def test_two_workers_claiming_the_same_row_send_once(case, clock, mailoutbox):
    clock.move_to(beijing(12, 1, 9, 5))
    now = timezone.now()
    # Both workers read the row before either writes.
    a, b = worker.prepare(worker.find_due(now), now), worker.prepare(worker.find_due(now), now)
    assert a.case.pk == b.case.pk and a.seen == b.seen

    assert worker.claim(a) is True
    assert worker.claim(b) is False  # its UPDATE … WHERE next_reminder_at=<value read> matched no row
    worker.deliver(a)
    assert len(mailoutbox) == 1


def test_two_interleaved_passes_send_each_reminder_once(make_case, bob, clock, mailoutbox):
    bob.email = "bob@example.com"
    bob.save()
    cases = [make_case(), make_case(), make_case(owner=bob)]
    clock.move_to(beijing(12, 1, 9, 5))
    now = timezone.now()

    def steps(log: list):
        """One worker's pass, yielding between every database step so the other worker can run in between."""
        while True:
            found = worker.find_due(now)
            yield
            if found is None:
                return
            c = worker.prepare(found, now)
            yield
            if worker.claim(c):
                yield
                log.append(worker.deliver(c))
            yield

    log_a: list = []
    log_b: list = []
    workers = [steps(log_a), steps(log_b)]
    while workers:
        for w in list(workers):
            try:
                next(w)
            except StopIteration:
                workers.remove(w)

    assert sorted(m.to[0] for m in mailoutbox) == [
        "alice@example.com",
        "alice@example.com",
        "bob@example.com",
    ]
    assert log_a and log_b  # both workers did some of the work
    assert sorted(o.case_id for o in log_a + log_b) == sorted(c.pk for c in cases)
    assert ReminderSent.objects.count() == 3


def test_a_stale_claim_that_wins_still_cannot_send_twice(case, clock, mailoutbox):
    clock.move_to(beijing(12, 1, 9, 5))
    now = timezone.now()
    stale = worker.prepare(worker.find_due(now), now)
    assert worker.process_one(now).kind == "sent"  # another worker handles the case completely
    # Something sets next_reminder_at back to the very value the stale worker read (an edit recomputing it while
    # the record is in flight): its conditional UPDATE now wins, and the unique (case, key) row is the last guard.
    Case.objects.filter(pk=case.pk).update(next_reminder_at=stale.seen)
    assert worker.claim(stale) is True
    assert worker.deliver(stale).kind == "settled"
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_worker_threads_send_each_reminder_once(make_case, clock, mailoutbox):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("threads on SQLite's shared-cache in-memory test database fail with 'table is locked'")
    cases = [make_case() for _ in range(6)]
    clock.move_to(beijing(12, 1, 9, 5))
    start = threading.Barrier(4)
    outcomes: list = []
    errors: list = []

    def run() -> None:
        try:
            start.wait()
            while (o := worker.process_one()) is not None:
                outcomes.append(o)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert errors == []
    assert len(mailoutbox) == len(cases)
    assert sorted(o.case_id for o in outcomes if o.kind == "sent") == sorted(c.pk for c in cases)
    assert ReminderSent.objects.filter(delivered=True).count() == len(cases)


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_skips_the_case_another_worker_holds(make_case, clock, mailoutbox):
    """PostgreSQL: SKIP LOCKED sends a second worker to the next due case instead of losing the same race."""
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SQLite serialises writers; row locks need PostgreSQL")
    first, second = make_case(), make_case()
    clock.move_to(beijing(12, 1, 9, 5))
    holding, release = threading.Event(), threading.Event()

    def hold_first() -> None:
        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=first.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_first)
    holder.start()
    assert holding.wait(10)
    try:
        outcome = worker.process_one()
    finally:
        release.set()
        holder.join(10)
    assert outcome is not None and outcome.kind == "sent"
    assert outcome.case_id == second.pk


# --- catching up, changes, closing --------------------------------------------------------------------------------


def test_a_worker_down_three_days_sends_the_overdue_day_of_reminder_only(case, clock, mailoutbox):
    clock.move_to(beijing(12, 5, 10))  # Saturday; the deadline was Wednesday 12-02
    remind()
    assert [m.subject for m in mailoutbox] == [f"【维权提醒】已于12月2日到期：{SUBJECT_12315}"]
    # The superseded day-before reminder is recorded as settled, not delivered, and never sent later.
    assert keys(case) == {"12315:2026-12-02:before": False, "12315:2026-12-02:day": True}
    remind()
    assert len(mailoutbox) == 1


def test_a_deadline_that_left_the_plan_during_the_outage_is_still_announced(make_case, clock, mailoutbox):
    # A customer-service promise due 11-26: once it passes, today's plan marks the step failed and drops the
    # deadline. The worker also looks at the plan as of the stored next_reminder_at, so the reminder is not lost.
    case = make_case(contacts=[PROMISE_3_WORKDAYS], with_12315=False)
    clock.move_to(beijing(11, 29, 10))
    assert "platform_cs" not in {t.id for t in case.plan(dt.date(2026, 11, 29)).deadlines}
    remind()
    assert [m.subject for m in mailoutbox] == [
        "【维权提醒】已于11月26日到期：客服承诺的处理期限（3个工作日内处理）（某某卡盟）"
    ]


def test_deadlines_gone_for_more_than_a_week_are_settled_silently(case, clock, mailoutbox):
    clock.move_to(beijing(12, 15, 10))
    remind()
    assert mailoutbox == []
    assert keys(case) == {"12315:2026-12-02:before": False, "12315:2026-12-02:day": False}


def test_recording_a_new_event_moves_the_next_reminder(make_case, clock, mailoutbox):
    case = make_case(with_12315=False)
    # Only the three-year limitation period is tracked: its day-before reminder is in 2029.
    assert case.next_reminder_at == dt.datetime(2029, 11, 19, 9, tzinfo=CHINA_TZ)

    case.add_contact(at=FILED_12315, channel="12315", response="pending")
    case.refresh_from_db()
    assert case.next_reminder_at == beijing(12, 1)

    clock.move_to(beijing(12, 1, 9, 5))
    remind()
    assert len(mailoutbox) == 1


def test_a_closed_case_gets_nothing(case, consumer, clock, mailoutbox):
    case.close(consumer, outcome_channel="platform_cs", recovered_amount=None)
    assert case.next_reminder_at is None
    clock.move_to(beijing(12, 2, 10))
    remind()
    # Even with a stale time left on the row, the worker only looks at open cases.
    Case.objects.filter(pk=case.pk).update(next_reminder_at=beijing(12, 1))
    remind()
    assert mailoutbox == []
    assert keys(case) == {}


# --- failures -------------------------------------------------------------------------------------------------


def test_an_owner_without_email_is_recorded_as_not_delivered(case, consumer, clock, mailoutbox):
    consumer.email = ""
    consumer.save()
    clock.move_to(beijing(12, 1, 9, 5))
    assert "无邮箱 1 个" in remind()
    assert mailoutbox == []
    assert keys(case) == {"12315:2026-12-02:before": False}
    case.refresh_from_db()
    assert case.next_reminder_at == beijing(12, 2)


def test_an_error_in_one_case_does_not_stop_the_others(make_case, clock, mailoutbox, monkeypatch):
    broken, fine = make_case(), make_case()
    real = worker.reminder_state

    def reminder_state(case, now):
        if case.pk == broken.pk:
            raise ValueError("bad data")
        return real(case, now)

    monkeypatch.setattr(worker, "reminder_state", reminder_state)
    clock.move_to(beijing(12, 1, 9, 5))
    assert "出错 1 个" in remind()
    assert len(mailoutbox) == 1
    assert keys(fine) == {"12315:2026-12-02:before": True}
    broken.refresh_from_db()
    assert broken.next_reminder_at == beijing(12, 1, 10, 5)  # looked at again in an hour, not in a tight loop


def test_a_failed_send_is_recorded_and_not_repeated(case, clock, mailoutbox, monkeypatch):
    def send_email(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(worker, "send_email", send_email)
    clock.move_to(beijing(12, 1, 9, 5))
    assert "发送失败 1 个" in remind()
    assert keys(case) == {"12315:2026-12-02:before": False}
    monkeypatch.undo()
    remind()
    assert mailoutbox == []


# --- the loop -----------------------------------------------------------------------------------------------------


def test_the_loop_stops_cleanly_on_sigterm(case, clock, mailoutbox, monkeypatch):
    clock.move_to(beijing(12, 1, 9, 5))
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(polling, "sleep", sleep)
    out = remind(loop=True, interval=30)
    assert naps == [1]  # the 30-second wait is cut short by the signal
    assert "已发送 1 封" in out
    assert len(mailoutbox) == 1
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_loop_stops_cleanly_on_keyboard_interrupt(case, clock, mailoutbox, monkeypatch):
    clock.move_to(beijing(12, 1, 9, 5))

    def sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(polling, "sleep", sleep)
    out = remind(loop=True, interval=5)
    assert "已中断" in out and "已发送 1 封" in out
