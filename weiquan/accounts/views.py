"""Sign-up, log-in (rate limited), log-out and the account page.

A visitor who finished the case wizard before having an account is sent here; signing up or logging in saves that
case at once (``signals.signed_in``, answered by weiquan.cases.signin), so nothing they typed is lost.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from weiquan.accounts import ratelimit
from weiquan.accounts.forms import EmailForm, LoginForm, SignupForm
from weiquan.accounts.models import Profile
from weiquan.accounts.signals import sign_in_page, signed_in


def _after_sign_in(request: HttpRequest) -> str:
    """Where a receiver of ``signed_in`` sends the visitor (the case they just saved), else ``_next_url``."""
    for _receiver, url in signed_in.send(sender=None, request=request):
        if url:
            return str(url)
    return _next_url(request)


def _pending(request: HttpRequest) -> bool:
    return any(answer for _receiver, answer in sign_in_page.send(sender=None, request=request))


def _next_url(request: HttpRequest) -> str:
    """Where to go after signing in: a saved wizard case, a safe ?next=, or the case list."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("case_list")


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid() and (refused := ratelimit.allow_signup(request)):
        form.add_error(None, refused)
        status = 429
    elif request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(request, _("注册成功，已登录。"))
        return redirect(_after_sign_in(request))
    pending = _pending(request)
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "pending": pending, "next": _next_url(request)},
        status=status,
    )


def login_view(request: HttpRequest) -> HttpResponse:
    # The limits are applied inside authenticate() (ratelimit.RateLimitedModelBackend), as for the admin and the API.
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return redirect(_after_sign_in(request))
    blocked = ratelimit.limited_message(request)
    context = {"form": form, "blocked": bool(blocked), "pending": _pending(request)}
    context.update(next=_next_url(request), blocked_message=blocked or "")
    # While blocked the password is not checked at all, so guessing gets no answer.
    return render(request, "accounts/login.html", context, status=429 if blocked else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("已退出登录。"))
    return redirect("home")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    profile, _created = Profile.objects.get_or_create(user=request.user)
    form = EmailForm(request.POST or None, initial={"email": request.user.email})
    if request.method == "POST" and form.is_valid():
        request.user.email = form.cleaned_data["email"]
        request.user.save(update_fields=["email"])
        messages.success(request, _("提醒邮箱已保存。"))
        return redirect("account")
    try:
        ics_url = request.build_absolute_uri(reverse("ics_feed", args=[profile.ics_token]))
    except NoReverseMatch:  # the calendar feed is optional
        ics_url = ""
    cases = request.user.cases.count()
    return render(request, "accounts/account.html", {"form": form, "ics_url": ics_url, "case_count": cases})
