"""Render time against input length: the seed case's 12315 complaint with a 1 KB, 10 KB and 100 KB story.

Issue 12 measured the old reportlab PDF at 6 s (10 KB), 64 s (50 KB) and > 240 s (100 KB): worse than linear.
Prints, per format, the time for each size, the ratio to the 1× time (at most ≈ 10 and ≈ 100 when linear; less
where a fixed cost dominates, such as starting the PDF process) and, for PDF, the pages and seconds per page.

    uv run python bench/render.py [REPEATS]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from weiquan.domain.documents import Document, build_document
from weiquan.domain.facts import load_case
from weiquan.domain.render import render_docx, render_pdf, render_txt

ROOT = Path(__file__).resolve().parents[1]
SIZES = (1, 10, 100)


def story(kilobytes: int) -> str:
    """About ``kilobytes`` KB of UTF-8 story, every sentence different (no layout cache can shortcut it)."""
    parts, size, n = [], 0, 0
    while size < kilobytes * 1000:
        n += 1
        s = f"第{n}次联系客服：我在某某卡盟买的100元游戏点卡卡密无效，客服答复“卡密发出后概不退换”，拒绝退款。"
        parts.append(s)
        size += len(s.encode("utf-8"))
    return "".join(parts)


def document(kilobytes: int) -> Document:
    facts = load_case(ROOT / "examples" / "seed-invalid-code.json")
    facts = facts.model_copy(update={"description": story(kilobytes)})
    return build_document("12315", facts, problem_type="invalid_code", today=date(2026, 11, 25))


def pages(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        info = subprocess.run(["pdfinfo", fh.name], capture_output=True, text=True).stdout
    return next((int(line.split()[1]) for line in info.splitlines() if line.startswith("Pages:")), 0)


def best_of(repeats: int, fn: object, doc: Document) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn(doc)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best, result


def main(repeats: int) -> None:
    docs = {k: document(k) for k in SIZES}
    print(f"12315 complaint, story of {', '.join(f'{k} KB' for k in SIZES)}; best of {repeats}")
    for fmt, fn in (("txt", render_txt), ("docx", render_docx), ("pdf", render_pdf)):
        times: dict[int, float] = {}
        for k in SIZES:
            seconds, result = best_of(repeats, fn, docs[k])
            times[k] = seconds
            extra = ""
            if fmt == "pdf":
                assert isinstance(result, bytes)
                n = pages(result)
                extra = f"  {n:3d} pages  {seconds / n:.3f} s/page" if n else ""
            ratio = seconds / times[SIZES[0]]
            print(f"{fmt:<5} {k:4d} KB  {seconds * 1000:10.3f} ms  ratio to 1×: {ratio:6.1f}{extra}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
