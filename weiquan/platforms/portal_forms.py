"""Forms of the merchant portal. Messages are Chinese, next to their field.

(Separate from ``forms.py``, which holds the 三查 page's forms.)
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from weiquan.platforms.replies import MAX_TEXT, PROGRESS_STEPS, STANDARD_REPLIES
from weiquan.platforms.validation import validate_credit_code, validate_icp


class ClaimForm(forms.Form):
    domain = forms.CharField(
        label=_("平台的域名"),
        max_length=300,
        help_text=_("平台已登记的任一域名，例如 example.com。你要能在这个域名的网站上放一个文件。"),
        widget=forms.TextInput(
            attrs={"inputmode": "url", "autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class ReplyForm(forms.Form):
    standard = forms.ChoiceField(
        label=_("回复类型"),
        choices=[("", _("自由回复")), *STANDARD_REPLIES.items()],
        required=False,
        widget=forms.RadioSelect,
        initial="",
    )
    text = forms.CharField(
        label=_("回复内容（公开显示）"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("回复会公开显示，电话、订单号等个人信息会被自动遮盖。回复发出后不能修改或删除。"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("standard") and not (data.get("text") or "").strip():
            raise forms.ValidationError(_("请写回复内容，或选择一个标准回复"))
        return data


class ProgressForm(forms.Form):
    progress = forms.ChoiceField(
        label=_("处理进度"), choices=list(PROGRESS_STEPS.items()), widget=forms.RadioSelect
    )


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("接收通知的网址"),
        max_length=200,
        assume_scheme="https",
        help_text=_("有新的公开投诉时，我们向这个网址 POST 一条签名的 JSON 通知。"),
        widget=forms.URLInput(
            attrs={"autocomplete": "off", "placeholder": "https://example.com/weiquan/hook"}
        ),
    )


class DeclareForm(forms.Form):
    """What a verified representative says about the operator: shown as "平台自报", never as registry data."""

    company = forms.CharField(
        label=_("经营者全称"),
        max_length=200,
        required=False,
        help_text=_("营业执照上的公司名称，例如 某某网络科技有限公司"),
    )
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=40,
        required=False,
        help_text=_("18位，营业执照上印着"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    icp = forms.CharField(
        label=_("ICP备案号"),
        max_length=64,
        required=False,
        help_text=_("网站底部公示的号码，例如 粤ICP备12345678号-1"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    odr = forms.BooleanField(
        label=_("本平台已加入12315在线消费纠纷解决（ODR）"),
        required=False,
        help_text=_("加入后，消费者通过12315绿色通道提交的投诉，你们要在10个工作日内联系消费者协商。"),
    )

    def clean_credit_code(self) -> str:
        value = (self.cleaned_data.get("credit_code") or "").strip()
        return validate_credit_code(value) if value else ""

    def clean_icp(self) -> str:
        value = (self.cleaned_data.get("icp") or "").strip()
        return validate_icp(value) if value else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not any(data.get(k) for k in ("company", "credit_code", "icp", "odr")):
            raise forms.ValidationError(_("请至少填写一项：经营者全称、统一社会信用代码或ICP备案号"))
        return data
