"""Capture of a local page (HTML + CSS + image) in headless Chromium → WARC + PNG + text + manifest.

Target (issue 10): < 10 s a capture. Starts a local HTTP server, captures ROUNDS times (browser start included,
as the worker pays it per job), prints the mean and the ratio to the target (≤ 1.0 passes).

    uv run python bench/capture.py [ROUNDS]
"""

from __future__ import annotations

import http.server
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

from weiquan.evidence.capture import browser_available, capture, unavailable_message
from weiquan.evidence.verify_capture import verify_capture

TARGET_S = 10.0
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>服务条款</title><link rel="stylesheet" href="s.css">
</head><body><h1>服务条款</h1>{rules}<img src="logo.png"></body></html>"""


def main() -> None:
    if not browser_available():
        print(unavailable_message())
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        root.mkdir()
        rules = "".join(
            f"<p>第{i}条：卡密一经发出，概不退换。本站拥有最终解释权。</p>" for i in range(1, 200)
        )
        (root / "index.html").write_text(PAGE.format(rules=rules), encoding="utf-8")
        (root / "s.css").write_text("body{font:16px sans-serif;max-width:40em;margin:auto}", encoding="utf-8")
        from PIL import Image

        Image.new("RGB", (600, 200), "teal").save(root / "logo.png")
        handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
        handler.log_message = lambda *a: None  # type: ignore[attr-defined]
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        times = []
        for i in range(rounds):
            t = time.perf_counter()
            capture(url, Path(tmp) / f"cap{i}")
            times.append(time.perf_counter() - t)
            assert verify_capture(Path(tmp) / f"cap{i}").ok
        server.shutdown()
    mean = sum(times) / len(times)
    print(f"captures: {rounds}  each: {', '.join(f'{x:.1f}' for x in times)} s")
    print(f"capture of a local page: {mean:.2f} s   ratio to {TARGET_S:.0f} s target: {mean / TARGET_S:.2f}")


if __name__ == "__main__":
    main()
