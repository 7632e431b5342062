"""Working days and deadlines in China, each result saying how it was computed.

A working day (工作日) is Monday–Friday unless the State Council's yearly notice gives it off, plus the weekend days
the notice makes working days (调休上班). For each calendar year the schedule comes from, in order of precedence:

1. a data file ``data/holidays/<year>.yaml`` (a newly published or corrected notice; format in its README),
2. chinese-calendar (the pinned package knows 2004–2026),
3. the statutory holidays alone (全国年节及纪念日放假办法: 元旦, 春节 with 除夕, 清明, 劳动节 5/1–5/2, 端午, 中秋,
   国庆 10/1–10/3 — certain in every year, dates from the ``holidays`` package) plus weekends. Only the State
   Council's 调休 arrangement is unknown: days it could change are marked provisional, and a deadline they could move
   carries its earliest and latest possible date (``Deadline.earliest``/``latest``; ``for_consumer()`` picks the
   earlier for a deadline the consumer must meet).

Periods follow 民法典 Arts. 201–203 (CPL Art. 85 is the same for procedural periods): counting starts the day after
the start; months and years end on the corresponding day, or the month's last day if there is none; a period whose
last day is a rest day (weekend or holiday — a 调休 working day is not one) ends on the next working day. Hour periods
run from the exact moment and never move.

Nothing here reads a clock: ``today`` and the moment a promise was made are always parameters.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import holidays as holidays_pkg
import yaml

from weiquan.domain.datafiles import DATA_DIR

Unit = Literal["workdays", "days", "months", "years", "hours", "fixed"]
Scenario = Literal["base", "earliest", "latest"]

HOLIDAY_DIR = DATA_DIR / "holidays"

WEEKEND = "周末"
MAKEUP = "调休上班"
WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def _shanghai() -> dt.tzinfo:
    # China has kept UTC+8 without daylight saving since 1991, so the fixed offset is exact for any date this
    # product meets; it is only used where the system has no tz database (slim containers).
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:
        return dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


SHANGHAI = _shanghai()


class HolidayDataError(ValueError):
    """A holiday table (file or injected schedule) that cannot be right; never silently ignored."""


# --------------------------------------------------------------------------------------------------------------
# Day status and yearly schedules


@dataclass(frozen=True, slots=True)
class DayStatus:
    date: dt.date
    workday: bool
    reason: str | None  # "周末", a holiday's name ("国庆节"), "调休上班", or None for an ordinary working day
    source: str
    provisional: bool

    @property
    def is_makeup(self) -> bool:
        return self.reason == MAKEUP

    @property
    def is_holiday(self) -> bool:
        """A day off named in a notice (not a plain weekend)."""
        return not self.workday and self.reason not in (None, WEEKEND)

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "workday": self.workday,
            "reason": self.reason,
            "source": self.source,
            "provisional": self.provisional,
        }


@dataclass(frozen=True, slots=True)
class HolidayPeriod:
    """One holiday of a notice: its days off (weekend days inside the break included) and its 调休 working days."""

    name: str
    days_off: tuple[dt.date, ...]
    makeup_days: tuple[dt.date, ...] = ()

    @classmethod
    def span(
        cls, name: str, first: dt.date, last: dt.date, makeup_days: Iterable[dt.date] = ()
    ) -> HolidayPeriod:
        days = tuple(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        return cls(name, days, tuple(makeup_days))


@dataclass(frozen=True, slots=True)
class YearSchedule:
    """The State Council's notice for one year (国务院办公厅关于<year>年部分节假日安排的通知).

    A notice may list late-December days of the previous year (a 元旦 break starting on 12-30, say); they are applied
    to that year. A schedule replaces chinese-calendar for its whole year, so it must list every holiday.
    """

    year: int
    holidays: tuple[HolidayPeriod, ...]
    notice: str
    url: str
    published: dt.date | None = None
    origin: str = "覆盖表"  # where the table came from: "data/holidays/2027.yaml", or a caller's label

    def __post_init__(self) -> None:
        seen: dict[dt.date, str] = {}
        for period in self.holidays:
            if not period.days_off:
                raise HolidayDataError(f"{self.origin}: {period.name} has no days off")
            for d in (*period.days_off, *period.makeup_days):
                if not (d.year == self.year or (d.year == self.year - 1 and d.month == 12)):
                    raise HolidayDataError(f"{self.origin}: {d} is outside the {self.year} notice's range")
                if d in seen:
                    raise HolidayDataError(f"{self.origin}: {d} is listed twice ({seen[d]}, {period.name})")
                seen[d] = period.name
            for d in period.makeup_days:
                # A 调休 working day is always a Saturday or Sunday; a weekday "make-up day" is a typo.
                if d.weekday() < 5:
                    raise HolidayDataError(
                        f"{self.origin}: make-up working day {d} ({period.name}) is not a Saturday or Sunday"
                    )

    @property
    def source(self) -> str:
        details = "，".join(
            x
            for x in (self.notice, f"{self.published.isoformat()}发布" if self.published else "", self.url)
            if x
        )
        return f"{self.origin}（{details}）"

    def days_off(self) -> dict[dt.date, str]:
        return {d: p.name for p in self.holidays for d in p.days_off}

    def makeup_days(self) -> dict[dt.date, str]:
        return {d: p.name for p in self.holidays for d in p.makeup_days}


# --------------------------------------------------------------------------------------------------------------
# chinese-calendar as a data source

# chinese-calendar names holidays in English; these are the names the State Council's notices use.
_CC_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _cc_name(english: str) -> str:
    if english in _CC_NAMES:
        return _CC_NAMES[english]
    try:
        return str(chinese_calendar.Holiday(english).chinese)
    except ValueError:
        return english


@dataclass(frozen=True, slots=True)
class _CcYear:
    off: dict[dt.date, str]
    makeup: dict[dt.date, str]


@functools.cache
def _cc_data() -> tuple[int, int, dict[int, _CcYear]]:
    """chinese-calendar's tables grouped by calendar year, read once per process.

    Reading its dictionaries (exported by the package) instead of calling ``is_workday`` per day keeps building a
    year to a few hundred microseconds; ``test_year_tables_match_chinese_calendar_every_day`` checks both agree.
    """
    by_year: dict[int, _CcYear] = {}
    for d, name in chinese_calendar.holidays.items():
        by_year.setdefault(d.year, _CcYear({}, {})).off[d] = _cc_name(name)
    for d, name in chinese_calendar.workdays.items():
        by_year.setdefault(d.year, _CcYear({}, {})).makeup[d] = _cc_name(name)
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years), by_year


def chinese_calendar_version() -> str:
    return str(getattr(chinese_calendar, "__version__", "?"))


def chinese_calendar_years() -> range:
    first, last, _ = _cc_data()
    return range(first, last + 1)


def chinese_calendar_schedule(year: int) -> YearSchedule:
    """chinese-calendar's data for ``year``'s notice as a YearSchedule: the starting point for a corrected table.

    Late-December 元旦 days belong to the next year's notice, so they move with it.
    """
    first, last, by_year = _cc_data()
    if not first <= year <= last:
        raise HolidayDataError(f"chinese-calendar {chinese_calendar_version()} has no data for {year}")

    def belongs(d: dt.date, name: str) -> bool:
        next_new_year = d.month == 12 and name == "元旦"
        return (d.year == year and not next_new_year) or (d.year == year - 1 and next_new_year)

    periods: dict[str, tuple[list[dt.date], list[dt.date]]] = {}
    for y in (year - 1, year):
        data = by_year.get(y, _CcYear({}, {}))
        for d, name in sorted(data.off.items()):
            if belongs(d, name):
                periods.setdefault(name, ([], []))[0].append(d)
        for d, name in sorted(data.makeup.items()):
            if belongs(d, name):
                periods.setdefault(name, ([], []))[1].append(d)
    ordered = sorted(periods.items(), key=lambda kv: min(kv[1][0] or kv[1][1]))
    return YearSchedule(
        year=year,
        holidays=tuple(HolidayPeriod(name, tuple(off), tuple(mk)) for name, (off, mk) in ordered if off),
        notice=_notice_title(year),
        url="",
        origin=f"chinese-calendar {chinese_calendar_version()}",
    )


def _notice_title(year: int) -> str:
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


# --------------------------------------------------------------------------------------------------------------
# Statutory holidays for a year whose notice is not out


@functools.cache
def _statutory_rules() -> dict[str, Any]:
    with open(HOLIDAY_DIR / "statutory.yaml", encoding="utf-8") as fh:
        raw: dict[str, Any] = yaml.safe_load(fh)
    return raw


def holidays_version() -> str:
    return str(getattr(holidays_pkg, "__version__", "?"))


@functools.cache
def statutory_days(year: int) -> dict[dt.date, str]:
    """The statutory holidays of ``year`` (全国年节及纪念日放假办法 as in force that year), date → Chinese name.

    From the ``holidays`` package; its estimated make-up days ("observed", "Day off (substituted …)") are not
    statutory and are left out.
    """
    names = {h["package_name"]: h["name"] for h in _statutory_rules()["holidays"]}
    out: dict[dt.date, str] = {}
    for d, label in holidays_pkg.country_holidays("CN", years=year).items():
        for part in str(label).split("; "):
            if part in names:
                out[d] = names[part]
    return dict(sorted(out.items()))


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """What an unpublished 调休 arrangement could change: weekdays that may become rest days, weekend days that may
    become make-up working days (each mapped to the holiday it would belong to)."""

    bridge: dict[dt.date, str]
    makeup: dict[dt.date, str]


@functools.cache
def arrangement_uncertainty(year: int) -> Uncertainty:
    """Bounds on ``year``'s unpublished arrangement around its statutory holidays (data/holidays/statutory.yaml).

    A break is the run of rest days (statutory days and weekends) around a holiday; the notice may lengthen it to
    at most ``max_break`` days by giving adjacent weekdays off, and then makes weekend days nearby working days.
    A holiday whose break already has its full length (元旦 on a Friday: 1–3 January) cannot move.
    """
    rules = _statutory_rules()
    max_break = {h["name"]: int(h["max_break"]) for h in rules["holidays"]}
    window, merge = int(rules["makeup_window_days"]), int(rules["merge_within_days"])
    stat = statutory_days(year)
    groups: list[tuple[list[str], list[dt.date], int]] = []
    for d, name in stat.items():
        if groups and (d - groups[-1][1][-1]).days <= merge:
            names, days, longest = groups[-1]
            if name not in names:
                names.append(name)
                longest = max(longest, max_break[name]) + 1
            days.append(d)
            groups[-1] = (names, days, longest)
        else:
            groups.append(([name], [d], max_break[name]))

    def rest(d: dt.date) -> bool:
        return d in stat or d.weekday() >= 5

    one = dt.timedelta(days=1)
    bridge: dict[dt.date, str] = {}
    makeup: dict[dt.date, str] = {}
    breaks: list[tuple[list[str], dt.date, dt.date, int]] = []
    for names, days, longest in groups:
        first, last = days[0], days[-1]
        while rest(first - one):
            first -= one
        while rest(last + one):
            last += one
        breaks.append((names, first, last, longest))
    # A weekend inside any holiday's break is part of that break, never a make-up working day.
    in_break = {b[1] + i * one for b in breaks for i in range((b[2] - b[1]).days + 1)}
    for names, first, last, longest in breaks:
        slack = longest - ((last - first).days + 1)
        if slack <= 0:
            continue
        label = "、".join(names)
        for i in range(1, slack + 1):
            for d in (first - i * one, last + i * one):
                if d.weekday() < 5 and d not in stat:
                    bridge.setdefault(d, label)
        for i in range(1, window + 1):
            for d in (first - i * one, last + i * one):
                if d.weekday() >= 5 and d not in in_break:
                    makeup.setdefault(d, label)
    return Uncertainty(bridge, makeup)


# --------------------------------------------------------------------------------------------------------------
# Data files


_FILE_KEYS = {"year", "notice", "holidays"}
_NOTICE_KEYS = {"title", "url", "published", "number"}
_HOLIDAY_KEYS = {"name", "days_off", "makeup_workdays"}


def _as_file_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise HolidayDataError(f"{where}: expected a date, got a date and time {value!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise HolidayDataError(f"{where}: expected a date like 2026-10-01, got {value!r}")


def _check_keys(raw: Any, allowed: set[str], required: set[str], where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise HolidayDataError(f"{where}: expected a mapping, got {type(raw).__name__}")
    unknown = set(raw) - allowed
    if unknown:
        raise HolidayDataError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    missing = required - set(raw)
    if missing:
        raise HolidayDataError(f"{where}: missing key(s) {sorted(missing)}")
    return raw


def load_schedule(path: Path) -> YearSchedule:
    """Read and check one ``<year>.yaml`` file (format: data/holidays/README.md)."""
    origin = f"data/holidays/{path.name}" if path.parent.resolve() == HOLIDAY_DIR.resolve() else str(path)
    with open(path, encoding="utf-8") as fh:
        raw = _check_keys(yaml.safe_load(fh), _FILE_KEYS, _FILE_KEYS, origin)
    year = raw["year"]
    if not isinstance(year, int) or path.stem != str(year):
        raise HolidayDataError(f"{origin}: year {year!r} does not match the file name")
    notice = _check_keys(raw["notice"], _NOTICE_KEYS, {"title", "url", "published"}, f"{origin} notice")
    if not str(notice["url"]).startswith(("https://", "http://")):
        raise HolidayDataError(f"{origin}: notice.url must be the notice's web address")
    if not isinstance(raw["holidays"], list) or not raw["holidays"]:
        raise HolidayDataError(f"{origin}: holidays must be a non-empty list")
    periods = []
    for i, item in enumerate(raw["holidays"]):
        where = f"{origin} holidays[{i}]"
        item = _check_keys(item, _HOLIDAY_KEYS, {"name", "days_off"}, where)
        off = item["days_off"]
        if isinstance(off, dict):
            off = _check_keys(off, {"from", "to"}, {"from", "to"}, f"{where} days_off")
            first, last = _as_file_date(off["from"], where), _as_file_date(off["to"], where)
            if last < first:
                raise HolidayDataError(f"{where}: days_off ends before it starts")
            days = HolidayPeriod.span("", first, last).days_off
        elif isinstance(off, list):
            days = tuple(_as_file_date(d, where) for d in off)
        else:
            raise HolidayDataError(f"{where}: days_off must be {{from, to}} or a list of dates")
        makeup = tuple(_as_file_date(d, where) for d in item.get("makeup_workdays") or ())
        periods.append(HolidayPeriod(str(item["name"]), days, makeup))
    title = str(notice["title"])
    if notice.get("number"):
        title = f"{title}（{notice['number']}）"
    return YearSchedule(
        year=year,
        holidays=tuple(periods),
        notice=title,
        url=str(notice["url"]),
        published=_as_file_date(notice["published"], f"{origin} notice.published"),
        origin=origin,
    )


def schedule_to_yaml(schedule: YearSchedule) -> str:
    """A schedule in the file format; contiguous breaks are written as {from, to}."""
    holidays: list[dict[str, Any]] = []
    for p in schedule.holidays:
        days = sorted(p.days_off)
        contiguous = (days[-1] - days[0]).days == len(days) - 1
        item: dict[str, Any] = {
            "name": p.name,
            "days_off": {"from": days[0], "to": days[-1]} if contiguous else days,
        }
        if p.makeup_days:
            item["makeup_workdays"] = sorted(p.makeup_days)
        holidays.append(item)
    published = schedule.published.isoformat() if schedule.published else ""
    head = [
        f"year: {schedule.year}",
        "notice:",
        f"  title: {json.dumps(schedule.notice, ensure_ascii=False)}",
        f"  published: {json.dumps(published)}",
        f"  url: {json.dumps(schedule.url)}",
        "holidays:",
    ]
    body = yaml.safe_dump(holidays, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120)
    return "\n".join(head) + "\n" + body


def load_overrides(directory: Path = HOLIDAY_DIR) -> dict[int, YearSchedule]:
    """Every ``<year>.yaml`` in ``directory``; a bad file raises rather than being skipped."""
    found = {}
    for path in sorted(directory.glob("*.yaml")):
        if re.fullmatch(r"\d{4}", path.stem):
            schedule = load_schedule(path)
            found[schedule.year] = schedule
    return found


# --------------------------------------------------------------------------------------------------------------
# Deadlines


_RULES: dict[str, str] = {
    "workdays": "开始当日不计入，自次日起算（民法典第二百零一条）；只计工作日：周一至周五（法定节假日除外）及调休上班日。",
    "days": "开始当日不计入，自次日起算（民法典第二百零一条）；期间最后一日是法定休假日的，以休假日结束的次日为最后一日"
    "（民法典第二百零三条，民事诉讼法第八十五条同），调休上班日不是休假日；最后一日截止到二十四时。",
    "months": "开始当日不计入（民法典第二百零一条）；到期月的对应日为期间最后一日，没有对应日的，月末日为最后一日"
    "（第二百零二条）；最后一日是法定休假日的，以休假日结束的次日为最后一日（第二百零三条）；截止到二十四时。",
    "hours": "按照小时计算期间的，自约定的时间开始计算（民法典第二百零一条第二款），截止到该时刻，不因节假日顺延。",
    "fixed": "承诺写明的具体日期或时刻，不是计算期间，不因节假日顺延；只写日期的，截止到当日二十四时。",
}
_RULES["years"] = _RULES["months"].replace("到期月的对应日", "到期年同月的对应日")
_CITATIONS: dict[str, tuple[str, ...]] = {
    "workdays": ("civil_code_201_203",),
    "days": ("civil_code_201_203",),
    "months": ("civil_code_201_203",),
    "years": ("civil_code_201_203",),
    "hours": ("civil_code_201_203",),
    "fixed": (),
}


def _cn_date(d: dt.date, *, year: bool = True) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if year else f"{d.month}月{d.day}日"


def _cn_time(t: dt.datetime) -> str:
    return f"{t.hour:02d}:{t.minute:02d}" + (f":{t.second:02d}" if t.second else "")


def _holiday_label(names: list[str]) -> str:
    label = "、".join(names)
    return label if label.endswith("假") or label.endswith("假期") else f"{label}假期"


@dataclass(frozen=True, slots=True)
class Deadline:
    date: dt.date
    at: dt.datetime | None  # only for hour periods and promises naming a time
    start: dt.date | dt.datetime
    n: int
    unit: Unit
    counted: tuple[dt.date, ...] = ()  # working days counted (workdays unit)
    # Rest days passed over: those skipped while counting working days, or, for calendar periods, the rest days
    # the deadline was moved across (moved_from first).
    skipped: tuple[DayStatus, ...] = ()
    # 调休 working days that were counted; for calendar periods, the last day when it is one (so it did not move).
    makeup_days: tuple[dt.date, ...] = ()
    moved_from: dt.date | None = None  # calendar periods whose last day was a rest day
    provisional: bool = False
    notes: tuple[str, ...] = ()  # why it is provisional, how a promise was read; explain() ends with them
    sources: tuple[str, ...] = ()
    phrase: str | None = None  # the customer-service wording this was parsed from, if any
    month_end: bool = False  # months/years: no corresponding day, so the month's last day was used (Art. 202)
    # When an unpublished 调休 arrangement could move the deadline: its earliest and latest possible date (``date``
    # counts the statutory holidays and weekends only). None when no arrangement can move it.
    earliest: dt.date | None = None
    latest: dt.date | None = None

    def for_consumer(self) -> Deadline:
        """A deadline the consumer must meet: the earliest possible date, so an unknown arrangement never makes it
        late. Unchanged when nothing can move it."""
        if self.earliest is None or self.earliest == self.date:
            return self
        note = f"你需要遵守的期限按最早可能的{_cn_date(self.earliest)}提示"
        return replace(self, date=self.earliest, notes=(*self.notes, note))

    @property
    def rule(self) -> str:
        return _RULES[self.unit]

    @property
    def ends_at(self) -> dt.datetime:
        """The moment the deadline passes: ``at``, or 24:00 (the next midnight) of ``date`` (民法典 Art. 203 ¶2)."""
        if self.at is not None:
            return self.at
        return dt.datetime.combine(self.date + dt.timedelta(days=1), dt.time(0), SHANGHAI)

    def _start_text(self) -> str:
        if isinstance(self.start, dt.datetime):
            return f"{_cn_date(self.start.date())}{_cn_time(self.start)}"
        return _cn_date(self.start)

    def _day(self, d: dt.date) -> str:
        start_year = self.start.year
        return _cn_date(d, year=d.year != start_year)

    def _end_text(self, status: str = "") -> str:
        weekday = WEEKDAY_NAMES[self.date.weekday()] + (f"，{status}" if status else "")
        time = f"{_cn_time(self.at)}" if self.at is not None else ""
        return f"{_cn_date(self.date)}（{weekday}）{time}"

    def _skipped_text(self) -> str:
        runs: list[list[DayStatus]] = []
        weekends = 0
        for st in self.skipped:
            if st.is_holiday:
                if runs and (st.date - runs[-1][-1].date).days == 1:
                    runs[-1].append(st)
                else:
                    runs.append([st])
            else:
                weekends += 1
        parts = []
        for run in runs:
            names = list(dict.fromkeys(str(st.reason) for st in run))
            first, last = run[0].date, run[-1].date
            days = self._day(first) if first == last else f"{self._day(first)}–{self._day(last)}"
            parts.append(f"{_holiday_label(names)}（{days}）")
        text = "、".join(parts)
        if weekends:
            text = f"{text}和{WEEKEND}" if text else WEEKEND
        return f"跳过{text}共{len(self.skipped)}天"

    def explain(self) -> str:
        """One Chinese sentence saying how the deadline was computed."""
        lead = f"按客服承诺「{self.phrase}」，" if self.phrase else ""
        makeup_status = MAKEUP + "日" if self.date in self.makeup_days else ""
        if self.unit == "workdays":
            parts = [f"自{_cn_date(self.start)}次日起算{self.n}个工作日"]
            if self.skipped:
                parts.append(self._skipped_text())
            if self.makeup_days:
                parts.append("计入调休上班日" + "、".join(self._day(d) for d in self.makeup_days))
            parts.append(f"截止{self._end_text()}")
            body = "，".join(parts)
        elif self.unit in ("days", "months", "years"):
            unit = {"days": "日", "months": "个月", "years": "年"}[self.unit]
            body = f"自{self._start_text()}次日起算{self.n}{unit}"
            last = self.moved_from or self.date
            if self.moved_from is None:
                end = self._end_text(makeup_status)
                body += f"，到期月没有对应日，以月末日{end}为截止日" if self.month_end else f"，截止{end}"
            else:
                first = self.skipped[0]
                why = _holiday_label([str(first.reason)]) if first.is_holiday else WEEKEND
                lead_in = "到期月没有对应日，以月末日" if self.month_end else "期间最后一日"
                body += f"，{lead_in}{_cn_date(last)}是{why}，顺延至{self._end_text()}"
        elif self.unit == "hours":
            body = f"自{self._start_text()}起算{self.n}小时，截止{self._end_text()}，不因节假日顺延"
        else:
            body = f"截止{self._end_text()}" + ("" if self.at is not None else "当日二十四时")
        return f"{lead}{body}" + "".join(f"；{note}" for note in self.notes) + "。"

    def to_dict(self) -> dict[str, Any]:
        def iso(x: dt.date | dt.datetime | None) -> str | None:
            return None if x is None else x.isoformat()

        return {
            "date": self.date.isoformat(),
            "at": iso(self.at),
            "ends_at": self.ends_at.isoformat(),
            "start": iso(self.start),
            "n": self.n,
            "unit": self.unit,
            "rule": self.rule,
            "citations": list(_CITATIONS[self.unit]),
            "explain": self.explain(),
            "counted": [d.isoformat() for d in self.counted],
            "skipped": [s.to_dict() for s in self.skipped],
            "makeup_days": [d.isoformat() for d in self.makeup_days],
            "moved_from": iso(self.moved_from),
            "month_end": self.month_end,
            "provisional": self.provisional,
            "earliest": iso(self.earliest),
            "latest": iso(self.latest),
            "notes": list(self.notes),
            "sources": list(self.sources),
            "phrase": self.phrase,
        }


# --------------------------------------------------------------------------------------------------------------
# The calendar


@dataclass(frozen=True, slots=True)
class _YearTable:
    year: int
    first: int  # ordinal of January 1
    statuses: tuple[DayStatus, ...]  # one per day of the year
    cum: tuple[int, ...]  # cum[i] = working days among statuses[:i]
    source: str
    provisional: bool
    note: str | None
    uncertain: bool = False  # some day's status depends on an unpublished arrangement


class WorkCalendar:
    """Chinese working days for any year, from override tables, chinese-calendar, or weekends only (provisional).

    Each year is built once, on first use, into a tuple of DayStatus; counting walks that tuple, so a typical
    deadline costs a few microseconds.
    """

    def __init__(
        self,
        overrides: Mapping[int, YearSchedule] | None = None,
        *,
        use_chinese_calendar: bool = True,
        scenario: Scenario = "base",
    ) -> None:
        self.overrides: dict[int, YearSchedule] = dict(overrides or {})
        for year, schedule in self.overrides.items():
            if schedule.year != year:
                raise HolidayDataError(f"override for {year} holds the {schedule.year} schedule")
        self.use_chinese_calendar = use_chinese_calendar
        # "base": statutory holidays and weekends for unpublished years; "earliest"/"latest": the arrangement that
        # would end a period soonest or latest (every possible make-up day worked / every possible bridge day off).
        self.scenario: Scenario = scenario
        self._tables: dict[int, _YearTable] = {}
        self._variants: dict[str, WorkCalendar] = {}

    def _variant(self, scenario: Scenario) -> WorkCalendar:
        cal = self._variants.get(scenario)
        if cal is None:
            cal = WorkCalendar(
                self.overrides, use_chinese_calendar=self.use_chinese_calendar, scenario=scenario
            )
            self._variants[scenario] = cal
        return cal

    def published(self, year: int) -> bool:
        """Whether ``year``'s arrangement is known (a data file or chinese-calendar)."""
        return year in self.overrides or self._cc_knows(year)

    # ---- sources -------------------------------------------------------------------------------------------

    def _cc_knows(self, year: int) -> bool:
        if not self.use_chinese_calendar:
            return False
        first, last, _ = _cc_data()
        return first <= year <= last

    def _newest_known_year(self) -> int:
        years = list(self.overrides)
        if self.use_chinese_calendar:
            years.append(_cc_data()[1])
        return max(years, default=0)

    def year_source(self, year: int) -> tuple[str, bool]:
        """Where ``year``'s days off come from, and whether results using it are provisional."""
        table = self._table(year)
        return table.source, table.provisional

    def fingerprint(self) -> str:
        """Changes whenever the holiday data changes: store it with a computed deadline to know when to recompute."""
        parts = [f"chinese-calendar {chinese_calendar_version()}" if self.use_chinese_calendar else "no-cc"]
        # Unpublished years use the statutory days from the holidays package and the bounds in statutory.yaml.
        parts.append(
            f"holidays {holidays_version()} {json.dumps(_statutory_rules(), sort_keys=True, default=str)}"
        )
        for year in sorted(self.overrides):
            s = self.overrides[year]
            parts.append(repr((s.year, s.holidays, s.notice, s.url, s.published)))
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    # ---- year tables ---------------------------------------------------------------------------------------

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            table = self._tables[year] = self._build(year)
        return table

    def _build(self, year: int) -> _YearTable:
        off: dict[dt.date, str] = {}
        makeup: dict[dt.date, str] = {}
        day_source: dict[dt.date, str] = {}
        note: str | None = None
        own = self.overrides.get(year)
        if own is not None:
            source, provisional = own.source, False
            off = {d: n for d, n in own.days_off().items() if d.year == year}
            makeup = {d: n for d, n in own.makeup_days().items() if d.year == year}
            if self._cc_knows(year) and (year + 1) not in self.overrides:
                # Late-December 元旦 days belong to next year's notice, which chinese-calendar still supplies.
                cc = _cc_data()[2].get(year, _CcYear({}, {}))
                for cc_days, dst in ((cc.off, off), (cc.makeup, makeup)):
                    for d, name in cc_days.items():
                        if d.month == 12 and name == "元旦":
                            dst[d] = name
                            day_source[d] = self._cc_source(year + 1)
        elif self._cc_knows(year):
            source, provisional = self._cc_source(year), False
            cc = _cc_data()[2].get(year, _CcYear({}, {}))
            off, makeup = dict(cc.off), dict(cc.makeup)
        else:
            provisional = True
            off = dict(statutory_days(year))
            law = (
                f"法定节假日按{_statutory_rules()['law'].split('（')[0]}计入（holidays {holidays_version()}）"
            )
            if year > self._newest_known_year():
                note = f"{year}年国务院节假日安排尚未发布：法定节假日已计入，调休安排待通知发布后重新计算"
                source = f"{law}，{year}年调休安排尚未发布"
            else:
                note = f"{year}年调休安排未收录：法定节假日已计入，调休安排未计入"
                source = f"{law}，{year}年调休安排未收录"
        # The next year's notice may start its 元旦 break in this December: it wins over this year's source.
        following = self.overrides.get(year + 1)
        if following is not None:
            for d, name in following.days_off().items():
                if d.year == year:
                    off[d] = name
                    makeup.pop(d, None)
                    day_source[d] = following.source
            for d, name in following.makeup_days().items():
                if d.year == year:
                    makeup[d] = name
                    off.pop(d, None)
                    day_source[d] = following.source

        # Days an unpublished arrangement (this year's, or next year's 元旦 break reaching into December) could change.
        unsure: dict[dt.date, str] = {}
        for y in (year, year + 1):
            if not self.published(y):
                u = arrangement_uncertainty(y)
                for d, name in (*u.bridge.items(), *u.makeup.items()):
                    if d.year == year and d not in day_source:
                        unsure[d] = name
                if self.scenario == "latest":
                    for d, name in u.bridge.items():
                        if d.year == year and d not in day_source:
                            off[d] = f"{name}（可能的调休放假）"
                elif self.scenario == "earliest":
                    for d, name in u.makeup.items():
                        if d.year == year and d not in day_source:
                            makeup[d] = name

        jan1 = dt.date(year, 1, 1)
        statuses = []
        cum = [0]
        for i in range(366 if _stdcal.isleap(year) else 365):
            d = jan1 + dt.timedelta(days=i)
            src = day_source.get(d, source)
            exact = d not in unsure
            if d in makeup:
                st = DayStatus(d, True, MAKEUP, src, not exact)
            elif d in off:
                st = DayStatus(d, False, off[d], src, not exact)
            elif d.weekday() >= 5:
                st = DayStatus(d, False, WEEKEND, src, not exact)
            else:
                st = DayStatus(d, True, None, src, not exact)
            statuses.append(st)
            cum.append(cum[-1] + st.workday)
        return _YearTable(
            year, jan1.toordinal(), tuple(statuses), tuple(cum), source, provisional, note, bool(unsure)
        )

    @staticmethod
    def _cc_source(year: int) -> str:
        return f"chinese-calendar {chinese_calendar_version()}（{_notice_title(year)}）"

    # ---- single days ---------------------------------------------------------------------------------------

    def day_status(self, d: dt.date) -> DayStatus:
        d = _as_date(d)
        table = self._table(d.year)
        return table.statuses[d.toordinal() - table.first]

    def is_workday(self, d: dt.date) -> bool:
        return self.day_status(d).workday

    # ---- periods -------------------------------------------------------------------------------------------

    def add_workdays(self, start: dt.date, n: int) -> Deadline:
        """The ``n``-th working day after ``start`` (start itself never counts, 民法典 Art. 201)."""
        start = _as_date(start)
        _check_positive(n)
        o = start.toordinal() + 1
        table = self._table(dt.date.fromordinal(o).year)
        tables = [table]
        end_of_table = table.first + len(table.statuses)
        counted: list[dt.date] = []
        skipped: list[DayStatus] = []
        makeup: list[dt.date] = []
        sources: dict[str, None] = {}
        remaining = n
        while True:
            if o >= end_of_table:
                table = self._table(table.year + 1)
                tables.append(table)
                end_of_table = table.first + len(table.statuses)
            st = table.statuses[o - table.first]
            sources[st.source] = None
            if st.workday:
                counted.append(st.date)
                if st.reason == MAKEUP:
                    makeup.append(st.date)
                remaining -= 1
                if not remaining:
                    break
            else:
                skipped.append(st)
            o += 1
        provisional, notes = _provisional(tables)
        deadline = Deadline(
            date=counted[-1],
            at=None,
            start=start,
            n=n,
            unit="workdays",
            counted=tuple(counted),
            skipped=tuple(skipped),
            makeup_days=tuple(makeup),
            provisional=provisional,
            notes=notes,
            sources=tuple(sources),
        )
        return self._ranged(deadline, tables, lambda cal: cal.add_workdays(start, n))

    def add_days(self, start: dt.date, n: int) -> Deadline:
        """Calendar days: the ``n``-th day after ``start``, moved off a rest day (民法典 Arts. 201, 203)."""
        start = _as_date(start)
        _check_positive(n)
        return self._calendar_period(start, n, "days", start + dt.timedelta(days=n), month_end=False)

    def add_months(self, start: dt.date, n: int) -> Deadline:
        """The corresponding day ``n`` months on, or that month's last day (民法典 Art. 202), moved off a rest day."""
        start = _as_date(start)
        _check_positive(n)
        year, month0 = divmod(start.month - 1 + n, 12)
        return self._corresponding_day(start, n, "months", start.year + year, month0 + 1)

    def add_years(self, start: dt.date, n: int) -> Deadline:
        start = _as_date(start)
        _check_positive(n)
        return self._corresponding_day(start, n, "years", start.year + n, start.month)

    def _corresponding_day(self, start: dt.date, n: int, unit: Unit, year: int, month: int) -> Deadline:
        last_day = _stdcal.monthrange(year, month)[1]
        return self._calendar_period(
            start, n, unit, dt.date(year, month, min(start.day, last_day)), month_end=start.day > last_day
        )

    def _calendar_period(
        self, start: dt.date, n: int, unit: Unit, last: dt.date, *, month_end: bool
    ) -> Deadline:
        status = self.day_status(last)
        passed: list[DayStatus] = []
        statuses = [status]
        while not status.workday:
            passed.append(status)
            status = self.day_status(status.date + dt.timedelta(days=1))
            statuses.append(status)
        tables = [self._table(y) for y in range(last.year, status.date.year + 1)]
        provisional, notes = _provisional(tables)
        deadline = Deadline(
            date=status.date,
            at=None,
            start=start,
            n=n,
            unit=unit,
            skipped=tuple(passed),
            makeup_days=(status.date,) if status.is_makeup else (),
            moved_from=last if passed else None,
            provisional=provisional,
            notes=notes,
            sources=tuple(dict.fromkeys(s.source for s in statuses)),
            month_end=month_end,
        )
        return self._ranged(
            deadline, tables, lambda cal: cal._calendar_period(start, n, unit, last, month_end=month_end)
        )

    def _ranged(
        self, deadline: Deadline, tables: list[_YearTable], again: Callable[[WorkCalendar], Deadline]
    ) -> Deadline:
        """Where an unpublished arrangement touches the period: its earliest and latest possible end, and provisional
        only if they differ from ``date`` (the statutory holidays themselves are certain)."""
        if self.scenario != "base" or not any(t.provisional or t.uncertain for t in tables):
            return deadline
        earliest, latest = again(self._variant("earliest")).date, again(self._variant("latest")).date
        years = "、".join(str(t.year) for t in tables if t.provisional) or str(deadline.date.year + 1)
        head = f"{years}年国务院节假日安排尚未发布，法定节假日已计入"
        moved = earliest != deadline.date or latest != deadline.date
        if not moved:
            note = f"{head}，调休安排不影响这一期限"
        else:
            note = f"{head}；调休安排可能使截止日最早为{_cn_date(earliest)}、最晚为{_cn_date(latest)}，通知发布后重新计算"
        kept = tuple(n for n in deadline.notes if n not in {t.note for t in tables})
        return replace(
            deadline,
            provisional=moved,
            notes=(*kept, note),
            earliest=earliest if moved else None,
            latest=latest if moved else None,
        )

    def add_hours(self, start: dt.datetime, hours: int) -> Deadline:
        """An exact moment ``hours`` after ``start`` (Asia/Shanghai; a naive time is taken as Shanghai time)."""
        _check_positive(hours)
        begin = _as_shanghai(start)
        at = begin + dt.timedelta(hours=hours)
        return Deadline(date=at.date(), at=at, start=begin, n=hours, unit="hours")

    # ---- counting ------------------------------------------------------------------------------------------

    def workdays_between(self, after: dt.date, through: dt.date) -> int:
        """Working days d with after < d <= through (0 if through <= after)."""
        after, through = _as_date(after), _as_date(through)
        if through <= after:
            return 0
        a, b = self._table(after.year), self._table(through.year)
        ia, ib = after.toordinal() - a.first, through.toordinal() - b.first
        if a is b:
            return b.cum[ib + 1] - a.cum[ia + 1]
        total = a.cum[-1] - a.cum[ia + 1]
        for year in range(after.year + 1, through.year):
            total += self._table(year).cum[-1]
        return total + b.cum[ib + 1]

    def workdays_left(self, today: dt.date, deadline: dt.date) -> int:
        """Working days after ``today`` up to and including ``deadline``; 0 on the day, negative once past.

        Past deadlines count the working days since: a deadline of Friday seen on Monday is -1.
        """
        today, deadline = _as_date(today), _as_date(deadline)
        if today <= deadline:
            return self.workdays_between(today, deadline)
        return -self.workdays_between(deadline, today)


def fixed_deadline(
    made_at: dt.datetime, day: dt.date, time: dt.time | None = None, *, phrase: str
) -> Deadline:
    """A day (or moment) a promise names outright — 明天, 下周一, 月底 — which is not moved for holidays."""
    begin = _as_shanghai(made_at)
    at = dt.datetime.combine(day, time, SHANGHAI) if time is not None else None
    return Deadline(date=day, at=at, start=begin, n=(day - begin.date()).days, unit="fixed", phrase=phrase)


def _provisional(tables: list[_YearTable]) -> tuple[bool, tuple[str, ...]]:
    notes = tuple(t.note for t in tables if t.note)
    return any(t.provisional for t in tables), notes


def _check_positive(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"a period needs a whole number of at least 1, got {n!r}")


def _as_shanghai(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


def _as_date(d: dt.date) -> dt.date:
    # A datetime is a date too; counting must use its local calendar day, not carry the time along.
    if isinstance(d, dt.datetime):
        return _as_shanghai(d).date()
    return d


@functools.cache
def default_calendar() -> WorkCalendar:
    """The process-wide calendar: chinese-calendar plus every data/holidays/<year>.yaml."""
    return WorkCalendar(overrides=load_overrides())


# --------------------------------------------------------------------------------------------------------------
# Customer-service promises

_NUM = r"[0-9]+|[零〇一二两三四五六七八九十百]+"
_NUM_CHARS = "0-9零〇一二两三四五六七八九十百"
_RANGE = rf"(?:(?P<low>{_NUM})\s*(?:-|~|–|—|到|至)\s*)?(?P<high>{_NUM})"
_SUFFIX = r"(?:之内|以内|内|之前|以前|前)?"
_WEEKDAY_CHARS = "一二三四五六日天"

_COUNTED = [
    ("workdays", re.compile(rf"(?<![{_NUM_CHARS}]){_RANGE}\s*个?\s*工作日{_SUFFIX}")),
    ("hours", re.compile(rf"(?<![{_NUM_CHARS}]){_RANGE}\s*个?\s*(?:小时|钟头){_SUFFIX}")),
    ("days", re.compile(rf"(?<![月{_NUM_CHARS}]){_RANGE}\s*个?\s*(?:自然)?(?:天|日){_SUFFIX}")),
    (
        "weeks",
        re.compile(rf"(?<![{_NUM_CHARS}]){_RANGE}\s*个?\s*(?:周|星期|礼拜)(?![{_WEEKDAY_CHARS}末]){_SUFFIX}"),
    ),
    ("months", re.compile(rf"(?<![{_NUM_CHARS}]){_RANGE}\s*个\s*月{_SUFFIX}")),
    ("half_month", re.compile(rf"半个月{_SUFFIX}")),
]

_TIME = (
    r"(?:\s*(?P<period>上午|早上|早晨|中午|下午|傍晚|晚上|夜里|凌晨))?"
    r"(?:\s*(?P<hour>[0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3})\s*(?:点|时|:)"
    r"\s*(?:(?P<half>半)|(?P<minute>[0-9]{2}|[零〇一二三四五六七八九十]{1,3})\s*分?)?)?"
)
_NAMED = re.compile(
    r"(?P<day>今天|今日|今晚|明天|明日|明早|明晚|后天|月底|月末|本月底|这个月底"
    rf"|(?P<next>下个?|本|这个?)?(?:周|星期|礼拜)(?P<wd>[{_WEEKDAY_CHARS}]))"
    rf"{_TIME}\s*{_SUFFIX}"
)
_IMPLIED_PERIOD = {"今晚": "晚上", "明晚": "晚上", "明早": "上午"}


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    import cn2an  # imported on first use: it is only needed for Chinese numerals

    try:
        return int(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError):
        return None


def _weekday_index(ch: str) -> int:
    return 6 if ch in "日天" else "一二三四五六".index(ch)


def _named_deadline(m: re.Match[str], begin: dt.datetime) -> Deadline | None:
    today = begin.date()
    word = m.group("day")
    notes: list[str] = []
    if word in ("今天", "今日", "今晚"):
        day = today
    elif word in ("明天", "明日", "明早", "明晚"):
        day = today + dt.timedelta(days=1)
    elif word == "后天":
        day = today + dt.timedelta(days=2)
    elif word in ("月底", "月末", "本月底", "这个月底"):
        day = today.replace(day=_stdcal.monthrange(today.year, today.month)[1])
    else:
        target = _weekday_index(m.group("wd"))
        if (m.group("next") or "").startswith("下"):
            day = today + dt.timedelta(days=7 - today.weekday() + target)
        else:
            # 周五前 / 本周五: this week's day, or next week's if this week's has already gone.
            ahead = target - today.weekday()
            day = today + dt.timedelta(days=ahead if ahead >= 0 else ahead + 7)
    time: dt.time | None = None
    if m.group("hour"):
        hour = _number(m.group("hour"))
        minute = 30 if m.group("half") else (_number(m.group("minute")) if m.group("minute") else 0)
        if hour is None or minute is None or hour > 24 or minute > 59:
            return None
        period = m.group("period") or _IMPLIED_PERIOD.get(word)
        if period in ("下午", "傍晚", "晚上", "夜里") and hour < 12 or period == "中午" and hour < 6:
            hour += 12
        elif period is None and 1 <= hour <= 7:
            hour += 12
            notes.append(f"「{m.group('hour')}点」未写明上午或下午，按下午{hour}点理解")
        if hour == 24:  # 晚上十二点 = the end of that day
            day, hour = day + dt.timedelta(days=1), 0
        time = dt.time(hour, minute)
    return replace(fixed_deadline(begin, day, time, phrase=m.group(0).strip()), notes=tuple(notes))


# Issue 12: the longest promise that is counted. "9999999个工作日内" is a typo; counting it would take minutes and
# then overflow the calendar, so it is refused (facts.Contact turns this into a Chinese message naming the field).
MAX_PROMISE = {"workdays": 500, "hours": 2 * 366 * 24, "days": 2 * 366, "months": 24}


class PromiseOutOfRange(ValueError):
    """A promise longer than MAX_PROMISE allows."""


def _counted_deadline(kind: str, m: re.Match[str], begin: dt.datetime, cal: WorkCalendar) -> Deadline | None:
    phrase = m.group(0).strip()
    notes: list[str] = []
    if kind == "half_month":
        n, kind = 15, "days"
        notes.append("「半个月」按15日计算")
    else:
        high = _number(m.group("high"))
        if high is None or high < 1:
            return None
        n = high
        if m.group("low"):
            notes.append(f"承诺为一个范围（{phrase}），按上限{high}计算")
        if kind == "weeks":
            n, kind = high * 7, "days"
            notes.append(f"{high}周按{n}日计算")
    if n > MAX_PROMISE[kind]:
        raise PromiseOutOfRange(phrase)
    today = begin.date()
    if kind == "workdays":
        deadline = cal.add_workdays(today, n)
    elif kind == "hours":
        deadline = cal.add_hours(begin, n)
    elif kind == "days":
        deadline = cal.add_days(today, n)
    else:
        deadline = cal.add_months(today, n)
    return replace(deadline, phrase=phrase, notes=(*notes, *deadline.notes))


def parse_promises(text: str, at: dt.datetime, cal: WorkCalendar | None = None) -> list[Deadline]:
    """Every time promise in ``text`` ("24小时内回复，3个工作日内退款"), in the order they appear."""
    cal = cal or default_calendar()
    begin = _as_shanghai(at)
    text = unicodedata.normalize("NFKC", text)
    found: list[tuple[int, int, Deadline]] = []
    for kind, pattern in _COUNTED:
        for m in pattern.finditer(text):
            d = _counted_deadline(kind, m, begin, cal)
            if d is not None:
                found.append((m.start(), -len(m.group(0)), d))
    for m in _NAMED.finditer(text):
        d = _named_deadline(m, begin)
        if d is not None:
            found.append((m.start(), -len(m.group(0)), d))
    found.sort(key=lambda x: (x[0], x[1]))
    result: list[Deadline] = []
    end = -1
    for pos, neg_len, d in found:
        if pos >= end:  # drop matches inside a longer one already taken ("3天" inside "1-3天")
            result.append(d)
            end = pos - neg_len
    return result


def parse_promise(text: str, at: dt.datetime, cal: WorkCalendar | None = None) -> Deadline | None:
    """The first time promise in ``text``, as a Deadline counted from ``at`` (when the promise was made).

    "24小时内" → an exact moment; "3个工作日内", "1-3个工作日" (upper bound) → working days; "7天内", "一周内" →
    calendar days (moved off a final rest day, 民法典 Art. 203); "明天", "下周一", "月底前", "明天下午三点前" → that day
    or moment, never moved. None when nothing is recognised.
    """
    found = parse_promises(text, at, cal)
    return found[0] if found else None
