"""The public pages: the "先看看" landing (no log-in needed) and a trivial health check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from weiquan.cases.wizard import Draft


def home(request: HttpRequest) -> HttpResponse:
    draft = Draft(request.session)  # only the visitor's own unfinished wizard, if any
    return render(request, "web/home.html", {"draft_step": draft.first_open_step() if draft.raw(1) else None})


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
