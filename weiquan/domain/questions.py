"""The questions the classifier asks when a story does not settle its problem type (data/questions.yaml).

The tree is walked from its start. A question the person answered follows their answer; a question the story
answers by itself (the classifier puts at least ``branch`` of its probability on the types only that answer leads
to, and the answer leads to a further question) is skipped; the first question left open is asked. An answer that names a
type settles it.

    >>> next_step({"delayed_delivery": 0.5, "fraud_runaway": 0.4, "other": 0.1}, {}, branch=0.8).question.id
    'received'
    >>> next_step({}, {"received": "no", "reachable": "no"}, branch=0.8).settled
    'fraud_runaway'
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from weiquan.domain.datafiles import load
from weiquan.domain.taxonomy import OTHER, TYPE_IDS

__all__ = ["Answer", "Question", "Step", "next_step", "parse_answers", "tree"]


@dataclass(frozen=True, slots=True)
class Answer:
    id: str
    text: str
    next: str | None  # the next question's id, or None when the answer settles the type
    type: str | None
    reaches: frozenset[str]  # the types (and "other") this answer can end in
    only: frozenset[str] = frozenset()  # ... that no other answer of its question can end in


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    answers: tuple[Answer, ...]

    def answer(self, aid: str) -> Answer | None:
        return next((a for a in self.answers if a.id == aid), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "answers": [{"id": a.id, "text": a.text} for a in self.answers],
        }


@dataclass(frozen=True, slots=True)
class Tree:
    start: str
    questions: dict[str, Question]


@dataclass(frozen=True, slots=True)
class Step:
    settled: str | None  # the type the answers settled, or None
    question: Question | None  # the question to ask next (None when settled)
    used: dict[str, str]  # the answers on the path that was walked


@functools.cache
def tree() -> Tree:
    raw = load("questions")
    qs: dict[str, Any] = raw["questions"]
    valid_types = {*TYPE_IDS, OTHER}

    @functools.cache
    def reaches(qid: str, depth: int = 0) -> frozenset[str]:
        if depth > len(qs):
            raise ValueError(f"questions.yaml: 问题 {qid} 形成了循环")
        out: set[str] = set()
        for a in qs[qid]["answers"]:
            out |= {a["type"]} if a.get("type") else reaches(a["next"], depth + 1)
        return frozenset(out)

    questions: dict[str, Question] = {}
    for qid, q in qs.items():
        answers = []
        for a in q["answers"]:
            nxt, typ = a.get("next"), a.get("type")
            if (
                (nxt is None) == (typ is None)
                or (typ is not None and typ not in valid_types)
                or (nxt is not None and nxt not in qs)
            ):
                raise ValueError(
                    f"questions.yaml: 问题 {qid} 的回答 {a.get('id')} 必须指向已有的问题或类型之一"
                )
            answers.append(
                Answer(
                    id=str(a["id"]),
                    text=str(a["text"]),
                    next=nxt,
                    type=typ,
                    reaches=frozenset({typ}) if typ else reaches(nxt),
                )
            )
        answers = [
            dataclasses.replace(
                a, only=a.reaches - frozenset().union(*(b.reaches for b in answers if b is not a))
            )
            for a in answers
        ]
        questions[qid] = Question(id=qid, text=str(q["text"]), answers=tuple(answers))
    return Tree(start=str(raw["start"]), questions=questions)


def parse_answers(pairs: Mapping[str, str] | list[str] | None) -> dict[str, str]:
    """Answers as {question id: answer id}, from a mapping or from "QID=AID" strings; unknown ids are a ValueError
    naming them (in Chinese, for the person who typed them)."""
    t = tree()
    items: list[tuple[str, str]] = []
    if isinstance(pairs, Mapping):
        items = [(str(k), str(v)) for k, v in pairs.items()]
    elif pairs:
        for p in pairs:
            qid, sep, aid = str(p).partition("=")
            if not sep:
                raise ValueError(f"回答应写成 问题=回答（例如 received=no），收到的是：{p}")
            items.append((qid.strip(), aid.strip()))
    out: dict[str, str] = {}
    for qid, aid in items:
        q = t.questions.get(qid)
        if q is None:
            raise ValueError(f"没有编号为 {qid} 的问题；可用的问题：{'、'.join(t.questions)}")
        if q.answer(aid) is None:
            raise ValueError(f"问题 {qid} 没有回答 {aid}；可选：{'、'.join(a.id for a in q.answers)}")
        out[qid] = aid
    return out


def next_step(probabilities: Mapping[str, float], answers: Mapping[str, str], branch: float) -> Step:
    """Walk the tree: the person's answers first, the story's own answers where it is sure enough (``branch``)."""
    t = tree()
    qid: str | None = t.start
    used: dict[str, str] = {}
    for _ in range(len(t.questions) + 1):
        assert qid is not None
        q = t.questions[qid]
        chosen = q.answer(answers[qid]) if qid in answers else None
        if chosen is not None:
            used[qid] = chosen.id
        else:
            # a type behind several answers ("other") tells nothing about which answer is true
            mass = [(sum(probabilities.get(x, 0.0) for x in a.only), a) for a in q.answers]
            best_mass, best = max(mass, key=lambda m: m[0])
            if best_mass < branch or best.next is None:
                return Step(settled=None, question=q, used=used)
            chosen = (
                best  # the story answers this one; the type itself is left to the person or the classifier
            )
        if chosen.type is not None:
            return Step(settled=chosen.type, question=None, used=used)
        qid = chosen.next
    raise ValueError("questions.yaml: 问题树有循环")
