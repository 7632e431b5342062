"""Problem categories and types (seed §一) with what each must prove, its legal basis and usual demands."""

from __future__ import annotations

from dataclasses import dataclass

from weiquan.domain.citations import Citation, cite
from weiquan.domain.datafiles import load

OTHER = "other"


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    label: str
    description: str


@dataclass(frozen=True, slots=True)
class ProblemType:
    id: str
    label: str
    category: Category
    description: str
    must_prove: tuple[str, ...]
    basis: tuple[Citation, ...]
    demands: tuple[str, ...]
    note: str


def _build() -> tuple[dict[str, Category], dict[str, ProblemType]]:
    raw = load("taxonomy")
    categories = {cid: Category(id=cid, **c) for cid, c in raw["categories"].items()}
    types = {
        tid: ProblemType(
            id=tid,
            label=t["label"],
            category=categories[t["category"]],
            description=t["description"],
            must_prove=tuple(t["must_prove"]),
            basis=tuple(cite(c) for c in t["basis"]),
            demands=tuple(t["demands"]),
            note=t["note"],
        )
        for tid, t in raw["types"].items()
    }
    return categories, types


CATEGORIES, TYPES = _build()
TYPE_IDS: tuple[str, ...] = tuple(TYPES)
CS_RUNAROUND_LABEL: str = load("taxonomy")["aspects"]["cs_runaround"]["label"]
OTHER_LABEL: str = load("taxonomy")["other"]["label"]


def get_type(type_id: str) -> ProblemType:
    try:
        return TYPES[type_id]
    except KeyError:
        raise KeyError(f"未知的问题类型：{type_id}（可选：{'、'.join(TYPE_IDS)}）") from None


def demand_label(demand_id: str) -> str:
    labels: dict[str, str] = load("taxonomy")["demands"]
    return labels.get(demand_id, demand_id)
