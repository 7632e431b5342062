"""Forms of the consumer's "公开投诉" section: publish (pseudonym, title), confirm the result, collective complaints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from weiquan.public.services import PSEUDONYM_MAX, TITLE_MAX


class PublishForm(forms.Form):
    pseudonym = forms.CharField(
        label=_("化名（可选）"),
        max_length=PSEUDONYM_MAX,
        required=False,
        help_text=_("公开页面上显示的名字。不填就用“消费者”加四位数字。不要写真实姓名。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    title = forms.CharField(
        label=_("标题（可选）"),
        max_length=TITLE_MAX,
        required=False,
        help_text=_("一句话说清楚问题，如“某某卡盟卡密无效，客服拒绝退款”。不填就自动生成。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ConfirmForm(forms.Form):
    """ "解决了吗？": the radio answer, or one tap on 已退款，结案 / 已补发，结案 / 没有解决 (``outcome``)."""

    confirmed = forms.TypedChoiceField(
        label=_("平台解决了你的问题吗？"),
        choices=[("yes", _("解决了")), ("no", _("没有解决"))],
        coerce=lambda v: v == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        choices=[("refunded", _("已退款，结案")), ("reissued", _("已补发，结案")), ("no", _("没有解决"))],
        required=False,
    )
    rating = forms.TypedChoiceField(
        label=_("给平台的处理打分（可选）"),
        choices=[("", _("不打分"))] + [(str(n), _("%(n)s 分") % {"n": n}) for n in range(5, 0, -1)],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        outcome = data.get("outcome") or None
        if outcome:
            data["confirmed"] = outcome != "no"
        if data.get("confirmed") is None:
            self.add_error("confirmed", _("请选择平台是否解决了你的问题。"))
        data["outcome"] = outcome if outcome in ("refunded", "reissued") else None
        return data


class CollectiveForm(forms.Form):
    """Join an existing collective complaint (``collective``) or start one (``title`` …)."""

    collective = forms.UUIDField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=_("集体投诉标题"), max_length=100, required=False)
    event_date = forms.DateField(
        label=_("事件日期（可选）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    description = forms.CharField(
        label=_("发生了什么（可选）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：11月20日起网站打不开，客服失联，多人已付款未发货。同样会隐藏个人信息。"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("collective") and not (data.get("title") or "").strip():
            self.add_error("title", _("请写一个标题，或者选择要加入的集体投诉。"))
        event_date = data.get("event_date")
        if isinstance(event_date, dt.date) and event_date > dt.date.today() + dt.timedelta(days=1):
            self.add_error("event_date", _("事件日期不能在将来。"))
        return data
