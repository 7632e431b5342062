"""Benchmark of the complaint classifier on real complaints: grouped cross-validated top-1 accuracy per type, how many
off-topic complaints stay "other", how often it asks questions, 售后推诿 detection, and throughput.

    uv run python bench/classify.py            # everything (~1 min: the model is retrained 5 times)
    uv run python bench/classify.py --errors   # also list every misclassified real text
    uv run python bench/classify.py --quick    # 售后推诿, extraction and throughput only (no retraining)
    uv run python bench/classify.py --dev      # grouped CV over the development groups only (decide changes here)
    uv run python bench/classify.py --final    # train on the development groups, classify the set-aside quarter

Protocol. The real complaints (bench/data/complaints-dev.jsonl, 95 黑猫投诉; bench/data/complaints-dev2.jsonl, 237
GitHub-issue texts from 107 repositories) are split into 5 folds by source: a repository's texts never sit on both
sides, each 黑猫 record is its own group. For each fold, bench/train_classifier.train fits the model on the other
folds plus the hand-written texts (tests/data/classifier_*.jsonl), choosing C, temperature and the confidence
threshold by an inner grouped cross-validation over those folds only; then the held-out fold is classified with the
pure-Python inference. Nothing reported here was tuned on: the test fold never takes part in any choice.
"strict" = the label; "accepting label_alt" also counts an alternative the labeller named as acceptable.

Second round (2026-12-04, helper classify2). Protocol: before any change, a fixed quarter of the source groups
(train_classifier.is_final, by hash: 55 real texts) was set aside. Every change of this round was decided by grouped
CV over the other 277 texts only (`--dev`); the set-aside quarter was then classified once (`--final`, model trained
on the development groups). Tried on --dev (problem types strict / off-topic kept): round one 52.0% / 76.0%;
hand-written thread-style texts 52.6% / 76.0%; balanced class weights 58.4% / 75.0%; real texts weighted 4 instead
of 2: 54.3% / 75.0% alone, 59.5% / 73.1% with balanced weights (off-topic below target: rejected); balanced + thread
texts + bug-report wording 57.8% / 75.0% (kept, with the gate below: its extra offset came out 0 in every fold;
the developer rule changed nothing on --dev). C up to 100 and OTHER_KEPT 0.85 changed nothing.
Set-aside quarter (--final, looked at once): problem types 24/31 = 77.4% strict, 83.9% with label_alt
(delayed 3/4, invalid_code 2/4, service_shrink 5/8, fraud_runaway 14/14, data_leak 0/1), off-topic kept 18/24 = 75.0%
— a small sample of few groups: the 5-fold figure below is the better estimate.
Result (all 332 texts, this command; the hyper-parameters are still chosen by inner CV only, but this round's
design choices were made on 5/6 of these texts; per type strict / +alt, n):
    delayed_delivery 55.6% / 66.7% (45)   fake_stock 0% / 0% (4)        invalid_code 69.0% / 82.8% (29)
    service_shrink   50.0% / 72.9% (48)   fraud_runaway 66.2% / 77.5% (71)   data_leak 42.9% / 57.1% (7)
    problem types 119/204 = 58.3% strict, 72.5% with label_alt (round one: 53.4% / 69.1%);
    off-topic kept at "other" 97/128 = 75.8%; confident (no question) 68.1% of texts, right 86.3% of those.
    Most misses are still problems left at "other": short comments that only make sense inside their thread ("好几
    天上不去了哟", "跑路了？telegram还能联系吗？" — a question, so the lexicon discounts 跑路), reports in an
    app's own terms ("后台显示未支付", "没有收到带有激活码的邮件"), and 黑猫 texts about physical goods labelled
    as problems (少发货, 空包裹). Off-topic texts taken for problems talk like buyers (退款没到账, 激活码过期).
    售后推诿 (lexicon, not trained): precision 87.5%, recall 61.4% on 332 real texts.
Throughput varies with the load of the machine; the CPU-second rate is the one-core figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import train_classifier as tc  # noqa: E402

import weiquan.domain.classify as clf  # noqa: E402
from weiquan.domain.taxonomy import OTHER, TYPE_IDS  # noqa: E402

OUTER_FOLDS = 5
TARGET_RATE = 2000.0  # texts/s on one core with --batch


def cross_validate(real: Sequence[tc.Row], hand: Sequence[tc.Row]) -> list[tuple[tc.Row, clf.Classification]]:
    out: list[tuple[tc.Row, clf.Classification]] = []
    original = clf._model
    try:
        for k, test_idx in enumerate(tc.group_folds(real, OUTER_FOLDS), 1):
            held = set(test_idx)
            train_rows = [*hand, *(r for i, r in enumerate(real) if i not in held)]
            payload = tc.train(train_rows)
            model = clf._model_from_payload(payload)
            clf._model = lambda model=model: model  # type: ignore[assignment]
            for i in test_idx:
                out.append((real[i], clf.classify(real[i].text)))
            ch = payload["training"]
            print(
                f"  fold {k}: {len(test_idx)} texts held out, trained on {ch['texts']} "
                f"(C={ch['C']}, other logit {-ch['other_offset'] + 0.0:+}, T={payload['temperature']}, "
                f"confident>={payload['decision']['confident']})"
            )
    finally:
        clf._model = original  # type: ignore[assignment]
    return out


def final_holdout(real: Sequence[tc.Row], hand: Sequence[tc.Row]) -> list[tuple[tc.Row, clf.Classification]]:
    """Train on the development groups (+ hand-written texts, hyper-parameters by inner CV on them), classify the
    set-aside quarter once."""
    original = clf._model
    try:
        payload = tc.train([*hand, *(r for r in real if not tc.is_final(r.group))])
        model = clf._model_from_payload(payload)
        clf._model = lambda: model  # type: ignore[assignment]
        return [(r, clf.classify(r.text)) for r in real if tc.is_final(r.group)]
    finally:
        clf._model = original  # type: ignore[assignment]


def ok(row: tc.Row, predicted: str, lenient: bool) -> bool:
    return predicted == row.label or (lenient and predicted in row.alt)


def report(results: Sequence[tuple[tc.Row, clf.Classification]], show_errors: bool) -> None:
    by_type: dict[str, list[tuple[tc.Row, clf.Classification]]] = defaultdict(list)
    for r, c in results:
        by_type[r.label].append((r, c))
    print(f"\n{'type':18} {'n':>4} {'strict':>8} {'+alt':>8} {'lexicon':>8}")
    for label in (*TYPE_IDS, OTHER):
        rows = by_type.get(label, [])
        if not rows:
            continue
        n = len(rows)
        s = sum(ok(r, c.type, False) for r, c in rows)
        a = sum(ok(r, c.type, True) for r, c in rows)
        lx = sum(ok(r, c.lexicon_type, False) for r, c in rows)
        print(f"{label:18} {n:4} {s / n:8.1%} {a / n:8.1%} {lx / n:8.1%}")
    for name, subset in (
        ("virtual goods (all problem types)", [x for x in results if x[0].label != OTHER]),
        ("all real texts", list(results)),
    ):
        n = len(subset)
        s = sum(ok(r, c.type, False) for r, c in subset)
        a = sum(ok(r, c.type, True) for r, c in subset)
        print(f"{name}: top-1 {s}/{n} = {s / n:.1%} strict, {a / n:.1%} accepting label_alt")
    for f in tc.REAL_FILES:
        sub = [x for x in results if x[0].file == f]
        probs = [x for x in sub if x[0].label != OTHER]
        s = sum(ok(r, c.type, True) for r, c in probs)
        print(f"  {f}: problem types {s}/{len(probs)} = {s / max(1, len(probs)):.1%} (+alt)")
    others = [x for x in results if x[0].label == OTHER]
    kept = sum(c.type == OTHER for _r, c in others)
    print(f"off-topic kept at other: {kept}/{len(others)} = {kept / len(others):.1%} (target >= 75%)")
    conf = [x for x in results if x[1].confident]
    right = sum(ok(r, c.type, True) for r, c in conf)
    unsure = [x for x in results if not x[1].confident]
    print(
        f"confident (no question): {len(conf)}/{len(results)} = {len(conf) / len(results):.1%}, "
        f"right {right}/{len(conf)} = {right / max(1, len(conf)):.1%}; "
        f"asked a question: {len(unsure)} (their top-1 {sum(ok(r, c.type, True) for r, c in unsure)}/{len(unsure)})"
    )
    confusion = Counter((r.label, c.type) for r, c in results if not ok(r, c.type, True))
    print("most frequent confusions (label -> predicted):")
    for (a, b), n in confusion.most_common(8):
        print(f"  {a} -> {b}: {n}")
    if show_errors:
        for r, c in results:
            if not ok(r, c.type, True):
                sig = c.candidates[0].signals[:4] if c.candidates else c.other_signals[:3]
                print(f"  [{r.id}] {r.label} -> {c.type} ({c.probability}) {sig} :: {r.text[:90]!r}")


def cs_report(real: Sequence[tc.Row]) -> None:
    """售后推诿 is the lexicon's (not trained): precision and recall on every real text with a label."""
    tp = fp = fn = tn = 0
    for r in real:
        if r.cs is None:
            continue
        got = clf.classify(r.text).cs_runaround
        tp += got and r.cs
        fp += got and not r.cs
        fn += (not got) and r.cs
        tn += (not got) and not r.cs
    n = tp + fp + fn + tn
    print(
        f"\n售后推诿 (cs_runaround) on {n} real texts: precision {tp}/{tp + fp} = {tp / max(1, tp + fp):.1%}, "
        f"recall {tp}/{tp + fn} = {tp / max(1, tp + fn):.1%}, accuracy {(tp + tn) / n:.1%}"
    )
    for f in tc.REAL_FILES:
        sub = [r for r in real if r.file == f and r.cs is not None]
        t = sum(1 for r in sub if r.cs and clf.classify(r.text).cs_runaround)
        p = sum(1 for r in sub if r.cs)
        print(f"  {f}: recall {t}/{p}, labelled true {p}/{len(sub)}")


EXTRACTION_LABELS = ROOT / "bench" / "data" / "extraction-labels.jsonl"
EXTRACTION_TODAY = dt.date(2026, 11, 25)  # the labels resolve year-less and relative dates against this day


def extraction_report(real: Sequence[tc.Row]) -> None:
    """Field extraction on the labelled subset of the real texts (bench/data/extraction-labels.jsonl, written by
    reading each text): per field, precision (found values that are right) and recall (labelled values found). A
    field left out of a label line was not labelled; null means the text has none (a value found there is wrong)."""
    by_id = {r.id: r for r in real}
    labels = [json.loads(x) for x in EXTRACTION_LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # right, found, labelled
    misses: list[str] = []
    for lab in labels:
        got = clf.classify(by_id[lab["id"]].text, today=EXTRACTION_TODAY).extracted.to_dict()
        for field, want in lab.items():
            if field == "id":
                continue
            have = got[field]
            st = stats[field]
            if field == "dates":
                st[0] += len(set(have) & set(want))
                st[1] += len(set(have))
                st[2] += len(set(want))
                ok_ = set(have) == set(want)
            else:
                same = (
                    have is not None
                    and want is not None
                    and (float(have) == float(want) if field == "amount" else str(have) == str(want))
                )
                st[0] += same
                st[1] += have is not None
                st[2] += want is not None
                ok_ = same or (have is None and want is None)
            if not ok_:
                misses.append(f"  [{lab['id']}] {field}: want {want!r}, got {have!r}")
    print(f"\nextraction on {len(labels)} labelled real texts (today = {EXTRACTION_TODAY}):")
    for field, (right, found, labelled) in sorted(stats.items()):
        print(
            f"  {field:15} precision {right}/{found} = {right / max(1, found):.0%}   "
            f"recall {right}/{labelled} = {right / max(1, labelled):.0%}"
        )
    print(
        "  payee: no real text of the development files names one; covered by tests/test_extract.py phrasings"
    )
    for m in misses:
        print(m)


def throughput(real: Sequence[tc.Row], n: int = 3000) -> None:
    """classify_batch over JSONL lines in this one process: texts per CPU second (what one core does; on a shared
    machine the wall clock also counts other processes' turns, so it is printed beside it)."""
    for name, rows in (
        ("GitHub-issue texts (dev2)", [r for r in real if "dev2" in r.file]),
        ("all real texts (with the longer 黑猫 ones)", list(real)),
    ):
        lines = [
            json.dumps({"id": i, "text": rows[i % len(rows)].text}, ensure_ascii=False) for i in range(n)
        ]
        avg = sum(len(rows[i % len(rows)].text) for i in range(n)) / n
        list(clf.classify_batch(lines[:50]))  # load the lexicon and the model first
        wall, cpu = time.perf_counter(), time.process_time()
        out = sum(1 for _ in clf.classify_batch(lines))
        cpu_rate = out / (time.process_time() - cpu)
        wall_rate = out / (time.perf_counter() - wall)
        print(
            f"throughput, {name}, {avg:.0f} characters on average: {cpu_rate:,.0f} texts per CPU second = "
            f"{cpu_rate / TARGET_RATE:.2f} x the target {TARGET_RATE:,.0f}/s (wall clock {wall_rate:,.0f}/s)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="list misclassified real texts")
    ap.add_argument("--quick", action="store_true", help="skip the cross-validation")
    ap.add_argument(
        "--dev", action="store_true", help="grouped CV over the development groups only, then stop"
    )
    ap.add_argument(
        "--final", action="store_true", help="train on the development groups, test the set-aside ones"
    )
    args = ap.parse_args()
    real, hand = tc.all_rows()
    if args.dev:
        dev = [r for r in real if not tc.is_final(r.group)]
        print(f"development groups only: grouped {OUTER_FOLDS}-fold CV over {len(dev)} real texts:")
        report(cross_validate(dev, hand), args.errors)
        return
    if args.final:
        res = final_holdout(real, hand)
        print(f"set-aside groups: {len(res)} real texts, model trained on the others:")
        report(res, args.errors)
        return
    if not args.quick:
        print(f"grouped {OUTER_FOLDS}-fold cross-validation over {len(real)} real texts:")
        report(cross_validate(real, hand), args.errors)
    cs_report(real)
    extraction_report(real)
    throughput(real)


if __name__ == "__main__":
    main()
