"""The error shape every endpoint answers with (``{"error": …, "problems": [{field, message}]}``)."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class Problem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    error: str
    problems: list[Problem] | None = None


ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 404, 409, 422)}
