"""/api/: the ninja API, with JSON answers for wrong methods and unknown paths (see weiquan.apicore.errors)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path

from weiquan.api.api import api
from weiquan.apicore.auth import bearer
from weiquan.apicore.errors import json_405, not_found

_patterns, _app_name, _namespace = api.urls
_wrapped: list[URLPattern | URLResolver] = [
    URLPattern(p.pattern, json_405(p.callback, bearer), p.default_args, p.name)
    if isinstance(p, URLPattern)
    else p
    for p in _patterns
]

urlpatterns = [
    path("", include((_wrapped, _app_name), namespace=_namespace)),
    re_path(r"^.*$", not_found),
]
