"""Working days and deadlines: Chinese holidays, 调休 make-up days, 民法典 Arts. 201–203, promises."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import replace
from pathlib import Path

import chinese_calendar
import pytest

from weiquan.domain.citations import cite
from weiquan.domain.workdays import (
    HOLIDAY_DIR,
    SHANGHAI,
    HolidayDataError,
    HolidayPeriod,
    WorkCalendar,
    chinese_calendar_schedule,
    chinese_calendar_years,
    default_calendar,
    load_overrides,
    load_schedule,
    parse_promise,
    parse_promises,
    schedule_to_yaml,
)

D = dt.date
CC_2026 = "chinese-calendar 1.11.0（国务院办公厅关于2026年部分节假日安排的通知）"
NOTE_2027 = "2027年国务院节假日安排尚未发布，法定节假日已计入，调休安排不影响这一期限"
SOURCE_2027 = "法定节假日按全国年节及纪念日放假办法计入（holidays 0.109），2027年调休安排尚未发布"
# When the customer-service promise was made: Wednesday 2026-11-25, 10:00 Beijing time.
PROMISE_AT = dt.datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def dates(*iso: str) -> tuple[dt.date, ...]:
    return tuple(D.fromisoformat(x) for x in iso)


# ---- the 2026 schedule -------------------------------------------------------------------------------------


def test_spring_festival_2026_is_nine_days_off_with_two_makeup_saturdays(cal: WorkCalendar) -> None:
    for i in range(9):
        day = cal.day_status(D(2026, 2, 15) + dt.timedelta(days=i))
        assert (day.workday, day.reason) == (False, "春节")
    for d in (D(2026, 2, 14), D(2026, 2, 28)):
        assert d.weekday() == 5
        assert cal.is_workday(d)
        assert cal.day_status(d).reason == "调休上班"
    assert cal.is_workday(D(2026, 2, 24))


def test_national_day_2026_is_oct_1_to_7_with_sep_20_and_oct_10_worked(cal: WorkCalendar) -> None:
    assert [cal.day_status(D(2026, 10, d)).reason for d in range(1, 8)] == ["国庆节"] * 7
    assert not any(cal.is_workday(D(2026, 10, d)) for d in range(1, 8))
    assert cal.day_status(D(2026, 9, 20)).reason == "调休上班"  # a Sunday
    assert cal.day_status(D(2026, 10, 10)).reason == "调休上班"  # a Saturday
    assert cal.is_workday(D(2026, 10, 8))


def test_an_ordinary_weekend_is_a_rest_day_and_says_so(cal: WorkCalendar) -> None:
    day = cal.day_status(D(2026, 11, 28))
    assert (day.workday, day.reason, day.source, day.provisional) == (False, "周末", CC_2026, False)
    assert cal.day_status(D(2026, 11, 27)).reason is None


def test_year_tables_match_chinese_calendar_every_day(cal: WorkCalendar) -> None:
    for year in chinese_calendar_years():
        d = D(year, 1, 1)
        while d.year == year:
            assert cal.is_workday(d) == chinese_calendar.is_workday(d), d
            d += dt.timedelta(days=1)


# ---- working days (民法典 Art. 201: start the next day) -----------------------------------------------------


def test_seven_workdays_across_national_day_2026(cal: WorkCalendar) -> None:
    deadline = cal.add_workdays(D(2026, 9, 28), 7)

    assert deadline.date == D(2026, 10, 13)
    assert deadline.counted == dates(
        "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13"
    )
    assert deadline.makeup_days == (D(2026, 10, 10),)
    assert [(s.date.day, s.reason) for s in deadline.skipped] == [(d, "国庆节") for d in range(1, 8)] + [
        (11, "周末")
    ]
    assert deadline.sources == (CC_2026,)
    assert not deadline.provisional
    # The first working day after the start counts: the start day itself never does.
    assert cal.add_workdays(D(2026, 9, 28), 1).date == D(2026, 9, 29)


def test_seven_workdays_across_spring_festival_2026(cal: WorkCalendar) -> None:
    deadline = cal.add_workdays(D(2026, 2, 10), 7)

    assert deadline.date == D(2026, 2, 26)
    assert deadline.counted == dates(
        "2026-02-11", "2026-02-12", "2026-02-13", "2026-02-14", "2026-02-24", "2026-02-25", "2026-02-26"
    )
    assert deadline.makeup_days == (D(2026, 2, 14),)
    assert [s.date for s in deadline.skipped] == [D(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)]
    assert {s.reason for s in deadline.skipped} == {"春节"}


def test_working_days_agree_with_chinese_calendar_find_workday_from_a_working_day(cal: WorkCalendar) -> None:
    base = D(2025, 1, 2)
    while base < D(2026, 9, 1):
        if cal.is_workday(base):
            for n in (1, 3, 7, 15, 45):
                assert cal.add_workdays(base, n).date == chinese_calendar.find_workday(n, base), (base, n)
        base += dt.timedelta(days=3)


def test_counting_from_a_rest_day_starts_with_the_next_working_day(cal: WorkCalendar) -> None:
    # A complaint received on New Year's Day: day 1 is 01-02 (Art. 201). chinese-calendar's find_workday(1, …)
    # would say 01-03, because it treats the first working day on or after a rest day as day 0.
    assert cal.add_workdays(D(2025, 1, 1), 1).date == D(2025, 1, 2)
    assert chinese_calendar.find_workday(1, D(2025, 1, 1)) == D(2025, 1, 3)


def test_explain_names_the_skipped_holidays_and_makeup_days(cal: WorkCalendar) -> None:
    assert cal.add_workdays(D(2026, 9, 28), 7).explain() == (
        "自2026年9月28日次日起算7个工作日，跳过国庆节假期（10月1日–10月7日）和周末共8天，"
        "计入调休上班日10月10日，截止2026年10月13日（星期二）。"
    )
    assert "跳过春节假期（2月15日–2月23日）共9天" in cal.add_workdays(D(2026, 2, 10), 7).explain()


def test_explain_groups_a_combined_national_day_and_mid_autumn_break(cal: WorkCalendar) -> None:
    # 2025: National Day and Mid-Autumn together, Oct 1–8, with Sep 28 and Oct 11 worked.
    text = cal.add_workdays(D(2025, 9, 26), 6).explain()
    assert "国庆节、中秋节假期（10月1日–10月8日）" in text
    assert "计入调休上班日9月28日、10月11日" in text


def test_workdays_reject_a_period_of_less_than_one_day(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_workdays(D(2026, 9, 28), 0)


# ---- calendar days, months, years (民法典 Arts. 201–203) ---------------------------------------------------


def test_calendar_days_ending_on_national_day_move_to_the_next_working_day(cal: WorkCalendar) -> None:
    deadline = cal.add_days(D(2026, 9, 16), 15)

    assert deadline.moved_from == D(2026, 10, 1)
    assert deadline.date == D(2026, 10, 8)
    assert [s.date.day for s in deadline.skipped] == list(range(1, 8))
    assert deadline.explain() == (
        "自2026年9月16日次日起算15日，期间最后一日2026年10月1日是国庆节假期，顺延至2026年10月8日（星期四）。"
    )


def test_calendar_days_do_not_skip_holidays_in_the_middle(cal: WorkCalendar) -> None:
    deadline = cal.add_days(D(2026, 9, 28), 15)  # runs through the whole National Day break
    assert deadline.date == D(2026, 10, 13)
    assert deadline.moved_from is None


def test_calendar_days_ending_on_a_makeup_saturday_are_not_moved(cal: WorkCalendar) -> None:
    deadline = cal.add_days(D(2026, 9, 30), 10)

    assert deadline.date == D(2026, 10, 10)  # a Saturday, but a 调休 working day
    assert deadline.moved_from is None
    assert deadline.makeup_days == (D(2026, 10, 10),)
    assert "调休上班日" in deadline.explain()


def test_calendar_days_ending_on_an_ordinary_sunday_move_to_monday(cal: WorkCalendar) -> None:
    deadline = cal.add_days(D(2026, 11, 14), 15)
    assert (deadline.moved_from, deadline.date) == (D(2026, 11, 29), D(2026, 11, 30))
    assert "是周末，顺延至2026年11月30日（星期一）" in deadline.explain()


def test_one_month_from_january_31_ends_on_february_28(cal: WorkCalendar) -> None:
    deadline = cal.add_months(D(2026, 1, 31), 1)

    assert deadline.date == D(2026, 2, 28)  # no 31st in February: the month's last day (Art. 202)
    assert deadline.month_end
    assert deadline.moved_from is None  # 2026-02-28 is a make-up Saturday, not a rest day
    assert "到期月没有对应日" in deadline.explain()


def test_months_end_on_the_corresponding_day_and_then_move_off_a_weekend(cal: WorkCalendar) -> None:
    assert cal.add_months(D(2026, 3, 15), 1).date == D(2026, 4, 15)
    deadline = cal.add_months(D(2026, 3, 31), 2)  # May 31 is a Sunday
    assert (deadline.moved_from, deadline.date, deadline.month_end) == (D(2026, 5, 31), D(2026, 6, 1), False)
    assert cal.add_months(D(2025, 11, 30), 3).date == D(2026, 2, 28)  # no Feb 30; the 28th is worked


def test_a_year_from_february_29_ends_on_february_28(cal: WorkCalendar) -> None:
    deadline = cal.add_years(D(2024, 2, 29), 1)
    assert deadline.date == D(2025, 2, 28)
    assert deadline.month_end
    assert cal.add_years(D(2023, 10, 1), 3).date == D(2026, 10, 8)  # 2026-10-01 is National Day


def test_limitation_period_ending_in_an_unpublished_national_day_gives_the_consumer_the_earliest_date(
    cal: WorkCalendar,
) -> None:
    # 2029-09-30 is a Sunday and 10/1–10/3 are statutory holidays in every year: the period runs on to 10-04 at the
    # earliest; the 2029 arrangement may give 10-04 and 10-05 off too (then 10-08).
    deadline = cal.add_years(D(2026, 9, 30), 3)
    assert (deadline.date, deadline.earliest, deadline.latest) == (
        D(2029, 10, 4),
        D(2029, 10, 4),
        D(2029, 10, 8),
    )
    assert deadline.provisional
    assert "最早为2029年10月4日、最晚为2029年10月8日" in deadline.explain()
    assert deadline.for_consumer().date == D(2029, 10, 4)


# ---- hours ---------------------------------------------------------------------------------------------------


def test_hours_give_an_exact_moment_and_never_move(cal: WorkCalendar) -> None:
    deadline = cal.add_hours(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), 24)

    assert deadline.at == dt.datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)
    assert deadline.date == D(2026, 10, 1)  # National Day, and still the deadline
    assert deadline.moved_from is None
    assert deadline.at.utcoffset() == dt.timedelta(hours=8)


def test_hours_take_a_naive_time_as_beijing_time_and_convert_other_zones(cal: WorkCalendar) -> None:
    naive = cal.add_hours(dt.datetime(2026, 11, 25, 20, 0), 6)
    assert naive.at == dt.datetime(2026, 11, 26, 2, 0, tzinfo=SHANGHAI)
    assert naive.date == D(2026, 11, 26)
    utc = cal.add_hours(dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC), 1)
    assert utc.date == D(2026, 11, 26)  # 21:00 UTC is 05:00 the next morning in Beijing
    assert utc.at is not None and utc.at.hour == 5


# ---- beyond the published data -----------------------------------------------------------------------------


def test_new_years_day_2027_is_a_rest_day_although_the_2027_notice_is_not_out(cal: WorkCalendar) -> None:
    # `weiquan workdays add 2026-12-28 7` (issue 7): 元旦 is fixed by 全国年节及纪念日放假办法 for every year.
    deadline = cal.add_workdays(D(2026, 12, 28), 7)

    assert deadline.date == D(2027, 1, 7)
    assert D(2027, 1, 1) not in deadline.counted
    assert "跳过元旦假期（2027年1月1日）" in deadline.explain()
    # A Friday 元旦 already makes a full three-day break: no arrangement can move this deadline.
    assert not deadline.provisional and deadline.earliest is None
    assert deadline.notes == (NOTE_2027,)
    assert deadline.sources == (CC_2026, SOURCE_2027)
    assert cal.year_source(2027) == (SOURCE_2027, True)
    new_year = cal.day_status(D(2027, 1, 1))
    assert (new_year.workday, new_year.reason, new_year.provisional) == (False, "元旦", False)


def test_every_statutory_holiday_of_an_unpublished_year_is_a_rest_day(cal: WorkCalendar) -> None:
    days = {
        D(2027, 2, 5): "春节",  # 除夕
        D(2027, 2, 8): "春节",  # 初三 (a Monday)
        D(2027, 4, 5): "清明节",
        D(2027, 5, 1): "劳动节",
        D(2027, 5, 2): "劳动节",
        D(2027, 6, 9): "端午节",
        D(2027, 9, 15): "中秋节",
        D(2027, 10, 1): "国庆节",
        D(2027, 10, 3): "国庆节",
    }
    for day, name in days.items():
        status = cal.day_status(day)
        assert (status.workday, status.reason, status.provisional) == (False, name, False), day
    # The package's own guesses at 补假 are not statutory: 2027-10-04 is an ordinary (provisional) Monday.
    monday = cal.day_status(D(2027, 10, 4))
    assert (monday.workday, monday.reason, monday.provisional) == (True, None, True)


def test_an_authority_deadline_the_arrangement_could_move_shows_both_dates(cal: WorkCalendar) -> None:
    deadline = cal.add_workdays(D(2027, 9, 28), 7)  # e.g. 12315's seven working days, filed before 国庆 2027
    assert deadline.date == D(2027, 10, 8)
    assert (deadline.earliest, deadline.latest) == (D(2027, 10, 8), D(2027, 10, 19))
    assert deadline.provisional
    assert deadline.to_dict()["latest"] == "2027-10-19"


def test_a_deadline_within_2026_is_not_provisional(cal: WorkCalendar) -> None:
    deadline = cal.add_workdays(D(2026, 12, 14), 7)
    assert deadline.date == D(2026, 12, 23)
    assert not deadline.provisional
    assert deadline.notes == ()
    assert cal.year_source(2026) == (CC_2026, False)


def test_a_calendar_deadline_moving_within_2027_is_certain_over_new_year_and_provisional_over_national_day(
    cal: WorkCalendar,
) -> None:
    deadline = cal.add_days(D(2026, 12, 20), 13)
    assert (deadline.moved_from, deadline.date) == (D(2027, 1, 2), D(2027, 1, 4))
    assert not deadline.provisional
    national_day = cal.add_days(D(2027, 9, 20), 12)
    assert (national_day.moved_from, national_day.date) == (D(2027, 10, 2), D(2027, 10, 4))
    assert (national_day.earliest, national_day.latest) == (D(2027, 10, 4), D(2027, 10, 11))


def test_years_before_the_data_say_they_are_not_covered(cal: WorkCalendar) -> None:
    source, provisional = cal.year_source(2003)
    assert provisional
    assert "2003年调休安排未收录" in source


# ---- overrides -----------------------------------------------------------------------------------------------


def test_an_injected_correction_changes_the_result() -> None:
    before = WorkCalendar().add_workdays(D(2026, 11, 24), 3)
    assert before.date == D(2026, 11, 27)

    published = chinese_calendar_schedule(2026)
    corrected = replace(
        published,
        holidays=(*published.holidays, HolidayPeriod("临时休假", (D(2026, 11, 26),))),
        notice="更正后的2026年安排（测试）",
        url="https://example.org/notice",
        origin="测试更正表",
    )
    after = WorkCalendar(overrides={2026: corrected}).add_workdays(D(2026, 11, 24), 3)

    assert after.date == D(2026, 11, 30)
    assert after.counted == dates("2026-11-25", "2026-11-27", "2026-11-30")
    assert (after.skipped[0].date, after.skipped[0].reason) == (D(2026, 11, 26), "临时休假")
    assert after.sources == ("测试更正表（更正后的2026年安排（测试），https://example.org/notice）",)
    assert "临时休假（11月26日）" in after.explain()


def test_an_override_file_beats_the_weekend_fallback(tmp_path: Path) -> None:
    # Real 2026 dates, with chinese-calendar switched off to stand in for a year it does not know.
    (tmp_path / "2026.yaml").write_text(_readme_example(), encoding="utf-8")
    without = WorkCalendar(use_chinese_calendar=False).add_workdays(D(2026, 9, 28), 7)
    with_file = WorkCalendar(overrides=load_overrides(tmp_path), use_chinese_calendar=False)
    deadline = with_file.add_workdays(D(2026, 9, 28), 7)

    # Without the notice: statutory 10/1–10/3 only (and weekends), the arrangement flagged as unknown.
    assert without.provisional and without.date == D(2026, 10, 9)
    assert deadline.date == D(2026, 10, 13)
    assert not deadline.provisional
    assert deadline.sources[0].startswith(
        f"{tmp_path / '2026.yaml'}（国务院办公厅关于2026年部分节假日安排的通知，2025-11-04发布，"
    )


def test_a_next_year_notice_can_start_its_new_year_break_in_december() -> None:
    # chinese-calendar's own 2019 notice does this: 2018-12-29 worked, 2018-12-30/31 off.
    notice_2019 = replace(chinese_calendar_schedule(2019), url="https://example.org/2019", origin="2019.yaml")
    cal = WorkCalendar(overrides={2019: notice_2019}, use_chinese_calendar=False)
    assert cal.day_status(D(2018, 12, 29)).reason == "调休上班"
    assert cal.day_status(D(2018, 12, 31)).reason == "元旦"
    assert cal.day_status(D(2018, 12, 31)).source.startswith("2019.yaml")


def test_readme_example_parses_and_matches_chinese_calendar(tmp_path: Path) -> None:
    path = tmp_path / "2026.yaml"
    path.write_text(_readme_example(), encoding="utf-8")
    from_file = load_schedule(path)

    assert from_file.published == D(2025, 11, 4)
    assert from_file.days_off() == chinese_calendar_schedule(2026).days_off()
    assert from_file.makeup_days() == chinese_calendar_schedule(2026).makeup_days()


def test_a_dumped_schedule_loads_back_once_its_notice_is_filled_in(tmp_path: Path) -> None:
    # Placeholder notice details: this test is about the file round trip, not the 2019 notice.
    schedule = replace(
        chinese_calendar_schedule(2019), url="https://example.org/2019", published=D(2018, 12, 1)
    )
    path = tmp_path / "2019.yaml"
    path.write_text(schedule_to_yaml(schedule), encoding="utf-8")
    assert load_schedule(path).days_off() == schedule.days_off()

    path.write_text(schedule_to_yaml(chinese_calendar_schedule(2019)), encoding="utf-8")  # empty url/date
    with pytest.raises(HolidayDataError):
        load_schedule(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("makeup_workdays: [2026-01-04]", "makeup_workdays: [2026-01-05]"), "not a Saturday or Sunday"),
        (("makeup_workdays: [2026-01-04]", "makeup_workday: [2026-01-04]"), "unknown key"),
        (("year: 2026", "year: 2025"), "does not match the file name"),
        (("{from: 2026-04-04, to: 2026-04-06}", "{from: 2026-04-04, to: 2026-04-02}"), "ends before"),
        (("{from: 2026-04-04, to: 2026-04-06}", "{from: 2026-05-04, to: 2026-05-06}"), "listed twice"),
        (("  url: https://www.gov.cn", "  url: www.gov.cn"), "web address"),
    ],
)
def test_a_bad_holiday_file_is_rejected(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = _readme_example()
    assert change[0] in text
    path = tmp_path / "2026.yaml"
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(HolidayDataError, match=message):
        load_schedule(path)


def test_every_shipped_holiday_file_is_valid() -> None:
    overrides = load_overrides(HOLIDAY_DIR)
    assert 2027 not in overrides or overrides[2027].url.startswith("https://www.gov.cn/")
    assert default_calendar() is default_calendar()


def test_the_fingerprint_changes_with_the_data() -> None:
    corrected = replace(chinese_calendar_schedule(2026), url="https://example.org/x")
    assert WorkCalendar().fingerprint() == WorkCalendar().fingerprint()
    assert WorkCalendar().fingerprint() != WorkCalendar(overrides={2026: corrected}).fingerprint()


# ---- counting down -------------------------------------------------------------------------------------------


def test_workdays_left_counts_working_days_after_today(cal: WorkCalendar) -> None:
    deadline = D(2026, 10, 13)
    assert cal.workdays_left(D(2026, 9, 28), deadline) == 7
    assert cal.workdays_left(D(2026, 10, 8), deadline) == 4  # 10-09, 10-10 (make-up), 10-12, 10-13
    assert cal.workdays_left(deadline, deadline) == 0
    assert cal.workdays_left(D(2026, 10, 14), deadline) == -1
    assert cal.workdays_left(D(2026, 10, 19), D(2026, 10, 16)) == -1  # Friday's deadline seen on Monday


def test_workdays_left_across_years_matches_counting(cal: WorkCalendar) -> None:
    deadline = cal.add_workdays(D(2025, 12, 1), 300)
    assert cal.workdays_left(D(2025, 12, 1), deadline.date) == 300


# ---- output --------------------------------------------------------------------------------------------------


def test_to_dict_is_json_safe_and_carries_rule_and_provenance(cal: WorkCalendar) -> None:
    data = cal.add_days(D(2026, 9, 16), 15).to_dict()
    json.dumps(data, ensure_ascii=False)

    assert data["date"] == "2026-10-08"
    assert data["moved_from"] == "2026-10-01"
    assert data["ends_at"] == "2026-10-09T00:00:00+08:00"  # the last day runs to 24:00 (Art. 203 ¶2)
    assert "第二百零三条" in data["rule"]
    assert data["explain"].startswith("自2026年9月16日次日起算15日")
    assert data["sources"] == [CC_2026]
    assert data["skipped"][0] == {
        "date": "2026-10-01",
        "workday": False,
        "reason": "国庆节",
        "source": CC_2026,
        "provisional": False,
    }
    for cid in data["citations"]:
        assert cite(cid)


# ---- customer-service promises -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit", "n", "date", "at"),
    [
        ("24小时内", "hours", 24, "2026-11-26", "2026-11-26T10:00:00+08:00"),
        ("我们会在48小时处理", "hours", 48, "2026-11-27", "2026-11-27T10:00:00+08:00"),
        ("2小时内回复", "hours", 2, "2026-11-25", "2026-11-25T12:00:00+08:00"),
        ("3个工作日内", "workdays", 3, "2026-11-30", None),
        ("三个工作日给您答复", "workdays", 3, "2026-11-30", None),
        ("1-3个工作日", "workdays", 3, "2026-11-30", None),
        ("３～５个工作日到账", "workdays", 5, "2026-12-02", None),
        ("7天内退款", "days", 7, "2026-12-02", None),
        ("一周内", "days", 7, "2026-12-02", None),
        ("一个月内", "months", 1, "2026-12-25", None),
        ("明天", "fixed", 1, "2026-11-26", None),
        ("明天下午三点前", "fixed", 1, "2026-11-26", "2026-11-26T15:00:00+08:00"),
        ("今天内", "fixed", 0, "2026-11-25", None),
        ("今天之内给你处理", "fixed", 0, "2026-11-25", None),
        ("今晚八点前", "fixed", 0, "2026-11-25", "2026-11-25T20:00:00+08:00"),
        ("下周一", "fixed", 5, "2026-11-30", None),
        ("月底前", "fixed", 5, "2026-11-30", None),
    ],
)
def test_promise_is_parsed(text: str, unit: str, n: int, date: str, at: str | None) -> None:
    deadline = parse_promise(text, PROMISE_AT, WorkCalendar())
    assert deadline is not None
    assert (deadline.unit, deadline.n, deadline.date.isoformat()) == (unit, n, date)
    assert (deadline.at.isoformat() if deadline.at else None) == at
    assert deadline.phrase and deadline.phrase in text.replace("３～５", "3~5")
    assert deadline.explain().startswith(f"按客服承诺「{deadline.phrase}」")


@pytest.mark.parametrize("text", ["马上处理", "请耐心等待", "12月3日前处理", "", "第3条"])
def test_text_without_a_time_promise_gives_none(text: str) -> None:
    assert parse_promise(text, PROMISE_AT, WorkCalendar()) is None


def test_a_range_promise_takes_the_upper_bound_and_says_so() -> None:
    deadline = parse_promise("1-3个工作日", PROMISE_AT, WorkCalendar())
    assert deadline is not None
    assert "按上限3计算" in deadline.explain()


def test_promised_working_days_skip_holidays() -> None:
    deadline = parse_promise(
        "3个工作日内退款", dt.datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI), WorkCalendar()
    )
    assert deadline is not None
    assert deadline.date == D(2026, 10, 10)  # 10-08, 10-09, 10-10 (make-up Saturday)


def test_a_named_day_is_not_moved_even_on_a_holiday() -> None:
    deadline = parse_promise("明天给您回复", dt.datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI), WorkCalendar())
    assert deadline is not None
    assert (deadline.date, deadline.moved_from) == (D(2026, 10, 1), None)


def test_next_monday_from_a_sunday_is_the_next_day() -> None:
    deadline = parse_promise("下周一处理", dt.datetime(2026, 11, 29, 9, 0, tzinfo=SHANGHAI), WorkCalendar())
    assert deadline is not None and deadline.date == D(2026, 11, 30)


def test_an_hour_without_morning_or_afternoon_is_read_as_afternoon_and_noted() -> None:
    deadline = parse_promise("明天3点前", PROMISE_AT, WorkCalendar())
    assert deadline is not None and deadline.at is not None
    assert deadline.at.hour == 15
    assert any("按下午15点理解" in note for note in deadline.notes)


def test_several_promises_come_back_in_order() -> None:
    found = parse_promises("24小时内回复，3个工作日内退款", PROMISE_AT, WorkCalendar())
    assert [d.unit for d in found] == ["hours", "workdays"]
    assert parse_promise("24小时内回复，3个工作日内退款", PROMISE_AT, WorkCalendar()) == found[0]


# ---- speed ---------------------------------------------------------------------------------------------------


def test_a_plan_worth_of_deadlines_takes_well_under_two_milliseconds(cal: WorkCalendar) -> None:
    cal.add_workdays(D(2026, 12, 28), 45)  # build the year tables once
    began = time.perf_counter()
    for _ in range(100):
        for n in (1, 3, 5, 7, 7, 15, 15, 30, 45, 60):
            cal.add_workdays(D(2026, 9, 28), n)
    per_plan = (time.perf_counter() - began) / 100
    assert per_plan < 0.002  # typically ~0.1 ms


def _readme_example() -> str:
    readme = (HOLIDAY_DIR / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(.*?)```", readme, re.S)
    assert match, "the README must keep its YAML example"
    return match.group(1)


def test_cli_workdays_add_does_not_count_new_years_day_2027(capsys: pytest.CaptureFixture[str]) -> None:
    from weiquan.cli import main

    assert main(["workdays", "add", "2026-12-28", "7"]) == 0
    first, explain = capsys.readouterr().out.splitlines()
    assert first == "2027-01-07"
    assert "跳过元旦假期（2027年1月1日）" in explain


def test_cli_consumer_deadline_takes_the_earliest_possible_date(capsys: pytest.CaptureFixture[str]) -> None:
    from weiquan.cli import main

    assert main(["workdays", "add", "2027-01-27", "10", "--json"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert (both["date"], both["earliest"], both["latest"]) == ("2027-02-12", "2027-02-10", "2027-02-24")
    assert main(["workdays", "add", "2027-01-27", "10", "--consumer"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2027-02-10"
