"""Small pieces of HTTP hygiene that Django does not do itself.

- HeadWithoutBodyMiddleware: a HEAD response carries the headers of the GET, never its body. gunicorn already
  drops it; this covers every other WSGI server and the test client (a body there breaks keep-alive behind a proxy).
- RequestSizeMiddleware: a body larger than anything we accept is answered 413 in Chinese before it is read
  (gunicorn, unlike waitress, has no cap of its own), and Django's own RequestDataTooBig becomes that same 413.
- PermissionsPolicyMiddleware: the browser features no page here uses (camera, microphone, location …) are off.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

from weiquan.evidence.content import human_size

Handler = Callable[[HttpRequest], HttpResponse]
# Above the evidence views' own threshold (EVIDENCE_MAX_BYTES + upload.MULTIPART_SLACK), so those views answer
# first with their own message; this is the backstop for every other endpoint.
MULTIPART_SLACK = 2 * 1024 * 1024


class HeadWithoutBodyMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD":
            # Content-Length (set by CommonMiddleware) stays: it is what the GET would send.
            if response.streaming:
                # A file behind a FileResponse stays in its resource closers: the server's close() still closes it.
                response.streaming_content = []  # type: ignore[attr-defined]
            else:
                response.content = b""
        return response


def too_large_response(request: HttpRequest, limit: int, evidence: bool) -> HttpResponse:
    if evidence:
        message = f"上传的内容超过 {human_size(limit)} 的上限，未保存。较长的录屏请分段录制后逐段上传。"
    else:
        message = f"请求内容超过 {human_size(limit)} 的上限，未处理。证据文件请用证据上传功能提交。"
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message}, status=413, json_dumps_params={"ensure_ascii": False})
    html = (
        '<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>内容太大</title>'
        f'<h1>内容太大（413）</h1><p>{message}</p><p><a href="/">返回首页</a></p></html>'
    )
    return HttpResponse(html, status=413, content_type="text/html; charset=utf-8")


class RequestSizeMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        if multipart and declared > settings.EVIDENCE_MAX_BYTES + MULTIPART_SLACK:
            return too_large_response(request, settings.EVIDENCE_MAX_BYTES, evidence=True)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if not multipart and limit is not None and declared > limit:
            return too_large_response(request, limit, evidence=False)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, RequestDataTooBig):
            return too_large_response(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0, evidence=False)
        return None


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
