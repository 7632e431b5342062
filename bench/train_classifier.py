"""Train the classifier's second stage: multinomial naive Bayes over character 1-3-grams (weiquan/domain/classify.py).

    uv run python bench/train_classifier.py            # train on the default files, tune, write the model file
    uv run python bench/train_classifier.py --dry-run  # ... but only print what would be written

The model is consulted only when the lexicon finds no type above its threshold. What is trained here:

* the n-gram counts per class (the six types + "other") of the labelled texts, read exactly as the classifier reads
  them (NFKC, lower case, traditional -> simplified, digit runs as "0", clause punctuation as "，");
* the decision: the posterior a type needs before the model may name it (``min_posterior``; a lower
  ``min_posterior_agree`` when the lexicon's too-weak leader is the same type), and how much lexicon evidence for
  "outside the taxonomy" stops it being asked (``max_other``). These, and the smoothing, are chosen by
  leave-one-file-out cross-validation over the training files only (never on a file that is being tested).

Training files: tests/data/classifier_dev.jsonl and classifier_holdout{,2,3,4}.jsonl. Never trained on:
classifier_holdout5.jsonl (the held-out estimate) and /work/shared/data/complaints-dev.jsonl (real complaints, mostly
physical goods, labelled in one pass: a test file only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import itertools
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import weiquan.domain.classify as clf  # noqa: E402
from weiquan.domain.taxonomy import OTHER, TYPE_IDS  # noqa: E402

DATA = ROOT / "tests" / "data"
TRAIN_FILES = (
    "classifier_dev.jsonl",
    "classifier_holdout.jsonl",
    "classifier_holdout2.jsonl",
    "classifier_holdout3.jsonl",
    "classifier_holdout4.jsonl",
)
LABELS = (*TYPE_IDS, OTHER)
MAX_N = 3
REF_NGRAMS = True  # scale a long text's evidence down to that of the median training text

# the grids searched by cross-validation
ALPHAS = (0.1, 0.3, 1.0)
BINARY = (True, False)
MIN_COUNTS = (1, 2)  # 2: n-grams seen once are dropped (ties prefer it: a third of the file)
POSTERIORS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1.01)  # 1.01: never
TEMPERATURES = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0)
MAX_OTHER = (0.5, 1.0, 1.5, 2.0)
# candidate score = factor * posterior * the lowest score the lexicon decides on; it must beat the lexicon's weak
# candidates for the model's type to be chosen (a strongly held weak lexicon signal elsewhere keeps the text "other")
SCORE_FACTORS = (0.75, 0.95)
N_SIGNALS = 4
_LEX = clf._lexicon()
LEXICON_FLOOR = _LEX.threshold / (
    _LEX.threshold + _LEX.score_scale
)  # the lowest score the lexicon decides on


@dataclass(frozen=True, slots=True)
class Row:
    file: str
    id: str
    text: str
    truth: str


def load_rows(path: Path, use_title: bool = True) -> list[Row]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            text = str(r["text"])
            title = r.get("title")
            if use_title and isinstance(title, str) and title.strip():
                text = f"{title.strip()}。{text}"
            rows.append(Row(path.name, str(r["id"]), text, str(r["label_type"])))
    return rows


def _norm(text: str) -> str:
    lex = clf._lexicon()
    return clf._Text(text, lex).norm


@dataclass(frozen=True, slots=True)
class Fit:
    """How the counts are made: additive smoothing, per text or per occurrence, rare n-grams dropped."""

    alpha: float
    binary: bool
    min_count: int


_NGRAM_CACHE: dict[str, list[str]] = {}


def ngrams_of(text: str) -> list[str]:
    g = _NGRAM_CACHE.get(text)
    if g is None:
        g = _NGRAM_CACHE[text] = clf.model_ngrams(_norm(text), MAX_N)
    return g


def build_payload(
    rows: Sequence[Row], fit: Fit, temperature: float, decision: dict[str, Any]
) -> dict[str, Any]:
    """The model file's content (without metadata): n-gram counts per class and the decision parameters."""
    per_class: dict[str, Counter[str]] = {label: Counter() for label in LABELS}
    docs: Counter[str] = Counter()
    for r in rows:
        grams: Iterable[str] = ngrams_of(r.text)
        if fit.binary:
            grams = set(grams)
        per_class[r.truth].update(grams)
        docs[r.truth] += 1
    total: Counter[str] = Counter()
    for c in per_class.values():
        total.update(c)
    vocab = sorted(g for g, n in total.items() if n >= fit.min_count)
    lengths = sorted(len(ngrams_of(r.text)) for r in rows)
    ref = lengths[len(lengths) // 2] if REF_NGRAMS else None  # the median text's n-gram count
    ngrams = {g: [per_class[label][g] for label in LABELS] for g in vocab}
    return {
        "labels": list(LABELS),
        "max_n": MAX_N,
        "binary": fit.binary,
        "alpha": fit.alpha,
        "min_count": fit.min_count,
        "ref_ngrams": ref,
        "temperature": temperature,
        "doc_counts": [docs[label] for label in LABELS],
        "ngram_totals": [sum(row[k] for row in ngrams.values()) for k in range(len(LABELS))],
        "decision": decision,
        "ngrams": ngrams,
    }


# ------------------------------------------------------------------------------------------------------------------
# what the lexicon says about each text (cached: it does not depend on the model) and what a model says


@dataclass(frozen=True, slots=True)
class LexiconView:
    type: str
    leader: str | None
    other_raw: float
    discounted: bool
    scores: dict[str, float]


_LEXICON_CACHE: dict[str, LexiconView] = {}


def lexicon_view(text: str) -> LexiconView:
    v = _LEXICON_CACHE.get(text)
    if v is None:
        lex = clf._lexicon()
        c = clf._classify(text, None, None)
        t = clf._Text(text, lex)
        other_raw = clf._raw_score(clf._match_group(t, lex.other, lex), lex)
        discounted: list[str] = []
        for tid in TYPE_IDS:
            clf._match_group(t, lex.types[tid], lex, discounted)
        v = LexiconView(
            type=c.type,
            leader=c.candidates[0].type if c.candidates else None,
            other_raw=other_raw,
            discounted=bool(discounted),
            scores={x.type: x.score for x in c.candidates},
        )
        _LEXICON_CACHE[text] = v
    return v


def log_scores(model: Any, text: str) -> list[float]:
    lex = clf._lexicon()
    s, _ = clf._model_text(clf._Text(text, lex).norm)
    return list(clf._ngram_log_scores(model, s))


def guess(model: Any, text: str) -> tuple[str, float]:
    lex = clf._lexicon()
    label, p = clf._ngram_guess(clf._Text(text, lex), model)
    return str(label), float(p)


def at_temperature(z: list[float], prior: Sequence[float], temperature: float) -> tuple[str, float]:
    """The most probable class and its posterior when the log-likelihoods in ``z`` are divided by ``temperature``."""
    post = clf._softmax([p + (v - p) / temperature for v, p in zip(z, prior, strict=True)])
    k = max(range(len(post)), key=post.__getitem__)
    return LABELS[k], post[k]


@dataclass(frozen=True, slots=True)
class Decision:
    min_posterior: float
    min_posterior_agree: float
    max_other: float
    respect_discounted: bool
    score_factor: float


def decide(view: LexiconView, g: tuple[str, float], d: Decision) -> str:
    """The same decision as classify._classify + _ngram_stage, from cached parts (checked against it in the bench)."""
    if view.type != OTHER or view.other_raw >= d.max_other or (view.discounted and d.respect_discounted):
        return view.type
    label, p = g
    if label == OTHER or p < (d.min_posterior_agree if label == view.leader else d.min_posterior):
        return OTHER
    score = max(round(d.score_factor * LEXICON_FLOOR * p, 3), view.scores.get(label, 0.0))
    if any(s > score for t, s in view.scores.items() if t != label):
        return OTHER
    return label


def make_model(
    rows: Sequence[Row], fit: Fit, temperature: float = 1.0, decision: dict[str, Any] | None = None
) -> Any:
    payload = build_payload(
        rows, fit, temperature, decision or decision_dict(Decision(1.01, 1.01, 0, True, 0.95))
    )
    return clf._model_from_payload(payload, clf._lexicon())


def decision_dict(d: Decision) -> dict[str, Any]:
    return {
        "min_posterior": d.min_posterior,
        "min_posterior_agree": d.min_posterior_agree,
        "max_other": d.max_other,
        "respect_discounted": d.respect_discounted,
        "score_factor": d.score_factor,
        "n_signals": N_SIGNALS,
    }


# ------------------------------------------------------------------------------------------------------------------
# cross-validation


@dataclass(frozen=True, slots=True)
class Tuned:
    fit: Fit
    temperature: float
    decision: Decision
    correct: int
    n: int
    pulled_other: int  # true "other" texts the lexicon got right and the model turned into a type
    baseline: int  # correct with the lexicon alone


def log_loss(
    held: Sequence[tuple[Row, LexiconView, list[float], Sequence[float]]], temperature: float
) -> float:
    """Held-out negative log-likelihood of the true labels at this temperature (the calibration objective)."""
    total = 0.0
    for r, _, z, prior in held:
        post = clf._softmax([p + (v - p) / temperature for v, p in zip(z, prior, strict=True)])
        total -= math.log(max(post[LABELS.index(r.truth)], 1e-12))
    return total


def tune(rows: Sequence[Row]) -> Tuned:
    """Leave-one-file-out over the files of ``rows``. For each smoothing: the temperature with the lowest held-out
    log-loss (calibration), then the decision that gets the most held-out texts right (ties: fewer "other" texts
    pulled into a type, then the more cautious thresholds)."""
    files = sorted({r.file for r in rows})
    best: tuple[tuple[Any, ...], Tuned] | None = None
    for fit in (Fit(a, b, m) for a, b, m in itertools.product(ALPHAS, BINARY, MIN_COUNTS)):
        held: list[tuple[Row, LexiconView, list[float], Sequence[float]]] = []
        for f in files:
            model = make_model([r for r in rows if r.file != f], fit)
            held += [
                (r, lexicon_view(r.text), log_scores(model, r.text), model.log_prior)
                for r in rows
                if r.file == f
            ]

        temperature = min(TEMPERATURES, key=functools.partial(log_loss, held))
        guesses = [(r, v, at_temperature(z, prior, temperature)) for r, v, z, prior in held]
        baseline = sum(v.type == r.truth for r, v, _ in guesses)
        for mo, rd, sf, mp, ma in itertools.product(
            MAX_OTHER, (True, False), SCORE_FACTORS, POSTERIORS, POSTERIORS
        ):
            if ma > mp:
                continue
            d = Decision(mp, ma, mo, rd, sf)
            ok = pulled = 0
            for r, v, g in guesses:
                got = decide(v, g, d)
                ok += got == r.truth
                pulled += r.truth == OTHER and v.type == OTHER and got != OTHER
            key = (ok, -pulled, mp, ma, rd, -mo, -sf, fit.min_count)
            if best is None or key > best[0]:
                best = (key, Tuned(fit, temperature, d, ok, len(guesses), pulled, baseline))
    assert best is not None
    return best[1]


def train(rows: Sequence[Row]) -> tuple[Any, Tuned]:
    """Tune on ``rows`` by leave-one-file-out, then fit on all of them: the model and what was chosen."""
    t = tune(rows)
    return make_model(rows, t.fit, t.temperature, decision_dict(t.decision)), t


# ------------------------------------------------------------------------------------------------------------------
# the model file


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_model(path: Path, payload: dict[str, Any]) -> None:
    """Header fields pretty-printed, then one n-gram per line (diffable)."""
    ngrams = payload["ngrams"]
    head = {k: v for k, v in payload.items() if k != "ngrams"}
    text = json.dumps(head, ensure_ascii=False, indent=1)
    lines = [f" {json.dumps(g, ensure_ascii=False)}: {json.dumps(row)}" for g, row in ngrams.items()]
    body = text[:-2] + ',\n "ngrams": {\n' + ",\n".join(lines) + "\n }\n}\n"
    json.loads(body)  # it must stay valid JSON
    path.write_text(body, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--out", type=Path, default=clf.MODEL_FILE)
    args = ap.parse_args()
    paths = [DATA / name for name in TRAIN_FILES]
    rows = [r for p in paths for r in load_rows(p)]
    t = tune(rows)
    print(f"cross-validation: {t}")
    payload = build_payload(rows, t.fit, t.temperature, decision_dict(t.decision))
    meta = {
        "about": (
            "Second stage of weiquan/domain/classify.py: multinomial naive Bayes over character 1-3-grams of the "
            "normalised text, consulted only when the lexicon finds no type. Generated by bench/train_classifier.py "
            "- do not edit by hand. ngrams: n-gram -> count per label (binary: per text)."
        ),
        "generated_by": "bench/train_classifier.py",
        "date": dt.date.today().isoformat(),
        "trained_on": [
            {
                "file": str(p.relative_to(ROOT)),
                "texts": sum(1 for r in rows if r.file == p.name),
                "sha256": _sha256(p),
            }
            for p in paths
        ],
        "not_trained_on": [
            "tests/data/classifier_holdout5.jsonl (held-out estimate)",
            "/work/shared/data/complaints-dev.jsonl (test only)",
        ],
        "cross_validation": {
            "protocol": (
                "leave-one-file-out over trained_on; per alpha and binary: temperature by lowest held-out log-loss, "
                "then min_posterior(_agree), max_other, respect_discounted by most held-out texts right"
            ),
            "held_out_correct_lexicon_only": t.baseline,
            "held_out_correct": t.correct,
            "held_out_texts": t.n,
            "other_pulled_into_a_type": t.pulled_other,
        },
    }
    payload = {**meta, **payload}
    print(f"vocabulary: {len(payload['ngrams'])} n-grams; decision: {payload['decision']}")
    if args.dry_run:
        return
    write_model(args.out, payload)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
