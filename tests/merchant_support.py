"""Shared by the merchant tests: a URL conf with the portal and the merchant API, platforms and published
complaints, and a local HTTP server standing in for a platform's web site (no network).

The URL conf mounts the merchant router on its own NinjaAPI at /api/ and the portal in front of the site's URLs, so
these tests run whether or not the site has wired them in yet.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.urls import include, path
from django.utils import timezone
from ninja import NinjaAPI

from weiquan.api.api import ChineseJSONRenderer
from weiquan.apicore import errors
from weiquan.apicore.auth import bearer
from weiquan.platforms import stats
from weiquan.platforms.merchant_api import router as merchant_router
from weiquan.platforms.models import Platform, PlatformAlias, PlatformClaim
from weiquan.public.models import PublicComplaint

URLCONF = __name__

test_api = NinjaAPI(
    title="merchant test", urls_namespace="merchant_test_api", auth=bearer, renderer=ChineseJSONRenderer()
)
errors.install(test_api)
test_api.add_router("", merchant_router)

urlpatterns = [
    path("api/", test_api.urls),
    path("", include("weiquan.platforms.portal_urls")),
    path("", include("weiquan.urls")),
]


# --- data ---------------------------------------------------------------------------------------------------------


def make_platform(name: str, *domains: str) -> Platform:
    platform = Platform.objects.create(name=name)
    for d in domains:
        PlatformAlias.objects.create(platform=platform, kind="domain", value=d, label=d)
    return platform


def verified_claim(user: Any, platform: Platform, domain: str | None = None) -> PlatformClaim:
    domain = domain or platform.aliases.filter(kind="domain").values_list("value", flat=True).first()
    return PlatformClaim.objects.create(
        platform=platform, user=user, domain=domain, verified_at=timezone.now()
    )


def published(platform: Platform, case: Any = None, **fields: Any) -> PublicComplaint:
    """A complaint as moderation leaves it: published, counted in the platform's statistics."""
    values = {
        "pseudonym": "消费者1234",
        "title": "某某卡盟：卡密无效（100元）",
        "story": "买了100元游戏点卡，卡密显示已被使用。",
        "problem_type": "invalid_code",
        "amount": 100,
        "status": "published",
        "published_at": timezone.now(),
        **fields,
    }
    complaint = PublicComplaint.objects.create(platform=platform, case=case, **values)
    if complaint.status == "published":
        stats.on_published(complaint)
    return complaint


# --- a platform's web site -----------------------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Site:
    """Routes: path → (status, body, headers); ``delay`` seconds before answering; every request is recorded."""

    port: int = 0
    routes: dict[str, tuple[int, bytes, dict[str, str]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    delay: float = 0.0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def serve(self, path: str, body: bytes | str, status: int = 200, **headers: str) -> None:
        self.routes[path] = (status, body.encode() if isinstance(body, str) else body, headers)


@contextmanager
def local_site() -> Iterator[Site]:
    site = Site()

    class Handler(http.server.BaseHTTPRequestHandler):
        # The claim check tries HTTPS first: this plain server cannot answer a TLS hello and would wait for a
        # request line that never comes. Closing idle connections quickly makes that attempt fail at once.
        timeout = 0.5

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            site.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
            if site.delay:
                time.sleep(site.delay)
            status, payload, headers = site.routes.get(self.path, (404, b"not found", {}))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
