"""Train the complaint classifier's decision: multinomial logistic regression over character 1-3-grams, jieba words
and the lexicon's evidence (weiquan/domain/classify.py reads the model file in plain Python).

    uv run python bench/train_classifier.py            # train on the repository's data, write the model file
    uv run python bench/train_classifier.py --dry-run  # ... but only print what would be written

scikit-learn is used here only (a dev dependency); the same data gives the same model file (lbfgs, fixed fold order,
sorted features, rounded weights).

Training data (all in the repository, so CI can rebuild the model):
* real complaints: bench/data/complaints-dev.jsonl (95 黑猫投诉 texts) and bench/data/complaints-dev2.jsonl (237
  GitHub-issue texts from 107 repositories), copied from the project's shared data (sources:
  bench/data/README-shared.md and complaints-dev2-SOURCES.md); input is title + text as a complaint page shows them;
* hand-written complaints: tests/data/classifier_dev.jsonl and classifier_holdout{,2,3,4,5}.jsonl, and
  tests/data/classifier_thread.jsonl (62 short texts in the style of issue-thread comments and developers' bug
  reports, hand-written on 2026-12-04 before the second round's measurements; not copies or paraphrases of the
  development data).

Labels weigh alike in total (balanced class weights, decided by grouped CV over the development groups: see
bench/classify.py). WQ_CLASS_WEIGHT=none, WQ_REAL_WEIGHT, WQ_OTHER_KEPT, WQ_C_GRID, WQ_THREAD=0, WQ_GATE=0 in the
environment change the recipe for experiments (bench/classify.py --dev); the checked-in model uses the defaults.

What is chosen by grouped cross-validation over the training data only (real texts grouped by source repository,
黑猫 texts by record; hand-written texts always on the training side, never scored): the regularisation C and the temperature that calibrates the
probabilities (log loss of the out-of-fold real texts), how much to lower the logit of "other" for every text and by how much
more when the lexicon finds no off-topic word in it (the gate: most real problem texts right while OTHER_KEPT of the
real off-topic ones stay "other"), the probability at which the classifier is
confident enough to ask no question (the lowest at which out-of-fold real texts are right at least CONFIDENT_TARGET
of the time) and the probability mass at which the story answers a question of the tree by itself (BRANCH_TARGET). bench/classify.py calls ``train`` inside an outer grouped cross-validation, so what it
reports was never tuned on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# one BLAS thread: on a shared machine threads only fight (a fit takes 0.3 s with one, 5 s with several)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import weiquan.domain.classify as clf  # noqa: E402
from weiquan.domain.taxonomy import OTHER, TYPE_IDS  # noqa: E402

LABELS = (*TYPE_IDS, OTHER)
REAL_FILES = ("bench/data/complaints-dev.jsonl", "bench/data/complaints-dev2.jsonl")
HAND_FILES = tuple(
    f"tests/data/{n}.jsonl"
    for n in (
        "classifier_dev",
        "classifier_holdout",
        "classifier_holdout2",
        "classifier_holdout3",
        "classifier_holdout4",
        "classifier_holdout5",
        *(("classifier_thread",) if os.environ.get("WQ_THREAD", "1") == "1" else ()),
    )
)
C_GRID = tuple(float(x) for x in (os.environ.get("WQ_C_GRID") or "1,3,10,30").split(","))
TEMPERATURES = (0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)
CONFIDENT_GRID = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
CONFIDENT_TARGET = (
    0.85  # "confident": about 6 in 7 right; the wizard still shows the type and the list to change it
)
BRANCH_TARGET = 0.9  # a question is skipped only when the story answers it right 9 in 10 times
REAL_WEIGHT = 2.0  # a real complaint counts twice a hand-written one (the classifier serves real text)
MIN_DF = 2  # a character n-gram or word seen in fewer training texts is dropped
INNER_FOLDS = 3
OFFSETS = (-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5)
# further lowering of "other" when the lexicon sees nothing off-topic (0 only: the gate is off)
CLEAN_OFFSETS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0) if os.environ.get("WQ_GATE", "1") == "1" else (0.0,)
OTHER_KEPT = 0.8  # margin above the 3-in-4 the classifier must keep
N_SIGNALS = 4
# experiment knobs (bench/classify.py --dev sets them from the environment; the defaults are what ships)
CLASS_WEIGHT: str | None = (os.environ.get("WQ_CLASS_WEIGHT") or "balanced").replace("none", "") or None
REAL_WEIGHT = float(os.environ.get("WQ_REAL_WEIGHT") or REAL_WEIGHT)
OTHER_KEPT = float(os.environ.get("WQ_OTHER_KEPT") or OTHER_KEPT)


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    label: str
    alt: tuple[str, ...]
    group: str  # source repository (real), record (黑猫), file (hand-written)
    real: bool
    cs: bool | None
    file: str


# the collectors' masks stand for what a person really types there: the model must not learn the masks themselves
UNMASK = {
    "[邮箱已脱敏]": "user@example.com",
    "[手机号已脱敏]": "13800000000",
    "[订单号已脱敏]": "2026112012345678",
    "[账号已脱敏]": "user123",
}


def page_text(obj: dict[str, Any]) -> str:
    """Title + text as a complaint page shows them (the title is left out when the text already contains it), with
    the collectors' masks replaced by ordinary values of their kind."""
    text = str(obj.get("text") or "")
    title = str(obj.get("title") or "").strip()
    if title and title not in text:
        text = f"{title}。{text}"
    for mask, value in UNMASK.items():
        text = text.replace(mask, value)
    return text


def load_rows(rel: str) -> list[Row]:
    path = ROOT / rel
    real = rel in REAL_FILES
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        o = json.loads(line)
        if real and "heimao" in str(o["id"]) and "complaints-dev.jsonl" in rel:
            group = f"heimao:{o['id']}"
        elif real:
            group = str(o.get("source_repo") or o["id"])
        else:
            group = rel
        rows.append(
            Row(
                id=str(o["id"]),
                text=page_text(o) if real else str(o["text"]),
                label=str(o["label_type"]),
                alt=tuple(o.get("label_alt") or ()),
                group=group,
                real=real,
                cs=o.get("label_cs_runaround"),
                file=rel,
            )
        )
    return rows


def all_rows() -> tuple[list[Row], list[Row]]:
    real = [r for f in REAL_FILES for r in load_rows(f)]
    hand = [r for f in HAND_FILES for r in load_rows(f)]
    if not _ALL_WORDS[0]:
        _ALL_WORDS[0] = vocabulary([r.text for r in (*real, *hand)])
    return real, hand


_FEATURES: dict[str, dict[str, float]] = {}


def vocabulary(texts: Sequence[str]) -> frozenset[str]:
    """The word vocabulary: what jieba cuts the texts into, plus the domain words of classifier.yaml."""
    words = {w for x in texts for w in clf.jieba_words(clf.model_text(x))}
    words |= {str(w) for w in clf.load("classifier").get("jieba_words") or () if len(str(w)) >= clf.MIN_WORD}
    return frozenset(words)


def features(text: str) -> dict[str, float]:
    """Features of a text over the vocabulary of every text this script loads (words that occur in fewer than
    MIN_DF training texts of a fit are dropped by _fit, so a test text's own words never reach its model)."""
    got = _FEATURES.get(text)
    if got is None:
        got = _FEATURES[text] = clf.text_features(text, _ALL_WORDS[0])
    return got


_ALL_WORDS: list[frozenset[str]] = [frozenset()]


FINAL_SHARE = 4  # one source group in FINAL_SHARE is set aside (bench/classify.py --final)


def is_final(group: str) -> bool:
    """A fixed quarter of the real texts' source groups (by hash of the group name), set aside on 2026-12-04 before
    the second round of changes: those changes were decided by grouped CV on the other groups only (--dev), and this
    quarter was classified once at the end (--final)."""
    return int(hashlib.sha256(("final:" + group).encode()).hexdigest(), 16) % FINAL_SHARE == 0


def group_folds(rows: Sequence[Row], k: int) -> list[list[int]]:
    """k folds of row indices, a group never split: groups sorted by size (then name) dealt to the lightest fold."""
    sizes: dict[str, int] = {}
    for r in rows:
        sizes[r.group] = sizes.get(r.group, 0) + 1
    folds: list[list[str]] = [[] for _ in range(k)]
    load = [0] * k
    for g in sorted(sizes, key=lambda g: (-sizes[g], hashlib.sha256(g.encode()).hexdigest())):
        j = min(range(k), key=lambda i: (load[i], i))
        folds[j].append(g)
        load[j] += sizes[g]
    where = {g: j for j, gs in enumerate(folds) for g in gs}
    out: list[list[int]] = [[] for _ in range(k)]
    for i, r in enumerate(rows):
        out[where[r.group]].append(i)
    return out


def _fit(rows: Sequence[Row], c: float) -> tuple[list[str], Any, Any]:
    """(feature names, coef [labels x features], intercept) of a logistic regression on ``rows``."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    df: dict[str, int] = {}
    feats = [features(r.text) for r in rows]
    for f in feats:
        for name in f:
            df[name] = df.get(name, 0) + 1
    names = sorted(n for n, d in df.items() if d >= MIN_DF or n.startswith("L:"))
    col = {n: j for j, n in enumerate(names)}
    data, ind, ptr = [], [], [0]
    for f in feats:
        for name, x in sorted(f.items()):
            j = col.get(name)
            if j is not None:
                ind.append(j)
                data.append(x)
        ptr.append(len(ind))
    x_mat = csr_matrix((np.array(data), np.array(ind), np.array(ptr)), shape=(len(rows), len(names)))
    y = np.array([LABELS.index(r.label) for r in rows])
    w = np.array([REAL_WEIGHT if r.real else 1.0 for r in rows])
    if CLASS_WEIGHT == "balanced":  # each label weighs as much in total as any other
        tot = {k: float(w[y == k].sum()) for k in range(len(LABELS))}
        mean = sum(tot.values()) / len(tot)
        w = np.array([wi * mean / tot[int(yi)] for wi, yi in zip(w, y, strict=True)])
    lr = LogisticRegression(C=c, max_iter=3000)
    lr.fit(x_mat, y, sample_weight=w)
    # sklearn orders classes by label index; every label occurs in the training data
    assert list(lr.classes_) == list(range(len(LABELS))), "every label must occur in the training data"
    return names, lr.coef_, lr.intercept_


def _logits(model: tuple[list[str], Any, Any], rows: Sequence[Row]) -> list[list[float]]:
    names, coef, intercept = model
    col = {n: j for j, n in enumerate(names)}
    out = []
    for r in rows:
        z = [float(b) for b in intercept]
        for name, x in features(r.text).items():
            j = col.get(name)
            if j is not None:
                for k in range(len(z)):
                    z[k] += x * float(coef[k, j])
        out.append(z)
    return out


def _softmax(z: Sequence[float], t: float) -> list[float]:
    top = max(z)
    e = [math.exp((v - top) / t) for v in z]
    s = sum(e)
    return [v / s for v in e]


@dataclass(frozen=True)
class Chosen:
    c: float
    temperature: float
    confident: float
    log_loss: float
    other_offset: float = 0.0
    branch: float = 1.0
    clean_offset: float = 0.0


def choose(rows: Sequence[Row]) -> Chosen:
    """C, temperature, the "other" offset, the confidence and branch thresholds by grouped CV over the real rows of
    ``rows`` (grouped by source; the hand-written rows are always on the training side, as in bench/classify.py).
    C and temperature minimise the log loss of the out-of-fold real texts; the rest is chosen on them after."""
    rows = list(rows)
    real = [r for r in rows if r.real]
    hand = [r for r in rows if not r.real]
    folds = group_folds(real, INNER_FOLDS)
    best: Chosen | None = None
    best_oof: list[tuple[list[float], Row]] = []
    for c in C_GRID:
        oof: list[tuple[list[float], Row]] = []
        for test_idx in folds:
            held = set(test_idx)
            train_rows = hand + [r for i, r in enumerate(real) if i not in held]
            test_rows = [real[i] for i in test_idx]
            model = _fit(train_rows, c)
            oof.extend(zip(_logits(model, test_rows), test_rows, strict=True))
        real_oof = [(z, r) for z, r in oof if r.real]
        for t in TEMPERATURES:
            loss = 0.0
            for z, row in real_oof:
                p = _softmax(z, t)[LABELS.index(row.label)]
                loss -= math.log(max(p, 1e-12))
            loss /= len(real_oof)
            if best is None or loss < best.log_loss - 1e-9:
                best = Chosen(c=c, temperature=t, confident=0.0, log_loss=loss)
                best_oof = oof
    assert best is not None
    real_oof = [(z, r) for z, r in best_oof if r.real]
    offset, clean_offset = other_offset(real_oof)
    shifted = [(_shift(z, offset, clean_offset, _clean(row)), row) for z, row in real_oof]
    return Chosen(
        c=best.c,
        temperature=best.temperature,
        confident=confident_threshold(shifted, best.temperature),
        branch=branch_threshold(shifted, best.temperature),
        log_loss=best.log_loss,
        other_offset=offset,
        clean_offset=clean_offset,
    )


def _clean(row: Row) -> bool:
    """No lexicon evidence for "outside the taxonomy" (auto-renewal, physical goods, a developer's bug report ...)."""
    return "L:other" not in features(row.text)


def _shift(z: Sequence[float], offset: float, clean_offset: float = 0.0, clean: bool = False) -> list[float]:
    k = LABELS.index(OTHER)
    off = offset + (clean_offset if clean else 0.0)
    return [v - off if j == k else v for j, v in enumerate(z)]


def other_offset(oof: Sequence[tuple[list[float], Row]]) -> tuple[float, float]:
    """How much to lower the logit of "other" — for every text, and by how much more when the text has no lexicon
    evidence of being off-topic: the most problem texts named right while at least OTHER_KEPT of the out-of-fold
    off-topic texts stay "other" (a real complaint is more often a problem than the training mix says)."""
    best = (-1, 0.0, 0.0)
    clean = [_clean(row) for _z, row in oof]
    for offset in OFFSETS:  # (negative: raise it, when even unshifted too few off-topic texts stay "other")
        for extra in CLEAN_OFFSETS:
            right = kept = n_other = 0
            for (z, row), cl in zip(oof, clean, strict=True):
                zz = _shift(z, offset, extra, cl)
                got = LABELS[max(range(len(zz)), key=zz.__getitem__)]
                if row.label == OTHER:
                    n_other += 1
                    kept += got == OTHER
                else:
                    right += got == row.label
            if n_other and kept / n_other >= OTHER_KEPT and right > best[0]:
                best = (right, offset, extra)
    return best[1], best[2]


def branch_threshold(oof: Sequence[tuple[list[float], Row]], t: float) -> float:
    """The lowest probability mass on the types behind one answer of the first question at which that answer is
    right (the label or an alternative is behind it) at least BRANCH_TARGET of the time, for out-of-fold real texts:
    then the story answers the question itself and it is not asked."""
    from weiquan.domain.questions import tree

    q = tree().questions[tree().start]
    for tau in CONFIDENT_GRID:
        right = n = 0
        for z, row in oof:
            p = dict(zip(LABELS, _softmax(z, t), strict=True))
            mass = [
                (sum(p[x] for x in a.reaches if not any(x in b.reaches for b in q.answers if b is not a)), a)
                for a in q.answers
            ]
            m, a = max(mass, key=lambda x: x[0])
            if m >= tau:
                n += 1
                right += row.label in a.reaches or any(x in a.reaches for x in row.alt)
        if n and right / n >= BRANCH_TARGET:
            return tau
    return CONFIDENT_GRID[-1]


def confident_threshold(oof: Sequence[tuple[list[float], Row]], t: float) -> float:
    """The lowest probability at which out-of-fold real texts are right (the label or an alternative the labeller
    accepted) at least CONFIDENT_TARGET of the time. (Trying a lower threshold where the lexicon agrees did not
    help: on real text the lexicon agrees with the model's mistakes about as often as with its hits.)"""
    for tau in CONFIDENT_GRID:
        right = n = 0
        for z, row in oof:
            p = _softmax(z, t)
            k = max(range(len(p)), key=p.__getitem__)
            if p[k] >= tau:
                n += 1
                right += LABELS[k] == row.label or LABELS[k] in row.alt
        if n and right / n >= CONFIDENT_TARGET:
            return tau
    return CONFIDENT_GRID[-1]


def train(rows: Sequence[Row], chosen: Chosen | None = None) -> dict[str, Any]:
    """The model file's content, trained on ``rows`` (hyper-parameters chosen on ``rows`` unless given)."""
    ch = chosen or choose(rows)
    names, coef, intercept = _fit(rows, ch.c)
    intercept = _shift([float(b) for b in intercept], ch.other_offset)
    weights: dict[str, list[float]] = {}
    for j, name in enumerate(names):
        row = [round(float(coef[k, j]), 4) for k in range(len(LABELS))]
        if max(abs(w) for w in row) >= 1e-3:
            weights[name] = row
    return {
        "labels": list(LABELS),
        "intercept": [round(float(b), 4) for b in intercept],
        "max_n": clf.MAX_N,
        "temperature": ch.temperature,
        "decision": {
            "confident": ch.confident,
            "branch": ch.branch,
            "other_clean_offset": ch.clean_offset,
            "n_signals": N_SIGNALS,
        },
        "training": {
            "method": "multinomial logistic regression (scikit-learn, lbfgs, L2), bench/train_classifier.py",
            "C": ch.c,
            "other_offset": ch.other_offset,
            "real_weight": REAL_WEIGHT,
            "class_weight": CLASS_WEIGHT,
            "min_df": MIN_DF,
            "inner_log_loss": round(ch.log_loss, 4),
            "files": {f: _sha256(ROOT / f) for f in (*REAL_FILES, *HAND_FILES)},
            "texts": len(rows),
        },
        "weights": weights,
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_model(path: Path, payload: dict[str, Any]) -> None:
    weights = payload.pop("weights")
    head = json.dumps(payload, ensure_ascii=False, indent=1)[:-2]
    lines = [f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v)}" for k, v in sorted(weights.items())]
    path.write_text(head + ',\n "weights": {\n' + ",\n".join(lines) + "\n }\n}\n", encoding="utf-8")
    payload["weights"] = weights


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--out", type=Path, default=clf.MODEL_FILE)
    args = ap.parse_args()
    real, hand = all_rows()
    payload = train(real + hand)
    meta = {k: v for k, v in payload.items() if k != "weights"}
    print(json.dumps(meta, ensure_ascii=False, indent=1))
    print(f"{len(payload['weights'])} weighted features")
    if not args.dry_run:
        write_model(args.out, payload)
        print(f"written: {args.out}")


if __name__ == "__main__":
    main()
