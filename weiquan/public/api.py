"""Public JSON endpoints of this app (mounted on the site's NinjaAPI in weiquan/api/api.py)."""

from __future__ import annotations

from ninja import Router

router = Router()
