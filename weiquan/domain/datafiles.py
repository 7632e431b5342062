"""Loads the rule data files under ``domain/data`` once per process."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"


@functools.cache
def load(name: str) -> Any:
    """Parsed content of ``data/<name>.yaml``; cached, so callers must not mutate it."""
    with open(DATA_DIR / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
