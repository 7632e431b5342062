"""Real-browser tests: Playwright driving Debian's Chromium against Django's live_server, phone-sized, in Chinese.

Needs `apt-get install chromium fonts-noto-cjk` (PACKAGES.md); without /usr/bin/chromium the tests are skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("WEIQUAN_CHROMIUM", "/usr/bin/chromium"))

# pytest-django's live_server and the ORM calls in the test run beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} not found: apt-get install chromium fonts-noto-cjk to run browser tests"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--lang=zh-CN",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "accept_downloads": True,
    }


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the wizard screenshots go: $WEIQUAN_SCREENSHOTS if set (to look at them), else a temp folder."""
    folder = Path(os.environ.get("WEIQUAN_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
