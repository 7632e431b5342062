"""The test suite's settings: weiquan.settings with a fixed SECRET_KEY when none is set.

A run on PostgreSQL (`DATABASE_URL=postgres://… uv run pytest`) is a hosted configuration, which refuses to start
without a SECRET_KEY; tests that check that refusal start their own process with weiquan.settings.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-secret-key-never-used-in-a-deployment")

from weiquan.settings import *  # noqa: E402, F403
