"""The evidence chain: which evidence proves each fact a problem type must establish, and what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from weiquan.domain.citations import cite
from weiquan.domain.datafiles import load
from weiquan.domain.facts import CaseFacts
from weiquan.domain.taxonomy import TYPES, get_type


def kind_label(kind: str) -> str:
    kinds: dict[str, Any] = load("evidence")["kinds"]
    return str(kinds[kind]["label"]) if kind in kinds else kind


def kind_group(kind: str) -> str:
    data = load("evidence")
    return str(data["groups"][data["kinds"][kind]["group"]])


def kind_how(kind: str) -> str:
    return str(load("evidence")["kinds"][kind]["how"])


def fact_label(fact_id: str) -> str:
    return str(load("evidence")["facts"][fact_id]["label"])


@dataclass(frozen=True, slots=True)
class FactCoverage:
    id: str
    label: str
    covered: bool
    held: tuple[str, ...]  # the kinds the case has that prove it
    proven_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Gap:
    kind: str
    label: str
    group: str
    why: str
    how: str
    fact: str | None = None
    alternatives: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "group": self.group,
            "fact": self.fact,
            "why": self.why,
            "how": self.how,
            "alternatives": [{"kind": k, "label": kind_label(k)} for k in self.alternatives],
        }


@dataclass(frozen=True, slots=True)
class EvidenceReport:
    facts: tuple[FactCoverage, ...]
    held: tuple[str, ...]
    missing: tuple[Gap, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """Every fact the type must prove is covered (receipts and fixation advice aside)."""
        return all(f.covered for f in self.facts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "held": [
                {"kind": k, "label": kind_label(k), "group": kind_group(k), "count": self.held.count(k)}
                for k in dict.fromkeys(self.held)
            ],
            "facts": [
                {
                    "id": f.id,
                    "label": f.label,
                    "covered": f.covered,
                    "held": list(f.held),
                    "proven_by": [{"kind": k, "label": kind_label(k)} for k in f.proven_by],
                }
                for f in self.facts
            ],
            "missing": [g.to_dict() for g in self.missing],
            "notes": list(self.notes),
        }


def _gap(kind: str, why: str, fact: str | None = None, alternatives: tuple[str, ...] = ()) -> Gap:
    return Gap(
        kind=kind,
        label=kind_label(kind),
        group=kind_group(kind),
        why=why,
        how=kind_how(kind),
        fact=fact,
        alternatives=alternatives,
    )


def analyse(facts: CaseFacts, problem_type: str, *, court_considered: bool = False) -> EvidenceReport:
    """Which facts of ``problem_type`` the case's evidence covers, and a named gap for each one it does not.

    Receipts are asked for when the case history shows a step that produces one (a police report, a 12315
    complaint); fixation (notarisation, trusted timestamp) when the amount or a court step makes authenticity
    likely to be contested.
    """
    data = load("evidence")
    held = tuple(e.kind for e in facts.evidence)
    held_set = set(held)
    coverage: list[FactCoverage] = []
    missing: list[Gap] = []
    # A problem that fits no type still has to show the deal and that the platform was asked and did not help.
    must_prove = (
        get_type(problem_type).must_prove if problem_type in TYPES else ("contract_formed", "demand_ignored")
    )
    for fact_id in must_prove:
        fact = data["facts"][fact_id]
        proven_by = tuple(fact["proven_by"])
        have = tuple(k for k in proven_by if k in held_set)
        coverage.append(FactCoverage(fact_id, fact["label"], bool(have), have, proven_by))
        if not have:
            missing.append(_gap(proven_by[0], f"{fact['label']}：{fact['why']}", fact_id, proven_by[1:]))

    # The payment record is needed on every path (merchant name, amount, time), even when an order
    # screenshot already shows the contract.
    if "payment_record" not in held_set and not any(g.kind == "payment_record" for g in missing):
        missing.append(_gap("payment_record", data["facts"]["payment_made"]["why"], "payment_made"))

    if facts.contacts_with("police") and "police_receipt" not in held_set:
        missing.append(
            _gap("police_receipt", "报案后的回执证明你已报案，支付平台冻结资金、后续追赃都要用到。")
        )
    submitted = [c for ch in ("12315", "heimao", "alipay", "wechat_pay") for c in facts.contacts_with(ch)]
    if submitted and "complaint_receipt" not in held_set:
        missing.append(
            _gap(
                "complaint_receipt",
                "投诉编号和处理状态证明你已投诉、何时投诉，计算答复期限和升级时都要用到。",
            )
        )

    notes: list[str] = []
    fixation = data["fixation"]
    if (
        facts.amount >= Decimal(str(fixation["recommend_from_amount"])) or court_considered
    ) and "notarization" not in held_set:
        basis = "；".join(cite(c).short for c in fixation["basis"])
        missing.append(_gap("notarization", f"{fixation['why']}（{basis}）"))
    if not facts.evidence:
        notes.append("还没有登记任何证据：先保存订单和支付记录，它们随时可能被平台删除。")
    unfiled = [e for e in facts.evidence if not e.file and not e.sha256]
    if unfiled and len(unfiled) == len(facts.evidence):
        notes.append("证据尚未附文件：附上原始文件后，证据清单会给出每个文件的 SHA-256，证明提交后未被改动。")
    return EvidenceReport(tuple(coverage), held, tuple(missing), tuple(notes))
