"""URLs of the bench server (bench/scale_settings.py): the app's, plus the trivial authenticated view."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from weiquan import pagecache


@login_required
def trivial(request: HttpRequest) -> HttpResponse:
    """Session + user, nothing else."""
    return HttpResponse(request.user.get_username(), content_type="text/plain")


class EmptyPageCache:
    """Empties the page cache before each request (BENCH_PAGE_CACHE=off): pages are rendered every time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pagecache.clear()
        return self.get_response(request)


urlpatterns = [
    path("bench/trivial", trivial),
    path("", include("weiquan.urls")),
]
