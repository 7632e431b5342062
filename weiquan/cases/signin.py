"""Receivers of the sign-in pages' signals (weiquan.accounts.signals), connected in CasesConfig.ready: signing up
or logging in saves the case the visitor finished in the wizard before having an account."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from weiquan.cases import wizard


def save_pending(sender: Any, request: HttpRequest, **kwargs: Any) -> str | None:
    return wizard.save_pending(request)


def has_pending(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    return wizard.has_pending(request.session)
