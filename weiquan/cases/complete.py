"""The facts a complaint form still needs, asked for on the form's page and saved to the case.

Only the fields the page asked for (``forms_text.ASKS``) are accepted; empty ones are left as they were. The change is
saved in one transaction with its case-log entry, so the plan, the documents and the evidence bundle all see it.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc

from weiquan.cases.models import Case
from weiquan.cases.signals import platform_details_stored
from weiquan.domain.forms_text import ASKS

MAX = {
    "platform_company": 200,
    "platform_merchant_name": 200,
    "platform_address": 300,
    "platform_credit_code": 18,
    "item": 200,
    "order_no": 128,
    "consumer_name": 64,
    "consumer_phone": 32,
}


class CompleteForm(forms.Form):
    """One text box per missing fact; ``asks`` picks which (in the page's order)."""

    def __init__(self, *args: Any, asks: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in asks:
            label, hint = ASKS[name]
            attrs: dict[str, str] = {"autocomplete": "off"}
            if name in ("platform_credit_code", "order_no"):
                attrs.update(autocapitalize="characters", spellcheck="false")
            if name == "consumer_phone":
                attrs.update(inputmode="tel", autocomplete="tel")
            if name == "consumer_name":
                attrs["autocomplete"] = "name"
            self.fields[name] = forms.CharField(
                label=label,
                help_text=hint,
                required=False,
                max_length=MAX[name],
                widget=forms.TextInput(attrs=attrs),
                error_messages={
                    "max_length": _("%(label)s太长了（最多 %(n)s 个字）") % {"label": label, "n": MAX[name]}
                },
            )

    def clean_platform_credit_code(self) -> str:
        value = re.sub(r"[\s-]", "", self.cleaned_data.get("platform_credit_code") or "").upper()
        if value and not uscc.is_valid(value):
            raise forms.ValidationError(
                _("统一社会信用代码不对：应为18位（数字和大写字母），请照营业执照或公示系统核对")
            )
        return value

    def clean_consumer_phone(self) -> str:
        value = re.sub(r"[\s-]", "", self.cleaned_data.get("consumer_phone") or "")
        if value and not re.fullmatch(r"\+?\d{5,20}", value):
            raise forms.ValidationError(_("手机号只能是数字，例如 13800000000"))
        return value

    def changes(self) -> dict[str, str]:
        return {k: v.strip() for k, v in self.cleaned_data.items() if isinstance(v, str) and v.strip()}

    def save(self, case: Case, actor: Any) -> dict[str, str]:
        """Stores the given values and logs them; returns what changed (empty: nothing was typed)."""
        changes = self.changes()
        if not changes:
            return {}
        with transaction.atomic():
            Case.objects.select_for_update().filter(pk=case.pk).first()
            for name, value in changes.items():
                setattr(case, name, value)
            case.save(update_fields=[*changes, "updated_at"])
            case.log("facts_completed", changes, actor)
            if {"platform_merchant_name", "platform_company"} & changes.keys():
                # the registry (weiquan.platforms) learns the merchant's name
                platform_details_stored.send(sender=Case, case=case)
        case.refresh_reminder()
        return changes
