"""Platform statistics (incremental = recomputed), Wilson intervals, the rating, the platform page's query count."""

from __future__ import annotations

import datetime as dt
import io
import random
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from weiquan.domain.facts import CHINA_TZ
from weiquan.platforms import rating, stats
from weiquan.platforms.models import Platform, PlatformAlias, PlatformStats, RatingPrior
from weiquan.platforms.rating import Counts, Prior
from weiquan.public.models import ComplaintReply, PublicComplaint

NOW = dt.datetime(2026, 11, 25, 10, tzinfo=CHINA_TZ)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHINA_TZ)


# --- pure helpers ------------------------------------------------------------------------------------------------


def test_the_wilson_interval_of_8_out_of_10_is_049_to_0943():
    low, high = stats.wilson(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)


def test_wilson_intervals_at_the_edges():
    assert stats.wilson(0, 0) == (0.0, 1.0)
    low, high = stats.wilson(10, 10)
    assert round(low, 3) == 0.722 and high == 1.0
    low, high = stats.wilson(0, 3)
    assert low == 0.0 and round(high, 4) == 0.5615


def test_working_hours_count_only_9_to_18_on_working_days():
    assert stats.working_hours(at(2026, 11, 25, 10), at(2026, 11, 25, 11, 30)) == 1.5
    # Friday evening to Monday 10:00: only Monday 09:00–10:00 counts.
    assert stats.working_hours(at(2026, 11, 20, 20), at(2026, 11, 23, 10)) == 1.0
    # Friday 17:00 to Monday 10:00.
    assert stats.working_hours(at(2026, 11, 20, 17), at(2026, 11, 23, 10)) == 2.0
    # A weekend is not working time.
    assert stats.working_hours(at(2026, 11, 21, 9), at(2026, 11, 22, 18)) == 0.0
    # A whole working week.
    assert stats.working_hours(at(2026, 11, 23, 0), at(2026, 11, 28, 0)) == 45.0


def test_working_hours_skip_the_national_day_holiday_and_count_the_makeup_saturday():
    # 2026-09-30 17:00 to 2026-10-08 10:00: 1 hour on 09-30, nothing 10-01..10-07, 1 hour on 10-08.
    assert stats.working_hours(at(2026, 9, 30, 17), at(2026, 10, 8, 10)) == 2.0
    # Saturday 2026-10-10 is a 调休 working day.
    assert stats.working_hours(at(2026, 10, 10, 8), at(2026, 10, 10, 20)) == 9.0


def test_a_reply_before_publication_takes_no_time():
    assert stats.working_hours(at(2026, 11, 25, 11), at(2026, 11, 25, 10)) == 0.0


def test_the_median_of_a_histogram():
    assert stats.histogram_median({}) is None
    assert stats.histogram_median({"3": 1}) == 3
    assert stats.histogram_median({"1": 2, "5": 1}) == 1
    assert stats.histogram_median({"1": 1, "5": 1}) == 3
    assert stats.histogram_median({"2": 2, "10": 3, "40": 1}) == 10


def test_amounts_fall_into_1_2_5_buckets():
    assert [stats.amount_bucket(Decimal(x)) for x in ("0.5", "10", "15", "99.99", "100", "250000")] == [
        "0",
        "10",
        "10",
        "50",
        "100",
        "100000",
    ]


# --- the rating (no database) ------------------------------------------------------------------------------------

PRIOR = Prior(reply=0.5, resolved=0.25, runaway=0.1, weight=1000, platforms=20)


def test_a_platform_with_one_resolved_complaint_is_shrunk_towards_the_mean():
    one = rating.rate(
        Counts(complaints=1, backed=1, replied=1, replied_backed=1, resolved=1, resolved_backed=1), PRIOR
    )
    assert one.reply == round((1 + 10 * 0.5) / 11, 4)
    assert PRIOR.reply < one.reply < 0.6  # far nearer the mean (0.5) than its raw 100 %
    assert PRIOR.resolved < one.resolved < 0.35
    assert not one.ranked and one.grade is None


def test_90_out_of_100_ranks_above_1_out_of_1():
    one = rating.rate(
        Counts(complaints=1, backed=1, replied=1, replied_backed=1, resolved=1, resolved_backed=1), PRIOR
    )
    ninety = rating.rate(
        Counts(complaints=100, backed=100, replied=90, replied_backed=90, resolved=90, resolved_backed=90),
        PRIOR,
    )
    assert ninety.score > one.score
    assert ninety.ranked and ninety.grade == "A"


def test_a_complaint_backed_by_a_payment_record_weighs_twice_a_bare_claim():
    # Both have 20 complaints, half answered and resolved; they differ only in which half has payment records.
    backed_ignored = Counts(
        complaints=20, backed=10, replied=10, replied_backed=0, resolved=10, resolved_backed=0
    )
    backed_resolved = Counts(
        complaints=20, backed=10, replied=10, replied_backed=10, resolved=10, resolved_backed=10
    )
    assert backed_ignored.raw() == pytest.approx((5 / 15, 5 / 15, 0))
    assert backed_resolved.raw() == pytest.approx((10 / 15, 10 / 15, 0))
    assert rating.rate(backed_resolved, PRIOR).score > rating.rate(backed_ignored, PRIOR).score


def test_runaway_reports_weigh_heavily():
    calm = Counts(complaints=50, backed=50, replied=40, replied_backed=40, resolved=30, resolved_backed=30)
    runaway = Counts(
        complaints=50,
        backed=50,
        replied=40,
        replied_backed=40,
        resolved=30,
        resolved_backed=30,
        runaway=15,
        runaway_backed=15,
    )
    assert rating.rate(runaway, PRIOR).score < 0.6 * rating.rate(calm, PRIOR).score


def test_below_the_minimum_sample_a_platform_is_not_graded_nor_ranked():
    nine = Counts(complaints=9, backed=9, replied=9, replied_backed=9, resolved=9, resolved_backed=9)
    ten = Counts(complaints=10, backed=10, replied=10, replied_backed=10, resolved=10, resolved_backed=10)
    assert (rating.rate(nine, PRIOR).ranked, rating.rate(nine, PRIOR).grade) == (False, None)
    assert rating.rate(ten, PRIOR).ranked and rating.rate(ten, PRIOR).grade is not None
    assert stats.rate_dict(9, 9)["sufficient"] is False
    assert stats.rate_dict(9, 10)["sufficient"] is True


def test_the_prior_is_the_mean_of_platforms_with_enough_complaints():
    big_good = Counts(
        complaints=1000, backed=1000, replied=900, replied_backed=900, resolved=800, resolved_backed=800
    )
    big_bad = Counts(complaints=10, backed=10, replied=1, replied_backed=1)
    tiny = Counts(complaints=1, backed=1, replied=1, replied_backed=1, resolved=1, resolved_backed=1)
    prior = rating.compute_prior([big_good, big_bad, tiny])
    # Each platform with enough complaints counts once: one giant cannot set everybody's prior.
    assert prior.reply == pytest.approx((0.9 + 0.1) / 2)
    assert prior.resolved == pytest.approx(0.4)
    assert prior.platforms == 2 and prior.measured


def test_without_any_complaint_the_prior_is_the_stated_starting_assumption():
    assert rating.compute_prior([]) == rating.DEFAULT_PRIOR
    assert not rating.DEFAULT_PRIOR.measured


# --- incremental statistics --------------------------------------------------------------------------------------


@pytest.fixture
def platform(db) -> Platform:
    return Platform.objects.create(name="某某卡盟")


def complaint(platform: Platform, **fields) -> PublicComplaint:
    return PublicComplaint.objects.create(
        **{"platform": platform, "pseudonym": "消费者", "title": "卡密无效", "story": "……", **fields}
    )


def publish(c: PublicComplaint, when: dt.datetime = NOW) -> PublicComplaint:
    c.status, c.published_at = "published", when
    c.save()
    stats.on_published(c)
    return c


def reply(c: PublicComplaint, when: dt.datetime) -> None:
    ComplaintReply.objects.create(complaint=c, author="platform", text="已处理", created_at=when)
    if c.first_reply_at is None:
        c.first_reply_at = when
        c.save()
        stats.on_first_reply(c, when)
    else:
        stats.on_later_reply(c)


def confirm(c: PublicComplaint, answer: bool) -> None:
    previous, c.consumer_confirmed = c.consumer_confirmed, answer
    c.save()
    stats.on_confirmed(c, answer, previous)


def withdraw(c: PublicComplaint) -> None:
    c.status, c.withdrawn_at = "withdrawn", NOW
    c.save()
    stats.on_withdrawn(c)


def test_publishing_counts_a_complaint(platform):
    publish(complaint(platform, amount=Decimal("100"), payment_backed=True, problem_type="fraud_runaway"))
    s = PlatformStats.objects.get(platform=platform)
    assert (s.complaints, s.payment_backed, s.runaway, s.runaway_backed) == (1, 1, 1, 1)
    assert s.amount_total == Decimal("100") and s.amount_hist == {"100": 1}
    assert s.by_month == {"2026-11": 1} and s.runaway_by_month == {"2026-11": 1}
    assert s.last_runaway_at == NOW
    assert s.rating is not None


def test_a_pending_complaint_is_not_counted(platform):
    c = complaint(platform)
    stats.on_withdrawn(c)  # withdrawn before moderation: nothing to count
    assert not PlatformStats.objects.filter(platform=platform).exists()


def test_a_withdrawn_complaint_still_counts_anonymously(platform):
    c = publish(complaint(platform))
    withdraw(c)
    s = PlatformStats.objects.get(platform=platform)
    assert (s.complaints, s.withdrawn) == (1, 1)


def test_the_first_reply_adds_its_working_hours(platform):
    c = publish(complaint(platform), at(2026, 11, 20, 17))  # Friday 17:00
    reply(c, at(2026, 11, 23, 10, 30))  # Monday 10:30 → 2.5 working hours, bucket 3
    reply(c, at(2026, 11, 24, 10))
    s = PlatformStats.objects.get(platform=platform)
    assert (s.replied, s.public_replies, s.reply_hours) == (1, 2, {"3": 1})


def test_a_consumer_changing_their_answer_moves_the_resolved_count(platform):
    c = publish(complaint(platform, payment_backed=True))
    confirm(c, False)
    s = PlatformStats.objects.get(platform=platform)
    assert (s.answered, s.resolved_confirmed) == (1, 0)
    confirm(c, True)
    s.refresh_from_db()
    assert (s.answered, s.resolved_confirmed, s.resolved_backed) == (1, 1, 1)
    confirm(c, True)  # the same answer again changes nothing
    s.refresh_from_db()
    assert (s.answered, s.resolved_confirmed) == (1, 1)


def test_taking_a_complaint_down_removes_all_of_it(platform):
    keep = publish(complaint(platform, problem_type="fraud_runaway"), at(2026, 10, 1, 10))
    gone = publish(complaint(platform, problem_type="fraud_runaway", amount=Decimal("30")), NOW)
    reply(gone, NOW + dt.timedelta(hours=1))
    confirm(gone, True)
    gone.status = "rejected"
    gone.save()
    stats.on_unpublished(gone)
    s = PlatformStats.objects.get(platform=platform)
    assert stats.differences(s, stats.compute(platform)) == {}
    assert s.complaints == 1 and s.last_runaway_at == keep.published_at


def test_incremental_statistics_equal_a_recomputation_after_random_events(db):
    rnd = random.Random(20261125)
    platforms = [Platform.objects.create(name=f"平台{i}") for i in range(3)]
    pending: list[PublicComplaint] = []
    live: list[PublicComplaint] = []
    types = ["invalid_code", "fraud_runaway", "delayed_delivery", ""]
    for _ in range(400):
        event = rnd.choice(
            ["new", "new", "publish", "publish", "reply", "reply", "confirm", "withdraw", "take_down"]
        )
        if event == "new" or not (pending or live):
            amount = rnd.choice([None, Decimal(rnd.randint(1, 300000)) / 100])
            pending.append(
                complaint(
                    rnd.choice(platforms),
                    problem_type=rnd.choice(types),
                    amount=amount,
                    payment_backed=rnd.random() < 0.5,
                )
            )
        elif event == "publish" and pending:
            c = pending.pop(rnd.randrange(len(pending)))
            when = NOW - dt.timedelta(days=rnd.randint(0, 400), minutes=rnd.randint(0, 1440))
            live.append(publish(c, when))
        elif event == "reply" and live:
            c = rnd.choice(live)
            last = c.first_reply_at or c.published_at
            reply(c, last + dt.timedelta(minutes=rnd.randint(1, 60 * 24 * 20)))
        elif event == "confirm" and live:
            confirm(rnd.choice(live), rnd.random() < 0.6)
        elif event == "withdraw" and live:
            c = rnd.choice(live)
            if c.status == "published":
                withdraw(c)
        elif event == "take_down" and live:
            c = live.pop(rnd.randrange(len(live)))
            c.status = "rejected"
            c.save()
            stats.on_unpublished(c)
    total = 0
    for p in platforms:
        stored = PlatformStats.objects.get(platform=p)
        assert stats.differences(stored, stats.compute(p)) == {}, p.name
        total += stored.complaints
    assert total == len(live) > 20


@pytest.mark.django_db(transaction=True)
def test_concurrent_events_do_not_lose_counts():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the row lock matters on PostgreSQL")
    platform = Platform.objects.create(name="并发卡盟")
    ids = [complaint(platform, status="published", published_at=NOW).pk for _ in range(40)]
    barrier = threading.Barrier(4)

    def worker(chunk: list[int]) -> None:
        try:
            barrier.wait()
            for pk in chunk:
                with transaction.atomic():
                    stats.on_published(PublicComplaint.objects.get(pk=pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert PlatformStats.objects.get(platform=platform).complaints == 40


def test_recompute_stats_reports_and_repairs_a_difference(platform):
    publish(complaint(platform, amount=Decimal("20")))
    PlatformStats.objects.filter(platform=platform).update(complaints=7)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("recompute_stats", "--check", stdout=out)
    assert exc.value.code == 1
    assert "complaints 7 → 1" in out.getvalue()
    assert PlatformStats.objects.get(platform=platform).complaints == 7  # --check writes nothing

    out = io.StringIO()
    call_command("recompute_stats", stdout=out)
    assert "1 个有差异已修正" in out.getvalue()
    assert PlatformStats.objects.get(platform=platform).complaints == 1
    assert RatingPrior.objects.get().weight == 0.5  # one bare complaint


# --- the summary and the page ------------------------------------------------------------------------------------


def fill(platform: Platform, n: int, *, start: int = 0) -> None:
    for i in range(start, start + n):
        c = publish(
            complaint(
                platform, amount=Decimal(50 + i), payment_backed=i % 2 == 0, problem_type="invalid_code"
            ),
            NOW - dt.timedelta(days=i * 7),
        )
        if i % 5 != 4:
            reply(c, c.published_at + dt.timedelta(hours=3))
        if i % 5 in (0, 1):
            confirm(c, True)


def test_the_summary_gives_each_rate_with_its_sample_and_interval(platform):
    fill(platform, 10)
    platform = Platform.objects.select_related("stats").get(pk=platform.pk)
    with time_machine.travel(NOW, tick=False):
        s = stats.platform_summary(platform, today=NOW.date())
    assert s["complaints"] == 10
    assert s["reply"] == {"k": 8, "n": 10, "rate": 0.8, "low": 0.4902, "high": 0.9433, "sufficient": True}
    assert s["resolved"]["k"] == 4 and s["resolved"]["sufficient"]
    assert s["payment_backed"]["k"] == 5
    assert s["median_reply_hours"]["n"] == 8
    assert s["amounts"]["total"] == f"{sum(range(50, 60))}.00"
    assert s["amounts"]["median_range"] == [50, 100]
    assert [m["month"] for m in s["by_month"]][-1] == "2026-11"
    assert sum(m["count"] for m in s["by_month"]) == 10
    assert s["rating"]["ranked"] and s["rating"]["grade"] in "ABCDE"


def test_reading_the_summary_makes_at_most_one_query(platform, django_assert_max_num_queries):
    fill(platform, 3)
    platform = Platform.objects.select_related("stats").get(pk=platform.pk)
    with django_assert_max_num_queries(1):
        stats.platform_summary(platform)


def page_queries(client, platform: Platform) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(f"/platforms/{platform.public_id}/")
    assert r.status_code == 200
    return len(ctx.captured_queries), r.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_platform_page_uses_the_same_few_queries_for_5_or_50_complaints(
    client, platform, django_assert_max_num_queries
):
    fill(platform, 5)
    few, _ = page_queries(client, platform)
    fill(platform, 45, start=5)
    with django_assert_max_num_queries(few):
        many, html = page_queries(client, platform)
    assert many == few <= 5
    assert "50</span> 起" in html


@time_machine.travel(NOW, tick=False)
def test_the_platform_page_shows_rates_with_intervals_the_rating_and_its_limits(client, platform):
    fill(platform, 10)
    _, html = page_queries(client, platform)
    assert "95% 置信区间 49%–94%" in html  # reply rate 8/10
    assert "信用评级" in html and "满分 100" in html
    assert "不是法律认定" in html and "不知道平台的销量" in html and "可能被操纵" in html
    assert html.count('<rect class="bar"') == 12
    assert "卡密无效" in html  # the latest complaints, titles shown
    assert "平台公开回复" in html


@time_machine.travel(NOW, tick=False)
def test_a_platform_with_few_complaints_shows_insufficient_samples(client, platform):
    fill(platform, 3)
    _, html = page_queries(client, platform)
    assert "样本不足" in html and "不评级" in html
    assert "置信区间" not in html


def test_the_platform_page_does_not_show_pending_or_withdrawn_complaints(client, platform):
    complaint(platform, title="待审核的投诉")
    withdraw(publish(complaint(platform, title="撤回的投诉")))
    _, html = page_queries(client, platform)
    assert "待审核的投诉" not in html and "撤回的投诉" not in html


def test_an_unknown_platform_page_is_404(client, db):
    assert client.get("/platforms/00000000-0000-0000-0000-000000000000/").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_a_kept_platform_page_costs_one_query_and_still_shows_every_new_complaint_and_reply(client, platform):
    fill(platform, 5)
    page_queries(client, platform)  # rendered and kept
    kept, html = page_queries(client, platform)
    assert kept == 1 and "5</span> 起" in html
    c = publish(complaint(platform, title="刚刚公开的投诉"))  # same clock tick as the kept page
    _, html = page_queries(client, platform)
    assert "6</span> 起" in html and "刚刚公开的投诉" in html and "平台未回复" in html
    reply(c, NOW)
    _, html = page_queries(client, platform)
    assert html.count("平台已回复") == 5  # the 4 of fill() that were answered, and this one


@time_machine.travel(NOW, tick=False)
def test_a_kept_platform_page_shows_the_visitors_own_menu(client, platform, django_user_model):
    fill(platform, 1)
    assert "登录" in page_queries(client, platform)[1]
    client.force_login(django_user_model.objects.create_user("bob", password="x" * 12))
    html = page_queries(client, platform)[1]
    assert "我的案件" in html and "注册" not in html


@time_machine.travel(NOW, tick=False)
def test_a_kept_platform_page_shows_a_domain_learnt_since(client, platform):
    fill(platform, 1)
    assert "xin-kameng.com" not in page_queries(client, platform)[1]
    PlatformAlias.objects.create(platform=platform, kind="domain", value="xin-kameng.com")
    assert "xin-kameng.com" in page_queries(client, platform)[1]
