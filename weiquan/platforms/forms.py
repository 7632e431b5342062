from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SanchaForm(forms.Form):
    q = forms.CharField(
        label=_("网址、平台名称或收款商户名"),
        max_length=200,
        help_text=_("如 example.com、某某卡盟、支付宝账单上的收款方全称"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "search", "enterkeyhint": "search"}
        ),
    )


class TermsForm(forms.Form):
    terms = forms.CharField(
        label=_("粘贴平台的交易规则或用户协议"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("只在这一页检查，不会保存"),
    )
