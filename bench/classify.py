"""Benchmark of the complaint classifier: top-1 accuracy, confusions and throughput.

    uv run python bench/classify.py            # summary
    uv run python bench/classify.py --errors   # also list every misclassified text

(a) /work/shared/data/complaints-dev.jsonl — real 黑猫投诉 complaints; input is title + text as a complaint page shows
    them, truth is label_type (黑猫's own tags such as platform_issue_tags are never read).
(b) tests/data/classifier_dev.jsonl — the hand-written development set.
(c) tests/data/classifier_holdout*.jsonl — hand-written batches, each written BEFORE looking at how the classifier
    does on it, then measured once. What happened afterwards (first-look accuracy; original lexicon in brackets):
      holdout   227 texts  80.2% [80.2%]  then used for tuning (round 1): no longer held out
      holdout2   80 texts  77.5% [65.0%]  after round 1; round 2 was informed by its per-type weaknesses
      holdout3   80 texts  76.2% [60.0%]  after round 2; round 3 was informed by its per-type weaknesses
      holdout4   80 texts  72.5% [62.5%]  after round 3; nothing changed since: the current held-out estimate
    Pooled first looks at holdout2-4: 181/240 = 75.4% (original 150/240 = 62.5%).
Throughput: classify_batch over 10,000 JSONL lines built from both sets.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from weiquan.domain.classify import classify, classify_batch  # noqa: E402
from weiquan.domain.taxonomy import OTHER, TYPE_IDS  # noqa: E402

REAL = Path(os.environ.get("WEIQUAN_COMPLAINTS_DEV", "/work/shared/data/complaints-dev.jsonl"))
OWN = ROOT / "tests" / "data" / "classifier_dev.jsonl"
HOLDOUTS = (
    ("classifier_holdout.jsonl", "written before round 1, then tuned on: not a held-out estimate"),
    ("classifier_holdout2.jsonl", "held out for round 1 (first look 77.5%); later rounds saw its weak types"),
    ("classifier_holdout3.jsonl", "held out for round 2 (first look 76.2%); round 3 saw its weak types"),
    (
        "classifier_holdout4.jsonl",
        "HELD OUT: written after the last change, never tuned on (first look 72.5%)",
    ),
)
LABELS = (*TYPE_IDS, OTHER)


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


def evaluate(name: str, rows: list[dict[str, object]], show_errors: bool) -> None:
    per_total: Counter[str] = Counter()
    per_ok: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    cs_ok = cs_n = 0
    errors = []
    for r in rows:
        c = classify(str(r["text"]))
        truth = str(r["truth"])
        per_total[truth] += 1
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
    print(f"top-1 accuracy: {ok}/{n} = {ok / n:.1%}")
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
            cands = ", ".join(f"{x.type}:{x.score}{x.signals}" for x in c.candidates[:3])
            print(f"  [{r['id']}] truth={r['truth']} got={c.type} | {cands} | other={c.other_signals}")
            print(f"      {str(r['text'])[:160]}")


def throughput(name: str, rows: list[dict[str, object]], n: int = 10_000) -> None:
    lines = [json.dumps({"id": i, "text": rows[i % len(rows)]["text"]}, ensure_ascii=False) for i in range(n)]
    classify("预热")  # the lexicon is compiled once per process; measure steady state
    start = time.perf_counter()
    out = sum(1 for _ in classify_batch(lines))
    elapsed = time.perf_counter() - start
    chars = sum(len(str(rows[i % len(rows)]["text"])) for i in range(n))
    print(
        f"== throughput ({name}): {out} lines in {elapsed:.2f} s = {out / elapsed:,.0f} lines/s"
        f" (avg {chars / n:.0f} chars/line)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="list misclassified texts")
    args = ap.parse_args()
    real: list[dict[str, object]] = []
    if REAL.exists():
        real = load(REAL, use_title=True)
        evaluate(f"(a) {REAL}", real, args.errors)
    else:
        print(f"(a) {REAL} not found, skipped")
    own = load(OWN, use_title=False)
    evaluate(
        f"(b) {OWN.relative_to(ROOT)} (the lexicon was tuned on it: not a held-out estimate)",
        own,
        args.errors,
    )
    held: list[dict[str, object]] = []
    for name, note in HOLDOUTS:
        path = ROOT / "tests" / "data" / name
        if path.exists():
            rows = load(path, use_title=True)
            held += rows
            evaluate(f"(c) {path.relative_to(ROOT)} — {note}", rows, args.errors)
        else:
            print(f"(c) {path.relative_to(ROOT)} not found, skipped")
    print()
    throughput("all sets", real + own + held)
    if real:
        throughput("real complaints only", real)


if __name__ == "__main__":
    main()
