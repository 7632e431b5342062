"""The channel catalogue (seed §二, §三): where a complaint can go, what each forum can and cannot do, its time limits.

The data lives in ``data/channels.yaml`` with a source for every claim; this module only types it, resolves citation ids
through the citation register and checks the file's invariants, so a broken data edit fails at import, not in a plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, cast

from weiquan.domain.citations import Citation, cite
from weiquan.domain.datafiles import load
from weiquan.domain.taxonomy import TYPE_IDS

Kind = Literal[
    "internal", "administrative", "public_pressure", "payment", "industry", "police", "report_center", "court"
]
Unit = Literal["workdays", "days", "hours", "months"]

KINDS: tuple[str, ...] = (
    "internal",
    "administrative",
    "public_pressure",
    "payment",
    "industry",
    "police",
    "report_center",
    "court",
)
UNITS: tuple[str, ...] = ("workdays", "days", "hours", "months")
CONFIDENCES: tuple[str, ...] = ("read-in-source", "secondary-source", "unverified")

UNIT_LABELS: dict[str, str] = {"workdays": "个工作日", "days": "日", "hours": "小时", "months": "个月"}


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """One time limit a forum (or the party in front of it) must keep.

    ``start`` is the event that starts the period (YAML key ``from``). ``effective_from``/``effective_to`` bound the
    rule version: the complaint rule changed on 2026-04-15 (Order 121), so both versions are kept and the plan picks
    the one in force on the relevant date.
    """

    id: str
    label: str
    n: int
    unit: Unit
    start: str
    citation: Citation
    confidence: str
    note: str
    effective_from: date | None = None
    effective_to: date | None = None

    @property
    def text(self) -> str:
        """e.g. 「7个工作日（自市场监督管理部门收到投诉之日起）」."""
        return f"{self.n}{UNIT_LABELS[self.unit]}（自{self.start}起）"

    def in_force(self, on: date) -> bool:
        if self.effective_from is not None and on < self.effective_from:
            return False
        return not (self.effective_to is not None and on > self.effective_to)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "n": self.n,
            "unit": self.unit,
            "from": self.start,
            "text": self.text,
            "citation": self.citation.to_dict(),
            "confidence": self.confidence,
            "note": self.note,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
        }


@dataclass(frozen=True, slots=True)
class Reach:
    """How to contact a channel: only official websites, apps, numbers and in-app paths (product decision 10)."""

    how: str
    detail: str
    confidence: str
    note: str

    def to_dict(self) -> dict[str, str]:
        return {"how": self.how, "detail": self.detail, "confidence": self.confidence, "note": self.note}


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    kind: Kind
    handles: tuple[str, ...]  # problem type ids from taxonomy.yaml
    handles_text: str
    not_for: tuple[str, ...]
    reach: tuple[Reach, ...]
    submission: tuple[str, ...]
    time_limits: tuple[TimeLimit, ...]
    time_limits_note: str
    basis: tuple[Citation, ...]
    sources: tuple[str, ...]
    # Whether this forum's acceptance makes 12315 refuse the same dispute (暂行办法 Art. 15(2); Order 121 Art. 16(2)).
    exclusive: bool
    exclusive_note: str
    tips: tuple[str, ...]
    note: str

    def handles_type(self, type_id: str) -> bool:
        return type_id in self.handles

    def limits_on(self, on: date) -> tuple[TimeLimit, ...]:
        """The time limits of the rule version in force on ``on``."""
        return tuple(tl for tl in self.time_limits if tl.in_force(on))

    def time_limit(self, limit_id: str, on: date | None = None) -> TimeLimit:
        """A time limit by id; with ``on``, only a version in force on that date."""
        for tl in self.time_limits:
            if tl.id == limit_id and (on is None or tl.in_force(on)):
                return tl
        ids = "、".join(tl.id for tl in self.time_limits) or "无"
        raise KeyError(f"渠道「{self.name}」没有期限 {limit_id}（已有：{ids}）")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "handles": {"types": list(self.handles), "text": self.handles_text},
            "not_for": list(self.not_for),
            "reach": [r.to_dict() for r in self.reach],
            "submission": list(self.submission),
            "time_limits": [tl.to_dict() for tl in self.time_limits],
            "time_limits_note": self.time_limits_note,
            "basis": [c.to_dict() for c in self.basis],
            "sources": list(self.sources),
            "exclusive": self.exclusive,
            "exclusive_note": self.exclusive_note,
            "tips": list(self.tips),
            "note": self.note,
        }


def _check(cond: bool, channel_id: str, what: str) -> None:
    if not cond:
        raise ValueError(f"channels.yaml 中渠道 {channel_id} 的数据有误：{what}")


def _time_limit(channel_id: str, raw: dict[str, Any]) -> TimeLimit:
    unit = raw["unit"]
    _check(unit in UNITS, channel_id, f"期限 {raw['id']} 的单位 {unit} 不在 {UNITS} 中")
    _check(raw["confidence"] in CONFIDENCES, channel_id, f"期限 {raw['id']} 的 confidence 无效")
    _check(isinstance(raw["n"], int) and raw["n"] > 0, channel_id, f"期限 {raw['id']} 的 n 必须是正整数")
    return TimeLimit(
        id=raw["id"],
        label=raw["label"],
        n=raw["n"],
        unit=cast(Unit, unit),
        start=raw["from"],
        citation=cite(raw["citation"]),
        confidence=raw["confidence"],
        note=raw.get("note", ""),
        effective_from=raw.get("effective_from"),
        effective_to=raw.get("effective_to"),
    )


def _channel(channel_id: str, raw: dict[str, Any]) -> Channel:
    _check(raw["kind"] in KINDS, channel_id, f"kind {raw['kind']} 不在 {KINDS} 中")
    handles = tuple(raw["handles"]["types"])
    unknown = [t for t in handles if t not in TYPE_IDS]
    _check(not unknown, channel_id, f"handles 中有未知问题类型 {unknown}")
    _check(bool(raw["basis"]) and bool(raw["sources"]), channel_id, "basis 和 sources 至少各有一项")
    _check(isinstance(raw["exclusive"], bool), channel_id, "exclusive 必须是 true/false")
    reach = tuple(
        Reach(how=r["how"], detail=str(r["detail"]), confidence=r["confidence"], note=r.get("note", ""))
        for r in raw["reach"]
    )
    _check(all(r.confidence in CONFIDENCES for r in reach), channel_id, "reach 的 confidence 无效")
    return Channel(
        id=channel_id,
        name=raw["name"],
        kind=cast(Kind, raw["kind"]),
        handles=handles,
        handles_text=raw["handles"]["text"],
        not_for=tuple(raw["not_for"]),
        reach=reach,
        submission=tuple(raw["submission"]),
        time_limits=tuple(_time_limit(channel_id, tl) for tl in raw["time_limits"]),
        time_limits_note=raw.get("time_limits_note", ""),
        basis=tuple(cite(c) for c in raw["basis"]),
        sources=tuple(raw["sources"]),
        exclusive=raw["exclusive"],
        exclusive_note=raw["exclusive_note"],
        tips=tuple(raw["tips"]),
        note=raw.get("note", ""),
    )


def _build() -> dict[str, Channel]:
    # Keys such as "12315" must be quoted in the YAML; str() guards against an unquoted edit turning them into ints.
    return {str(cid): _channel(str(cid), raw) for cid, raw in load("channels").items()}


CHANNELS: dict[str, Channel] = _build()
CHANNEL_IDS: tuple[str, ...] = tuple(CHANNELS)


def get_channel(channel_id: str) -> Channel:
    try:
        return CHANNELS[channel_id]
    except KeyError:
        raise KeyError(f"未知的渠道：{channel_id}（可选：{'、'.join(CHANNEL_IDS)}）") from None


def channel_label(channel_id: str) -> str:
    return get_channel(channel_id).name


def channels_for(type_id: str) -> tuple[Channel, ...]:
    """Channels that handle a problem type, in catalogue order."""
    return tuple(c for c in CHANNELS.values() if c.handles_type(type_id))
