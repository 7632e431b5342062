"""Bearer tokens: sign-up, log-in (rate-limited), and the authentication every other endpoint runs first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from weiquan.accounts import ratelimit
from weiquan.accounts.models import ApiToken, Profile
from weiquan.apicore.errors import ApiError, invalid
from weiquan.cases.models import Case, case_for_owner

# last_used_at is for "when was this token last used", not an audit log: writing it on every request would take
# SQLite's write lock for each read-only call.
TOUCH_EVERY = dt.timedelta(minutes=1)


class AuthedRequest(HttpRequest):
    auth: User


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        api_token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(token)).first()
        if api_token is None or not api_token.user.is_active:
            raise ApiError(401, _("登录令牌无效或已失效，请重新获取：POST /api/auth/token"))
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        match = getattr(request, "resolver_match", None)
        if match is not None and "case_id" in match.kwargs:
            # ninja validates the query and body before the view's first line; checking ownership here too means
            # an outsider gets 404 on every case path — never a 422 about a case that is not theirs. The views
            # still start with case_for_owner — through ``owned_case``, which hands them the case loaded here, so a
            # request loads it once (this check guards endpoints added later, too).
            request._owned_case = case_for_owner(api_token.user, match.kwargs["case_id"])  # type: ignore[attr-defined]
        return api_token.user


def owned_case(request: AuthedRequest, case_id: str) -> Case:
    """``case_for_owner`` for the API: the case the authentication already loaded for this request, or a load."""
    case: Case | None = getattr(request, "_owned_case", None)
    if case is not None and str(case.public_id) == str(case_id) and case.owner_id == request.auth.pk:
        return case
    return case_for_owner(request.auth, case_id)


bearer = BearerToken()


def create_account(username: str, password: str) -> tuple[User, str]:
    """A new user and their first API token; Django's username and password validators, in Chinese."""
    username = User.normalize_username(username.strip())
    problems: list[tuple[str, str]] = []
    try:
        User._meta.get_field("username").clean(username, None)
    except DjangoValidationError as exc:
        problems += [("username（用户名）", m) for m in exc.messages]
    try:
        validate_password(password, User(username=username))
    except DjangoValidationError as exc:
        problems += [("password（密码）", m) for m in exc.messages]
    if problems:
        raise invalid(_("注册信息有误"), problems)
    taken = ApiError(409, _("用户名“%(username)s”已被占用") % {"username": username})
    # Case-insensitive, like Django's UserCreationForm: "Alice" and "alice" are one person to a reader.
    if User.objects.filter(username__iexact=username).exists():
        raise taken
    try:
        with transaction.atomic():
            user = User.objects.create_user(username, password=password)
            Profile.objects.get_or_create(user=user)  # the accounts app may already create it on save
            return user, ApiToken.issue(user)
    except IntegrityError:  # the same name registered a moment ago
        raise taken from None


def issue_token(request: HttpRequest, username: str, password: str) -> str:
    # authenticate() applies the log-in limits (ratelimit.RateLimitedModelBackend) before checking the password.
    user: Any = authenticate(request, username=username, password=password)
    if user is None:
        if message := ratelimit.limited_message(request):
            raise ApiError(429, message)
        raise ApiError(401, _("用户名或密码错误"))
    return ApiToken.issue(user)


def check_signup_rate(request: HttpRequest) -> None:
    if message := ratelimit.allow_signup(request):
        raise ApiError(429, message)
