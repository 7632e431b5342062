"""Every API error is ``{"error": "<中文>"}``, plus ``problems`` [{field, message}] when fields are wrong.

ninja's own handlers answer in English with ``{"detail": …}``; they are replaced here, including the 405 that
ninja returns before any handler runs and Django's 404 for paths the API does not have.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from weiquan.domain.facts import FIELD_LABELS, NUL_MESSAGE, CaseFileError, JSONTooDeep
from weiquan.domain.facts import message_for as domain_message

logger = logging.getLogger(__name__)

LABELS = {
    **FIELD_LABELS,
    "asked": "诉求",
    "promise": "对方承诺",
    "answer": "对方答复",
    "reference": "受理编号",
    "served_at": "支付令送达时间",
    "outcome_channel": "解决渠道",
    "recovered_amount": "追回金额",
    "file": "文件",
    "description": "说明",
    "today": "日期",
    "username": "用户名",
    "password": "密码",
}
# Chinese names of the choices of fields whose values are codes, for "取值无效，可选：…" (issue 13: no English codes
# and no empty item in the list). Keyed by field name, then value; a module with such a field adds its own.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "standard": {
        "": "不选（自由回复）",
        "refunded": "已退款",
        "reissued": "已补发",
        "need_info": "需要更多信息",
    },
    "progress": {"accepted": "已受理", "processing": "处理中", "resolved": "已解决"},
}
LOGIN_REQUIRED = gettext_lazy("请先登录：Authorization: Bearer <token>")
BAD_JSON = gettext_lazy("请求体不是有效的 JSON（请检查引号、逗号和括号）")


class NotAnObject(ValueError):
    """A JSON body that is not an object (ninja would read [null, null] as {})."""


class NulInBody(ValueError):
    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


class ApiError(Exception):
    def __init__(self, status: int, message: str | Promise, problems: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.status, self.message, self.problems = status, message, problems

    def response(self) -> JsonResponse:
        return error_response(self.status, self.message, self.problems)


def error_response(
    status: int, message: str | Promise, problems: Iterable[tuple[str, str]] | None = None
) -> JsonResponse:
    body: dict[str, Any] = {"error": str(message)}
    if problems is not None:
        body["problems"] = [{"field": field, "message": msg} for field, msg in problems]
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def invalid(title: str, problems: list[tuple[str, str]], status: int = 422) -> ApiError:
    """An error like 案件文件有误：amount（金额）：必须是数字…；…, with the bare field paths in ``problems``."""
    text = "；".join(f"{shown}：{msg}" if shown else msg for shown, msg in problems)
    bare = [(shown.split("（")[0], msg) for shown, msg in problems]
    return ApiError(status, f"{title}：{text}", bare)


def case_file_error(exc: CaseFileError) -> ApiError:
    return invalid(_("案件文件有误"), exc.problems)


def _choices_message(err: dict[str, Any]) -> str | None:
    """ "取值无效，可选：已退款、已补发…" for a code field with known labels; None for any other field."""
    loc = [part for part in err.get("loc", ()) if isinstance(part, str)]
    labels = CHOICE_LABELS.get(loc[-1] if loc else "")
    if labels is None:
        return None
    expected = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
    names = [labels.get(v, v) for v in expected] or list(labels.values())
    return _("取值无效，可选：%(list)s（各选项对应的值见 /api/docs）") % {
        "list": "、".join(n for n in names if n)
    }


def _field_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "literal_error" and (choices := _choices_message(err)) is not None:
        return choices
    if kind.startswith("date_"):
        return _("不是有效的日期（YYYY-MM-DD，例如 2026-11-25）")
    if kind == "string_too_long":
        return _("太长（最多 %(n)s 个字）") % {"n": (err.get("ctx") or {}).get("max_length")}
    if kind == "json_invalid":
        return _("不是有效的 JSON")
    message = domain_message(err)
    # The domain translates the errors a case file can have; anything else must still not come out in English.
    return message if message != err.get("msg") else _("取值无效")


def problems_from(errors: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    """(field（标签）, message) for ninja's validation errors, located the way a client wrote them.

    ninja prefixes the source ("query", "form", "file") and, for a JSON body, also the view's parameter name
    (("body", "contact", "channel")); neither is part of what the client sent.
    """
    out = []
    for err in errors:
        loc = tuple(err["loc"])
        if loc[:1] == ("body",):
            if len(loc) <= 2:
                out.append(("", _("请求体必须是一个 JSON 对象 {...}")))
                continue
            loc = loc[1:]
        path = ""
        for part in loc[1:]:
            path += f"[{part}]" if isinstance(part, int) else ("." if path else "") + str(part)
        label = LABELS.get(path.split(".")[-1].split("[")[0], "")
        out.append((f"{path}（{label}）" if label else path, _field_message(err)))
    return out


# --- ninja exception handlers ------------------------------------------------------------------------------------

_HTTP_MESSAGES = {
    400: BAD_JSON,
    401: LOGIN_REQUIRED,
    403: gettext_lazy("没有权限"),
    429: gettext_lazy("请求过于频繁，请稍后再试"),
}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return exc.response()

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return invalid(_("请求有误"), problems_from(exc.errors)).response()

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, LOGIN_REQUIRED)

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's messages are English ("Cannot parse request body"); the status code says enough.
        cause = exc.__cause__
        if isinstance(cause, NulInBody):
            return invalid(_("请求有误"), [(cause.path, NUL_MESSAGE)]).response()
        if isinstance(cause, JSONTooDeep | NotAnObject):
            return error_response(400, str(cause))
        return error_response(exc.status_code, _HTTP_MESSAGES.get(exc.status_code, _("请求有误")))

    @api.exception_handler(SuspiciousOperation)
    def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        if isinstance(exc, RequestDataTooBig):
            return error_response(
                413, _("请求体太大；证据文件请用 multipart 上传到 /api/cases/{id}/evidence")
            )
        return error_response(400, _("请求有误"))

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, str(exc) or _("未找到"))

    @api.exception_handler(DataError)
    def _data(request: HttpRequest, exc: DataError) -> HttpResponse:
        # The database refused a value (a NUL byte in a query parameter, an over-long text that slipped past
        # validation): the request was wrong, nothing was stored — a 400, not a server error (issue 12).
        logger.warning("API data error on %s %s: %s", request.method, request.path, exc)
        return error_response(400, _("请求中有无法保存的内容（例如空字符或过长的文字），请检查后重试"))

    @api.exception_handler(Exception)
    def _crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response(500, _("服务器内部错误，请稍后再试"))


# --- outside ninja: unknown paths and methods --------------------------------------------------------------------


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return error_response(404, _("没有这个接口：%(path)s（接口说明见 /api/docs）") % {"path": request.path})


def json_405(
    view: Callable[..., HttpResponse], guard: Callable[[HttpRequest], Any]
) -> Callable[..., HttpResponse]:
    """Wrap a ninja path view so a wrong method gets a JSON 405 — after the same auth and ownership checks.

    ninja answers 405 before authenticating; on a case path that would answer for someone else's case, so the
    outsider gets the 401/404 every other method gives (``guard`` is the API's bearer auth, which checks both).
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        if "case_id" in kwargs:
            try:
                if not guard(request):
                    return error_response(401, LOGIN_REQUIRED)
            except ApiError as exc:
                return exc.response()
            except Http404 as exc:
                return error_response(404, str(exc) or _("未找到"))
        allowed = response["Allow"]
        message = _("不支持 %(method)s 方法；可用：%(allowed)s") % {
            "method": request.method,
            "allowed": allowed,
        }
        reply = error_response(405, message)
        reply["Allow"] = allowed
        return reply

    return wrapped
