"""Open data: public complaints as records (API, CSV, JSON), and importing historical complaints.

One record shape serves the public JSON API, the CSV download and ``export_complaints``, so the three never
disagree; its column names are stable and documented in docs/open-data.md. Records are read from
``PublicComplaint.objects`` through its public querysets only: the masked copy, never a case.

Import (``import_complaints``): rows are validated one by one (a bad row is reported with its line number and a
Chinese reason; the good rows are kept), masked like a consumer's story, linked to platforms through an in-memory
alias map, and written in batches (COPY on PostgreSQL, ``bulk_create`` elsewhere), each batch in its own
transaction. (source, source_id) is unique, so a second import of the same file adds nothing. The platforms'
statistics are updated once at the end, not per row (``StatisticsUpdate``).
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import functools
import io
import json
import multiprocessing
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from weiquan.cases.models import PROBLEM_TYPES
from weiquan.domain.facts import CHINA_TZ
from weiquan.domain.masking import mask
from weiquan.platforms import rating, stats
from weiquan.platforms.models import Platform, PlatformAlias, PlatformStats
from weiquan.public import services
from weiquan.public.models import PublicComplaint

# --- records ---------------------------------------------------------------------------------------------------------

# (column, description): the order and names of the CSV header and of the JSON keys. Add columns at the end only.
COLUMNS: list[tuple[str, str]] = [
    ("complaint_id", "投诉编号（UUID），公开页面 /complaints/<complaint_id>/"),
    ("date_published", "公开日期（北京时间，YYYY-MM-DD）"),
    ("status", "published（公开中）或 withdrawn（消费者已撤回：文字已删除，只保留匿名计数）"),
    ("platform_id", "平台编号（UUID）"),
    ("platform_name", "平台名称"),
    ("problem_type", "问题类型代码（invalid_code、fraud_runaway……，见 docs/open-data.md）"),
    ("problem_type_label", "问题类型（中文）"),
    ("amount", "金额（元，两位小数；空：未填写）"),
    ("payment_backed", "消费者是否持有付款记录（true/false；凭证本身从不公开）"),
    ("title", "标题（已脱敏）"),
    ("narrative", "经过（已脱敏）"),
    ("demands", "诉求"),
    ("platform_progress", "平台自述的处理进度：空（未受理）、accepted、processing、resolved"),
    ("platform_replied", "平台是否公开回复过（true/false）"),
    ("date_first_reply", "平台首次回复时间（ISO 8601，北京时间；空：未回复）"),
    ("consumer_confirmed", "消费者确认问题已解决：true、false，空：未回答"),
    ("consumer_rating", "消费者给平台处理的评分 1–5（空：未评分）"),
    ("collective_id", "所属集体投诉编号（UUID；空：无）"),
    ("source", "来源：空（本站消费者提交）或导入的来源名"),
]
FIELDNAMES = [name for name, _desc in COLUMNS]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
VALUES = (
    "public_id",
    "status",
    "published_at",
    "platform__public_id",
    "platform__name",
    "problem_type",
    "amount",
    "payment_backed",
    "title",
    "story",
    "demands",
    "progress",
    "first_reply_at",
    "consumer_confirmed",
    "consumer_rating",
    "collective__public_id",
    "source",
)
_LABELS = dict(PROBLEM_TYPES)


def exported() -> Any:
    """Every complaint the statistics count: published ones, and withdrawn ones as anonymous rows (no text)."""
    return PublicComplaint.objects.counted().order_by("published_at", "pk").values(*VALUES)


def record(row: dict[str, Any]) -> dict[str, Any]:
    """One complaint as an open-data record (JSON types: str, bool, None) from a ``values(*VALUES)`` row."""
    withdrawn = row["status"] == "withdrawn"
    published = row["published_at"]
    reply = row["first_reply_at"]
    return {
        "complaint_id": str(row["public_id"]),
        "date_published": published.astimezone(CHINA_TZ).date().isoformat() if published else None,
        "status": row["status"],
        "platform_id": str(row["platform__public_id"]),
        "platform_name": row["platform__name"],
        "problem_type": row["problem_type"] or None,
        "problem_type_label": _LABELS.get(row["problem_type"]) or None,
        "amount": None if row["amount"] is None else f"{row['amount']:.2f}",
        "payment_backed": row["payment_backed"],
        # A withdrawn complaint's text is erased when it is withdrawn; blanking here as well costs nothing.
        "title": None if withdrawn else row["title"],
        "narrative": None if withdrawn else row["story"],
        "demands": None if withdrawn else (row["demands"] or None),
        "platform_progress": row["progress"] or None,
        "platform_replied": reply is not None,
        "date_first_reply": reply.astimezone(CHINA_TZ).isoformat() if reply else None,
        "consumer_confirmed": row["consumer_confirmed"],
        "consumer_rating": row["consumer_rating"],
        "collective_id": None
        if withdrawn or not row["collective__public_id"]
        else str(row["collective__public_id"]),
        "source": row["source"] or None,
    }


def records(queryset: Any) -> Iterator[dict[str, Any]]:
    for row in queryset.iterator(chunk_size=2000):
        yield record(row)


def values_of(c: PublicComplaint) -> dict[str, Any]:
    """The ``values(*VALUES)`` row of one complaint already loaded (from ``PublicComplaint.objects.public()``)."""
    row = {name: getattr(c, name) for name in VALUES if "__" not in name}
    row["platform__public_id"], row["platform__name"] = c.platform.public_id, c.platform.name
    row["collective__public_id"] = c.collective.public_id if c.collective_id else None
    return row


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # A cell a spreadsheet would run as a formula (=HYPERLINK(…) in a title) is quoted, as OWASP advises.
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_lines(recs: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text (header first), a chunk of rows at a time: the download streams and never holds the whole file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDNAMES)
    for n, rec in enumerate(recs, start=1):
        writer.writerow([_csv_value(rec[name]) for name in FIELDNAMES])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_lines(recs: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, one record per line."""
    first = True
    yield "[\n"
    for rec in recs:
        yield ("" if first else ",\n") + json.dumps(rec, ensure_ascii=False)
        first = False
    yield "\n]\n"


# --- import ----------------------------------------------------------------------------------------------------------

# Accepted names of each input field (CSV header or JSON key).
FIELD_ALIASES = {
    "source": ("source", "来源"),
    "source_id": ("source_id", "id", "来源编号"),
    "platform_name": ("platform_name", "platform", "平台", "平台名称"),
    "platform_domain": ("platform_domain", "domain", "网址", "域名"),
    "text": ("text", "story", "narrative", "内容", "投诉内容"),
    "title": ("title", "标题"),
    "amount": ("amount", "金额"),
    "date": ("date", "published_at", "日期"),
    "problem_type": ("problem_type", "type", "问题类型"),
}
_TYPE_IDS = {tid for tid, _label in PROBLEM_TYPES}
_TYPE_BY_LABEL = {label: tid for tid, label in PROBLEM_TYPES}
_MONEY_JUNK = re.compile(r"[\s,，¥￥元]|人民币|rmb", re.I)
_CN_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日")
MAX_AMOUNT = Decimal("1e12")


class RowError(ValueError):
    pass


@dataclass
class ImportReport:
    read: int = 0
    created: int = 0
    existing: int = 0
    platforms_created: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return _(
            "读取 %(read)s 行：新增 %(created)s 条，已存在 %(existing)s 条（跳过），错误 %(bad)s 行；"
            "新建平台 %(platforms)s 个；用时 %(seconds).1f 秒。"
        ) % {
            "read": self.read,
            "created": self.created,
            "existing": self.existing,
            "bad": len(self.bad),
            "platforms": self.platforms_created,
            "seconds": self.seconds,
        }


def _get(raw: dict[str, Any], name: str) -> str:
    for key in FIELD_ALIASES[name]:
        value = raw.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def parse_amount(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(_MONEY_JUNK.sub("", value))
    except InvalidOperation:
        raise RowError(_("金额不是有效数字：%(v)s") % {"v": value[:40]}) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise RowError(_("金额超出范围：%(v)s") % {"v": value[:40]})
    return amount.quantize(Decimal("0.01"))


def _pad_date(text: str) -> str:
    y, m, d = text.split("-")
    return f"{y}-{int(m):02d}-{int(d):02d}"


@functools.lru_cache(maxsize=65536)
def _moment(value: str) -> dt.datetime:
    text = value.strip()
    m = _CN_DATE.match(text)
    if m:
        text = f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    text = text.replace("/", "-")
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            # A bare date: noon in China, so it stays on its day in any time zone a reader uses (as cases do).
            moment = dt.datetime.combine(dt.date.fromisoformat(_pad_date(text)), dt.time(12))
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RowError(_("日期无效：%(v)s（应为 YYYY-MM-DD 或 ISO 8601）") % {"v": value[:40]}) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_TZ)  # a date in China


def parse_date(value: str, now: dt.datetime) -> dt.datetime:
    if not value:
        raise RowError(_("缺少日期（date）"))
    moment = _moment(value)
    if moment > now + dt.timedelta(days=1):
        raise RowError(_("日期在将来：%(v)s") % {"v": value[:40]})
    return moment


def parse_type(value: str) -> str:
    if not value:
        return ""
    if value in _TYPE_IDS:
        return value
    if value in _TYPE_BY_LABEL:
        return _TYPE_BY_LABEL[value]
    raise RowError(
        _("问题类型无效：%(v)s（可用：%(ids)s）") % {"v": value[:40], "ids": "、".join(sorted(_TYPE_IDS))}
    )


class _Row(NamedTuple):  # a tuple: cheap to send back from a parsing worker
    line: int
    source: str
    source_id: str
    keys: list[tuple[str, str]]  # (alias kind, alias value), strongest first
    platform_label: str
    title: str
    story: str
    amount: Decimal | None
    published_at: dt.datetime
    problem_type: str


# Historical files name the same few thousand platforms over and over.
_domain_key = functools.lru_cache(maxsize=65536)(services.domain_key)
_name_key = functools.lru_cache(maxsize=65536)(services.name_key)


def parse_row(raw: Any, line: int, default_source: str, now: dt.datetime) -> _Row:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise RowError(_("不是有效的 JSON")) from None
    if not isinstance(raw, dict):
        raise RowError(_("不是一个 JSON 对象"))
    source = _get(raw, "source") or default_source
    if not source:
        raise RowError(_("缺少来源（source 列，或用 --source 指定）"))
    source_id = _get(raw, "source_id")
    if not source_id:
        raise RowError(_("缺少来源编号（source_id）"))
    name, domain_raw = _get(raw, "platform_name"), _get(raw, "platform_domain")
    domain = _domain_key(domain_raw) if domain_raw else None
    if domain_raw and not domain:
        raise RowError(_("域名无效：%(v)s") % {"v": domain_raw[:60]})
    keys = [("domain", domain)] if domain else []
    key = _name_key(name)
    if key:
        keys.append(("name", key))
    if not keys:
        raise RowError(_("缺少平台名称或域名（platform_name / platform_domain）"))
    text = _get(raw, "text")
    if not text:
        raise RowError(_("缺少投诉内容（text）"))
    if len(source) > 64 or len(source_id) > 128:
        raise RowError(_("来源或来源编号太长（最多 64 / 128 个字符）"))
    story = mask(text)
    problem_type = parse_type(_get(raw, "problem_type"))
    title = mask(_get(raw, "title"))
    if not title:
        flat = " ".join(story.split())
        title = flat if len(flat) <= 30 else flat[:29] + "…"
    return _Row(
        line=line,
        source=source,
        source_id=source_id,
        keys=keys,
        platform_label=(name or domain or "")[:200],
        title=title[: services.TITLE_MAX],
        story=story,
        amount=parse_amount(_get(raw, "amount")),
        published_at=parse_date(_get(raw, "date"), now),
        problem_type=problem_type,
    )


def _read_rows(path: Path) -> Iterator[tuple[int, str | dict[str, Any]]]:
    """(line number, payload) of a CSV (header on line 1: payload a dict) or JSON Lines file (payload the line)."""
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        with path.open(encoding="utf-8-sig") as f:
            for n, line in enumerate(f, start=1):
                if line.strip():
                    yield n, line
    else:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            for raw in reader:
                yield reader.line_num, raw


def count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
    return n


class Progress:
    """A progress line on stderr, rewritten in place (no dependency)."""

    def __init__(self, total: int, stream: IO[str] | None = None, every: float = 0.5) -> None:
        self.total, self.stream, self.every = max(total, 1), stream or sys.stderr, every
        self.start = self.last = time.monotonic()

    def update(self, done: int, report: ImportReport, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        share = min(done / self.total, 1.0)
        bar = "█" * int(share * 24) + "·" * (24 - int(share * 24))
        self.stream.write(
            f"\r{bar} {share:4.0%} {done:,}/{self.total:,} 行 · {rate:,.0f} 行/秒 · "
            f"新增 {report.created:,} · 已存在 {report.existing:,} · 错误 {len(report.bad):,}"
        )
        self.stream.flush()

    def close(self, done: int, report: ImportReport) -> None:
        self.update(done, report, force=True)
        self.stream.write("\n")
        self.stream.flush()


class _AliasMap:
    """(kind, value) → active platform id, loaded once; new platforms and aliases are written per batch."""

    def __init__(self) -> None:
        merged = dict(Platform.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id"))

        def active(pid: int) -> int:
            while pid in merged:
                pid = merged[pid]
            return pid

        self.ids = {
            (k, v): active(p) for k, v, p in PlatformAlias.objects.values_list("kind", "value", "platform_id")
        }

    def resolve(self, rows: list[_Row]) -> tuple[dict[int, int], int]:
        """{line: platform id} for the rows; creates the platforms and aliases not yet known."""
        new: dict[tuple[str, str], str] = {}  # first key of an unknown platform → its label
        for row in rows:
            if not any(k in self.ids for k in row.keys):
                new.setdefault(row.keys[0], row.platform_label or row.keys[0][1])
        if new:
            created = Platform.objects.bulk_create([Platform(name=label) for label in new.values()])
            for key, platform in zip(new, created, strict=True):
                self.ids[key] = platform.pk
        # Each row's other identifiers become aliases of its platform (as linking a case does); first one wins.
        aliases: dict[tuple[str, str], int] = {}
        found: dict[int, int] = {}
        for row in rows:
            pid = next(self.ids[k] for k in row.keys if k in self.ids)
            found[row.line] = pid
            for key in row.keys:
                if key not in self.ids:
                    self.ids[key] = pid
                    aliases[key] = pid
        for key in new:
            aliases[key] = self.ids[key]
        if aliases:
            PlatformAlias.objects.bulk_create(
                [PlatformAlias(kind=k, value=v[:253], platform_id=p) for (k, v), p in aliases.items()],
                ignore_conflicts=True,
            )
        return found, len(new)


INSERTED = ("source", "source_id", "platform_id", "problem_type", "amount", "published_at")


def insert_complaints(names: list[str], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Insert complaints given as tuples of the fields ``names`` (attnames; every other field takes its default),
    skipping those whose (source, source_id) exists; returns INSERTED of the rows inserted.

    On PostgreSQL: COPY of just those columns into a temporary table, then one INSERT … SELECT that adds the
    defaults and a random public id, ON CONFLICT DO NOTHING RETURNING — several times faster than
    ``bulk_create``, which builds a model and adapts every value in Python. Elsewhere ``bulk_create``, after
    asking which rows exist.
    """
    if connection.vendor != "postgresql":
        src, sid = names.index("source"), names.index("source_id")
        existing: set[tuple[str, str]] = set()
        for source in {row[src] for row in rows}:
            ids = [row[sid] for row in rows if row[src] == source]
            found = PublicComplaint.objects.filter(source=source, source_id__in=ids)
            existing.update(found.values_list("source", "source_id"))
        objs = [
            PublicComplaint(**dict(zip(names, row, strict=True)))
            for row in rows
            if (row[src], row[sid]) not in existing
        ]
        PublicComplaint.objects.bulk_create(objs, ignore_conflicts=True)
        return [tuple(getattr(o, name) for name in INSERTED) for o in objs]
    meta = PublicComplaint._meta
    quote = connection.ops.quote_name
    by_attname = {f.attname: f for f in meta.concrete_fields}
    given = [by_attname[n] for n in names]
    others = [
        f for f in meta.concrete_fields if not f.primary_key and f not in given and f.name != "public_id"
    ]
    table = quote(meta.db_table)
    given_cols = ", ".join(quote(f.column) for f in given)
    other_cols = ", ".join(quote(f.column) for f in others)
    # The defaults as typed parameters (a NULL must be cast to its column's type in a SELECT list).
    other_values = ", ".join(f"%s::{f.db_type(connection)}" for f in others)
    returning = ", ".join(quote(by_attname[n].column) for n in INSERTED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE import_complaints ON COMMIT DROP AS SELECT {given_cols} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY import_complaints ({given_cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({given_cols}, {other_cols}, {quote(meta.get_field('public_id').column)}) "
            f"SELECT {given_cols}, {other_values}, gen_random_uuid() FROM import_complaints "
            f"ON CONFLICT DO NOTHING RETURNING {returning}",
            [f.get_db_prep_save(f.get_default(), connection) for f in others],
        )
        inserted = [tuple(r) for r in cursor.fetchall()]
        cursor.execute("DROP TABLE import_complaints")
    return inserted


class StatisticsUpdate:
    """Platform statistics for an import, written once at the end instead of once per complaint.

    An imported complaint is published, has no payment record, no reply and no confirmation; it adds to the
    complaint count, the month, the 跑路 counters and the amounts exactly as ``weiquan.platforms.stats`` counts a
    published complaint (tests compare the result with ``stats.compute``). The deltas are summed per platform in
    memory and added to the statistics rows in two bulk statements; then the rating prior and the ratings are
    refreshed. A platform that also had rows already present (a re-run after an interrupted import, whose
    statistics may be stale) is recomputed from scratch instead.
    """

    def __init__(self) -> None:
        self.stats = stats
        self.deltas: dict[int, PlatformStats] = {}
        self.stale: set[int] = set()
        self._months: dict[dt.datetime, str] = {}
        self._buckets: dict[Decimal, str] = {}
        self._runaway: dict[str, bool] = {}

    def add(
        self, platform_id: int, problem_type: str, amount: Decimal | None, published_at: dt.datetime
    ) -> None:
        d = self.deltas.get(platform_id)
        if d is None:
            d = self.deltas[platform_id] = PlatformStats(platform_id=platform_id)
        d.complaints += 1
        month = self._months.get(published_at)
        if month is None:
            month = self._months[published_at] = self.stats.month_key(published_at)
        d.by_month[month] = d.by_month.get(month, 0) + 1
        runaway = self._runaway.get(problem_type)
        if runaway is None:
            runaway = self._runaway[problem_type] = self.stats.is_runaway(problem_type)
        if runaway:
            d.runaway += 1
            d.runaway_by_month[month] = d.runaway_by_month.get(month, 0) + 1
            if d.last_runaway_at is None or published_at > d.last_runaway_at:
                d.last_runaway_at = published_at
        if amount is not None:
            d.amount_total += amount
            d.amount_count += 1
            bucket = self._buckets.get(amount)
            if bucket is None:
                bucket = self._buckets[amount] = self.stats.amount_bucket(amount)
            d.amount_hist[bucket] = d.amount_hist.get(bucket, 0) + 1

    def apply(self) -> None:
        stats = self.stats
        for platform in Platform.objects.filter(pk__in=self.stale):
            stats.recompute(platform)
        ids = [pid for pid in self.deltas if pid not in self.stale]
        fields = [*stats.FIELDS, "rating", "updated_at"]
        with transaction.atomic():
            rows = {
                s.platform_id: s
                for s in PlatformStats.objects.select_for_update().filter(platform_id__in=ids)
            }
            new = [PlatformStats(platform_id=pid) for pid in ids if pid not in rows]
            prior, now = rating.current_prior(), timezone.now()
            for row in [*rows.values(), *new]:
                delta = self.deltas[row.platform_id]
                for name in stats.FIELDS:
                    setattr(row, name, _merged(getattr(row, name), getattr(delta, name)))
                row.rating, row.updated_at = rating.rate_stats(row, prior).score, now
            PlatformStats.objects.bulk_update(rows.values(), fields, batch_size=1000)
            PlatformStats.objects.bulk_create(new, batch_size=1000)
        # The prior moves with a large import; every platform's rating follows it (a scan of platforms).
        prior = rating.refresh_prior()
        changed = []
        for row in PlatformStats.objects.filter(complaints__gt=0).iterator():
            score = rating.rate_stats(row, prior).score
            if score != row.rating:
                row.rating = score
                changed.append(row)
        PlatformStats.objects.bulk_update(changed, ["rating"], batch_size=1000)


def _merged(old: Any, new: Any) -> Any:
    if isinstance(new, dict):
        out = dict(old or {})
        for key, n in new.items():
            out[key] = out.get(key, 0) + n
        return out
    if new is None:
        return old
    if isinstance(new, dt.datetime):
        return new if old is None or new > old else old
    return (old or 0) + new


@dataclass
class _Parsed:
    rows: list[_Row]
    bad: list[tuple[int, str]]
    read: int
    last_line: int


def _parse_chunk(chunk: list[tuple[int, Any]], source: str, now: dt.datetime) -> _Parsed:
    parsed = _Parsed([], [], len(chunk), chunk[-1][0] if chunk else 0)
    for line, raw in chunk:
        try:
            parsed.rows.append(parse_row(raw, line, source, now))
        except RowError as exc:
            parsed.bad.append((line, str(exc)))
    return parsed


def _chunks(path: Path, size: int) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for item in _read_rows(path):
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_thread(chunks: Iterator[list[tuple[int, Any]]], source: str, now: dt.datetime) -> Iterator[_Parsed]:
    """Chunks parsed by a background thread, a few ahead of the consumer.

    Parsing and masking (pure Python, no database) overlap with the writes: the GIL is released while the
    database works.
    """
    done = object()
    channel: queue.Queue[Any] = queue.Queue(maxsize=3)

    def produce() -> None:
        try:
            for chunk in chunks:
                channel.put(_parse_chunk(chunk, source, now))
            channel.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            channel.put(exc)

    threading.Thread(target=produce, name="import-parse", daemon=True).start()
    while (item := channel.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def _in_processes(
    chunks: Iterator[list[tuple[int, Any]]], source: str, now: dt.datetime, workers: int
) -> Iterator[_Parsed]:
    """Chunks parsed by worker processes (masking a million stories is most of an import's work), in order,
    with a few chunks in flight at most, so the file is never all in memory.

    The workers are forked: they start at once with Django set up, and never re-run the calling script (a spawned
    worker re-imports ``__main__``, which loops forever under a script without a ``__main__`` guard). They never
    touch the database connection they inherit, and end with ``os._exit`` (no finalizer closes it under us).
    """
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pending: collections.deque[Any] = collections.deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_parse_chunk, (chunk, source, now)))
            if len(pending) > 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def default_workers(lines: int) -> int:
    """Worker processes for big files, leaving a core to this process and the database; none (a thread) for
    small files, where starting processes costs more than it saves."""
    return max(1, min(4, (os.cpu_count() or 1) - 1)) if lines >= 50_000 else 0


COPIED = [
    "platform_id",
    "pseudonym",
    "title",
    "story",
    "problem_type",
    "amount",
    "status",
    "submitted_at",
    "published_at",
    "source",
    "source_id",
]


def import_file(
    path: Path,
    *,
    source: str = "",
    batch_size: int = 5000,
    progress: bool = True,
    progress_stream: IO[str] | None = None,
    on_bad: Callable[[int, str], None] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import historical complaints (see the module docstring); returns what happened.

    ``workers``: processes that parse and mask (None: ``default_workers``; 0: a thread of this process).
    """
    started = time.monotonic()
    report = ImportReport()
    lines = count_lines(path)
    bar = Progress(lines, progress_stream) if progress else None
    workers = default_workers(lines) if workers is None else workers
    now = timezone.now()
    chunks = _chunks(path, batch_size)
    parsed_batches = (
        _in_processes(chunks, source, now, workers) if workers > 0 else _in_thread(chunks, source, now)
    )
    aliases = _AliasMap()
    statistics = StatisticsUpdate()
    pseudonym = _("历史投诉")

    def flush(batch: list[_Row]) -> None:
        # Duplicates inside the batch: the first occurrence wins.
        unique: dict[tuple[str, str], _Row] = {}
        for row in batch:
            unique.setdefault((row.source, row.source_id), row)
        rows = list(unique.values())
        report.existing += len(batch) - len(rows)
        with transaction.atomic():
            platform_of, created_platforms = aliases.resolve(rows)
            report.platforms_created += created_platforms
            inserted = insert_complaints(
                COPIED,
                [
                    (
                        platform_of[r.line],
                        pseudonym,
                        r.title,
                        r.story,
                        r.problem_type,
                        r.amount,
                        "published",  # these were public already; they come in published
                        r.published_at,
                        r.published_at,
                        r.source,
                        r.source_id,
                    )
                    for r in rows
                ],
            )
        done = set()
        for src, source_id, *values in inserted:
            done.add((src, source_id))
            statistics.add(*values)
        for r in rows:
            if (r.source, r.source_id) not in done:
                report.existing += 1
                # Its platform may hold complaints of an import interrupted before its statistics were written.
                statistics.stale.add(platform_of[r.line])
        report.created += len(inserted)

    last_line = 0
    for parsed in parsed_batches:
        report.read += parsed.read
        last_line = parsed.last_line
        for line, reason in parsed.bad:
            report.bad.append((line, reason))
            if on_bad is not None:
                on_bad(line, reason)
        if parsed.rows:
            flush(parsed.rows)
        if bar:
            bar.update(last_line, report)
    if bar:
        bar.close(last_line, report)
    statistics.apply()
    report.seconds = time.monotonic() - started
    return report


def default_export_name(fmt: str) -> str:
    return f"weiquan-complaints-{timezone.now().astimezone(CHINA_TZ):%Y%m%d}.{fmt}"


__all__ = [
    "COLUMNS",
    "FIELDNAMES",
    "ImportReport",
    "csv_lines",
    "exported",
    "import_file",
    "json_lines",
    "values_of",
    "record",
    "records",
]
