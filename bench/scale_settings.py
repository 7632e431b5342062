"""Settings of the server that bench/scale.py starts: the app's own settings, plus two things only the bench needs.

- ``/bench/trivial``: an authenticated view that does nothing else (session + user → the username), the yardstick
  the issue's ratios are measured against (bench/scale_urls.py).
- ``BENCH_PAGE_CACHE=off``: every request starts with an empty page cache (``pagecache.clear()`` in a middleware),
  so the case and platform pages are rendered each time — the "uncached" figures.

Nothing of this is loaded by the app or the tests.
"""

from __future__ import annotations

import os

from weiquan.settings import *  # noqa: F403
from weiquan.settings import MIDDLEWARE

ROOT_URLCONF = "bench.scale_urls"
if os.getenv("BENCH_PAGE_CACHE") == "off":
    MIDDLEWARE = [*MIDDLEWARE, "bench.scale_urls.EmptyPageCache"]
