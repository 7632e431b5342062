"""Benchmark of the complaint classifier: top-1 accuracy, confusions, the n-gram fallback's leave-one-file-out gain
and precision cost, and throughput.

    uv run python bench/classify.py            # summary
    uv run python bench/classify.py --errors   # also list every misclassified text (and every text the fallback changed)
    uv run python bench/classify.py --quick    # skip the leave-one-file-out protocol (it retrains 7 times, ~1 min)

Data
(a) /work/shared/data/complaints-dev.jsonl — real 黑猫投诉 complaints; input is title + text as a complaint page shows
    them, truth is label_type (黑猫's own tags such as platform_issue_tags are never read). Mostly physical goods, one
    labelling pass: a TEST file only, never trained on.
(b) tests/data/classifier_dev.jsonl — the hand-written development set.
(c) tests/data/classifier_holdout*.jsonl — hand-written batches, each written BEFORE looking at how the classifier
    does on it, then measured once. What happened afterwards (first-look accuracy; original lexicon in brackets):
      holdout   227 texts  80.2% [80.2%]  then used for tuning (round 1): no longer held out
      holdout2   80 texts  77.5% [65.0%]  after round 1; round 2 was informed by its per-type weaknesses
      holdout3   80 texts  76.2% [60.0%]  after round 2; round 3 was informed by its per-type weaknesses
      holdout4   80 texts  72.5% [62.5%]  after round 3 (lexicon only)
      holdout5   80 texts  91.2% [71.2% lexicon alone]  after round 4 (the n-gram fallback); never trained or tuned
                 on: the current held-out estimate (16 fixed, 0 broken, 0 of 12 "other" pulled into a type)
    Pooled first looks at holdout2-4: 181/240 = 75.4% (original 150/240 = 62.5%).

Round 4: a second stage for texts the lexicon leaves as "other" (classify._ngram_stage): multinomial naive Bayes
over character 1-3-grams (data/classifier_model.json, made by bench/train_classifier.py from (b) and holdout1-4).
The lexicon also gained one structural fallback cue for invalid_code (a code/bought account + 提示/显示/报错 + a
quoted system message that is not a success/delivery status), written after reading holdout4's "密钥已被阻止".

Protocol (d), leave-one-file-out: for each labelled file (b, holdout1-4), train the model on the OTHER labelled files
(smoothing, temperature and abstain thresholds chosen by an inner leave-one-file-out over those files only) and test
on the held-out file; (a) and holdout5 are only ever test files (model trained on all of b + holdout1-4). Reported per
file: top-1 of the lexicon alone vs lexicon + fallback, texts fixed and broken, and the precision cost: true "other"
texts the lexicon got right that the fallback pulled into a type. The lexicon itself is the same in every fold and
was tuned on (b), holdout1 and the weak types of holdout2-3, so its own numbers there are not estimates; the fallback's
change is.
Result of round 4 (leave-one-file-out, lexicon alone -> lexicon + fallback; "other" pulled = true "other" texts the
lexicon got right that the fallback turned into a type):
      classifier_dev      445  100.0% -> 97.5%   0 fixed, 11 broken, 11/115 other pulled (model fit on 467 texts only)
      holdout             227  100.0% -> 100.0%  0/35 other pulled
      holdout2             80   87.5% -> 97.5%   8 fixed, 0 broken, 0/12
      holdout3             80   80.0% -> 93.8%  11 fixed, 0 broken, 0/12
      holdout4             80   75.0% -> 95.0%  16 fixed, 0 broken, 0/12  (75.0: 72.5 + the structural cue, see above)
      complaints-dev       95   92.6% -> 92.6%   0 fixed, 0 broken, 0/63
      holdout5 (once)      80   71.2% -> 91.2%  16 fixed, 0 broken, 0/12
      pooled labelled     912   95.0% -> 97.6%  11/186 other pulled (all in the dev fold); holdout2-4: 80.8% -> 95.4%
Throughput: classify_batch over 10,000 JSONL lines, lexicon only and with the fallback (~5,000 lines/s at 49 chars,
~2,400 lines/s at 171 chars, fallback cost ~3-5%).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import train_classifier as tc  # noqa: E402

import weiquan.domain.classify as clf  # noqa: E402
from weiquan.domain.classify import Classification, classify_batch  # noqa: E402
from weiquan.domain.taxonomy import OTHER, TYPE_IDS  # noqa: E402

REAL = Path(os.environ.get("WEIQUAN_COMPLAINTS_DEV", "/work/shared/data/complaints-dev.jsonl"))
DATA = ROOT / "tests" / "data"
OWN = DATA / "classifier_dev.jsonl"
HOLDOUTS = (
    ("classifier_holdout.jsonl", "written before round 1, then tuned on: not a held-out estimate"),
    ("classifier_holdout2.jsonl", "held out for round 1 (first look 77.5%); later rounds saw its weak types"),
    ("classifier_holdout3.jsonl", "held out for round 2 (first look 76.2%); round 3 saw its weak types"),
    (
        "classifier_holdout4.jsonl",
        "held out for round 3 (first look 72.5%); round 4 (the fallback) trained on it",
    ),
    ("classifier_holdout5.jsonl", "HELD OUT: written after round 4, never trained or tuned on"),
)
HOLDOUTS_2_4 = ("classifier_holdout2.jsonl", "classifier_holdout3.jsonl", "classifier_holdout4.jsonl")
FRESH = "classifier_holdout5.jsonl"  # test only, like complaints-dev
LABELS = (*TYPE_IDS, OTHER)

Classifier = Callable[[str], Classification]


def load(path: Path, use_title: bool) -> list[dict[str, object]]:
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
            rows.append(
                {"id": r["id"], "text": text, "truth": r["label_type"], "cs": r.get("label_cs_runaround")}
            )
    return rows


def lexicon_only(text: str) -> Classification:
    return clf._classify(text, None, None)


def evaluate(name: str, rows: list[dict[str, object]], show_errors: bool) -> None:
    """The shipped classifier (lexicon + the committed model) on ``rows``, with the lexicon alone for comparison."""
    per_total: Counter[str] = Counter()
    per_ok: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    cs_ok = cs_n = lex_ok = 0
    errors = []
    for r in rows:
        c = clf.classify(str(r["text"]))
        truth = str(r["truth"])
        per_total[truth] += 1
        lex_ok += lexicon_only(str(r["text"])).type == truth
        if c.type == truth:
            per_ok[truth] += 1
        else:
            confusion[(truth, c.type)] += 1
            errors.append((r, c))
        if isinstance(r["cs"], bool):
            cs_n += 1
            cs_ok += c.cs_runaround == r["cs"]
    n = sum(per_total.values())
    ok = sum(per_ok.values())
    print(f"\n== {name}: {n} texts")
    print(f"top-1 accuracy: {ok}/{n} = {ok / n:.1%}   (lexicon alone {lex_ok}/{n} = {lex_ok / n:.1%})")
    for label in LABELS:
        if per_total[label]:
            print(
                f"  {label:<17} {per_ok[label]:>3}/{per_total[label]:<3} {per_ok[label] / per_total[label]:6.1%}"
            )
    if cs_n:
        print(f"cs_runaround agreement: {cs_ok}/{cs_n} = {cs_ok / cs_n:.1%}")
    if confusion:
        print("confusions (truth -> predicted: count):")
        for (truth, pred), k in confusion.most_common():
            print(f"  {truth} -> {pred}: {k}")
    if show_errors:
        for r, c in errors:
            print_row(r, c)


def print_row(r: dict[str, object], c: Classification, prefix: str = "") -> None:
    cands = ", ".join(f"{x.type}:{x.score}{x.signals}" for x in c.candidates[:3])
    print(f"  {prefix}[{r['id']}] truth={r['truth']} got={c.type} | {cands} | other={c.other_signals}")
    print(f"      {str(r['text'])[:160]}")


# ----------------------------------------------------------------------------------------------------------------
# (d) leave-one-file-out


def to_rows(name: str, rows: list[dict[str, object]]) -> list[tc.Row]:
    return [tc.Row(name, str(r["id"]), str(r["text"]), str(r["truth"])) for r in rows]


def leave_one_file_out(show_errors: bool) -> None:
    labelled = {name: to_rows(name, load(tc.DATA / name, use_title=True)) for name in tc.TRAIN_FILES}
    tests: list[tuple[str, list[tc.Row]]] = list(labelled.items())
    if REAL.exists():
        tests.append((REAL.name, to_rows(REAL.name, load(REAL, use_title=True))))
    if (DATA / FRESH).exists():
        tests.append((FRESH, to_rows(FRESH, load(DATA / FRESH, use_title=True))))
    print("\n== (d) leave-one-file-out: the fallback trained without the file it is tested on")
    print(
        f"  {'file':<28} {'n':>4}  {'lexicon':>15}  {'+ fallback':>15}  fixed broken  other pulled  "
        "chosen by inner cross-validation"
    )
    pooled: dict[str, list[int]] = {}
    mismatches = 0
    for name, test in tests:
        train = [r for f, rows in labelled.items() if f != name for r in rows]
        model, tuned = tc.train(train)
        lex_ok = ok = fixed = broken = pulled = lex_other = 0
        changed: list[tuple[tc.Row, Classification]] = []
        for r in test:
            c = clf._classify(r.text, None, model)
            view = tc.lexicon_view(r.text)
            mismatches += c.type != tc.decide(view, tc.guess(model, r.text), tuned.decision)
            lex_ok += view.type == r.truth
            ok += c.type == r.truth
            fixed += view.type != r.truth and c.type == r.truth
            broken += view.type == r.truth and c.type != r.truth
            if r.truth == OTHER and view.type == OTHER:
                lex_other += 1
                pulled += c.type != OTHER
            if c.type != view.type:
                changed.append((r, c))
        n = len(test)
        print(
            f"  {name:<28} {n:>4}  {lex_ok:>4} = {lex_ok / n:6.1%}  {ok:>4} = {ok / n:6.1%}  {fixed:>5} {broken:>6}"
            f"  {pulled:>5}/{lex_other:<6}  {tuned.fit}, T={tuned.temperature}, p>={tuned.decision.min_posterior}"
            f" (agree {tuned.decision.min_posterior_agree}), max_other={tuned.decision.max_other}"
        )
        for key in ("all labelled files", "holdout2-4") if name in labelled else ():
            if key == "holdout2-4" and name not in HOLDOUTS_2_4:
                continue
            acc = pooled.setdefault(key, [0, 0, 0, 0, 0])
            for i, v in enumerate((n, lex_ok, ok, pulled, lex_other)):
                acc[i] += v
        if show_errors:
            for r, c in changed:
                mark = (
                    "fixed "
                    if c.type == r.truth
                    else "BROKE "
                    if r.truth == lexicon_only(r.text).type
                    else "moved "
                )
                print_row({"id": r.id, "truth": r.truth, "text": r.text}, c, mark)
    for key, (n, lex_ok, ok, pulled, lex_other) in pooled.items():
        print(
            f"  {'pooled: ' + key:<28} {n:>4}  {lex_ok:>4} = {lex_ok / n:6.1%}  {ok:>4} = {ok / n:6.1%}"
            f"  {'':>12}  {pulled:>5}/{lex_other:<6}"
        )
    print(f"  (decision replayed from cached parts vs classify(): {mismatches} mismatches)")


# ----------------------------------------------------------------------------------------------------------------
# throughput


def throughput(name: str, rows: Sequence[dict[str, object]], n: int = 10_000) -> None:
    lines = [json.dumps({"id": i, "text": rows[i % len(rows)]["text"]}, ensure_ascii=False) for i in range(n)]
    chars = sum(len(str(rows[i % len(rows)]["text"])) for i in range(n))
    results = []
    for label, model in (("lexicon only", None), ("with fallback", clf._model())):
        saved = clf._model
        clf._model = lambda model=model: model
        try:
            clf.classify(
                "预热"
            )  # the lexicon and the model are loaded once per process; measure steady state
            start = time.perf_counter()
            out = sum(1 for _ in classify_batch(lines))
            elapsed = time.perf_counter() - start
        finally:
            clf._model = saved
        results.append(f"{label} {elapsed:.2f} s = {out / elapsed:,.0f} lines/s")
    print(f"== throughput ({name}, {n} lines, avg {chars / n:.0f} chars/line): {'; '.join(results)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="list misclassified texts")
    ap.add_argument("--quick", action="store_true", help="skip the leave-one-file-out protocol")
    args = ap.parse_args()
    start = time.perf_counter()
    clf._model()
    print(f"model loaded in {time.perf_counter() - start:.2f} s")
    real: list[dict[str, object]] = []
    if REAL.exists():
        real = load(REAL, use_title=True)
        evaluate(f"(a) {REAL} (never trained on)", real, args.errors)
    else:
        print(f"(a) {REAL} not found, skipped")
    own = load(OWN, use_title=False)
    evaluate(
        f"(b) {OWN.relative_to(ROOT)} (lexicon tuned and model trained on it: not an estimate)",
        own,
        args.errors,
    )
    held: list[dict[str, object]] = []
    for name, note in HOLDOUTS:
        path = DATA / name
        if path.exists():
            rows = load(path, use_title=True)
            held += rows
            evaluate(f"(c) {path.relative_to(ROOT)} — {note}", rows, args.errors)
        else:
            print(f"(c) {path.relative_to(ROOT)} not found, skipped")
    if not args.quick:
        leave_one_file_out(args.errors)
    print()
    throughput("all sets", real + own + held)
    if real:
        throughput("real complaints only", real)


if __name__ == "__main__":
    main()
