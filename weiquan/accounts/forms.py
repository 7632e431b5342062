from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from weiquan.accounts import ratelimit


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label=_("邮箱（可选）"),
        required=False,
        help_text=_("用来提醒你期限快到了。不填也能用，之后可在“账户”里补上。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")
        labels = {"username": _("用户名")}
        help_texts = {"username": _("字母、数字或 @ . + - _，不要用手机号或真实姓名。")}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", autocapitalize="none")
        self.fields["password1"].widget.attrs["autocomplete"] = "new-password"
        self.fields["password2"].widget.attrs["autocomplete"] = "new-password"
        self.fields["password1"].help_text = _("至少 8 位，不能全是数字，不要太常见。")


class RateLimitedFormMixin:
    """Shows the limit's own message when authenticate() was refused before checking the password."""

    request: object

    def clean(self) -> dict[str, object]:
        try:
            return super().clean()  # type: ignore[misc, no-any-return]
        except ValidationError:
            if message := ratelimit.limited_message(self.request):  # type: ignore[arg-type]
                raise ValidationError(message, code="rate_limited") from None
            raise


class AdminLoginForm(RateLimitedFormMixin, AdminAuthenticationForm):
    pass


class LoginForm(RateLimitedFormMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不对。注意区分大小写。"),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["username"].widget.attrs.update(autocapitalize="none")


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("提醒邮箱"),
        required=False,
        help_text=_("期限前一个工作日，我们往这里发提醒。留空则不发邮件。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
        error_messages={"invalid": _("邮箱格式不对，例如 name@example.com")},
    )


class ResetForm(PasswordResetForm):
    """忘记密码: the e-mail the account gave. The answer never says whether an account has it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = _("注册时填的邮箱")
        field.help_text = _("我们往这个邮箱发一个重设密码的链接。注册时没填邮箱的账户无法这样找回。")
        field.error_messages = {
            "required": _("请填写邮箱"),
            "invalid": _("邮箱格式不对，例如 name@example.com"),
        }


class SetPasswordChineseForm(SetPasswordForm):  # type: ignore[type-arg]
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["new_password1"].label = _("新密码")
        self.fields["new_password1"].help_text = _("至少 8 位，不能全是数字，不要太常见。")
        self.fields["new_password2"].label = _("再输一遍新密码")
        self.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"
        self.error_messages = {**self.error_messages, "password_mismatch": _("两次输入的密码不一样")}
