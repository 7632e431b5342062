"""Forms of the case wizard (four steps; contacts and evidence share the last screen) and of the case page's
"record what happened".

Every message is Chinese and sits next to its field. The wizard forms only check what a person can fix on that
screen; the whole case file is validated once more by ``Case.create_from_case_file`` at the end, like the CLI.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.db import transaction
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weiquan.cases.models import CHANNELS, PAYMENT_METHODS, Case
from weiquan.domain.datafiles import load
from weiquan.domain.facts import (
    CHINA_TZ,
    EARLIEST,
    CaseFileError,
    date_range_message,
    latest_date,
    parse_contact,
)
from weiquan.domain.taxonomy import OTHER, OTHER_LABEL, TYPES

PROVINCES = (  # noqa: SIM905  (one line per region row reads better than 34 quoted items)
    "北京 天津 河北 山西 内蒙古 辽宁 吉林 黑龙江 上海 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 广西 海南 "
    "重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆 香港 澳门 台湾"
).split()
NOON = dt.time(12, 0)
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9\u4e00-\u9fff]([a-z0-9\u4e00-\u9fff-]{0,61}[a-z0-9\u4e00-\u9fff])?\.)+[a-z\u4e00-\u9fff]{2,63}$"
)


class MoneyField(forms.DecimalField):
    """Yuan, typed as people type it: "100", "99.5", "¥1,299.00", "100元" all work."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {}  # no type=number step/min: they block typing and give browser-language messages

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = re.sub(r"[\s,，¥￥元]|人民币|rmb", "", value, flags=re.I).replace("。", ".")
        return super().to_python(value)


def today_in_china() -> dt.date:
    return timezone.now().astimezone(CHINA_TZ).date()


def china_datetime(day: dt.date, time: dt.time | None) -> dt.datetime:
    return dt.datetime.combine(day, time or NOON, tzinfo=CHINA_TZ)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


def _default_time(day: dt.date) -> dt.time:
    # Recorded today without a time: now, so the order of today's events is kept; an earlier day: midday.
    now = timezone.now().astimezone(CHINA_TZ)
    return now.time().replace(second=0, microsecond=0) if day == now.date() else NOON


def _not_future(day: dt.date | None, what: str) -> None:
    if day and day > today_in_china():
        raise forms.ValidationError(_("%(what)s不能晚于今天") % {"what": what})
    if day and day < EARLIEST:
        raise forms.ValidationError(_("日期太早了，请检查年份"))


def _within_range(day: dt.date | None) -> dt.date | None:
    if day and not EARLIEST <= day <= latest_date():
        raise forms.ValidationError(date_range_message())
    return day


# case-file contact field -> form field, for the case file's own rules (issue 12: one validation for every way in)
_CONTACT_FIELDS = {
    "at": "at_date",
    "promise": "promise",
    "promise_by": "promise_by",
    "answer": "answer",
    "reference": "reference",
    "asked": "asked",
    "channel": "channel",
    "response": "response",
}


def check_contact(form: forms.Form, contact: dict[str, Any]) -> None:
    """Adds the case file's Chinese messages (bounded promises, lengths, NUL) to the form's own fields."""
    try:
        parse_contact(contact)
    except CaseFileError as exc:
        for path, message in exc.problems:
            field = _CONTACT_FIELDS.get(path.split("（")[0].split(".")[0])
            form.add_error(field if field in form.fields and field not in form.errors else None, message)


# --- screen 1: the story ----------------------------------------------------------------------------------------


class StoryForm(forms.Form):
    story = forms.CharField(
        label=_("用自己的话说说经过"),
        help_text=_("写清楚：哪天、在哪个平台、买了什么、花了多少钱、出了什么问题、客服怎么说。"),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(
            attrs={
                "rows": 7,
                "placeholder": _(
                    "例如：11月20日在某某卡盟买了100元游戏点卡，卡密激活时显示已被使用，客服说概不退换……"
                ),
            }
        ),
        error_messages={
            "required": _("请写下发生了什么，哪怕只有一两句"),
            "min_length": _("再多写几句（至少10个字）：哪天、哪个平台、买了什么、出了什么问题"),
            "max_length": _("太长了（最多5000字），先写最关键的经过"),
        },
    )


# --- screen 2: the problem type ---------------------------------------------------------------------------------


def type_choices() -> list[tuple[str, str]]:
    return [(tid, t.label) for tid, t in TYPES.items()] + [(OTHER, OTHER_LABEL)]


def type_descriptions() -> dict[str, str]:
    other = load("taxonomy")["other"]["description"]
    return {**{tid: t.description for tid, t in TYPES.items()}, OTHER: other}


class TypeForm(forms.Form):
    problem_type = forms.ChoiceField(
        label=_("问题属于哪一类？"),
        choices=type_choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选一类；拿不准就选「其他/无法判断」"),
            "invalid_choice": _("请从列表里选一类"),
        },
    )


# --- screen 3: platform and order -------------------------------------------------------------------------------


class DetailsForm(forms.Form):
    platform_name = forms.CharField(
        label=_("平台名称"),
        required=False,
        max_length=200,
        help_text=_("网站或店铺上写的名字，例如 某某卡盟"),
    )
    platform_domain = forms.CharField(
        label=_("网址"),
        required=False,
        max_length=253,
        help_text=_("浏览器地址栏里的网址，例如 example.com"),
        widget=forms.TextInput(attrs={"inputmode": "url", "autocapitalize": "none", "spellcheck": "false"}),
    )
    platform_reachable = forms.ChoiceField(
        label=_("平台现在还能打开、联系得上吗？"),
        choices=[("yes", _("能")), ("no", _("不能（网站打不开、客服失联或拉黑）"))],
        widget=forms.RadioSelect,
        initial="yes",
        error_messages={"required": _("请选“能”或“不能”")},
    )
    platform_merchant_name = forms.CharField(
        label=_("收款方全称（可选）"),
        required=False,
        max_length=200,
        help_text=_(
            "打开支付宝或微信的账单详情，照抄“收款方全称”或“商户全称”；12315 和支付投诉都靠它找到经营者"
        ),
    )
    item = forms.CharField(
        label=_("买的是什么"),
        required=False,
        max_length=200,
        help_text=_("例如 100元游戏点卡、月卡会员"),
    )
    order_no = forms.CharField(
        label=_("订单号"),
        required=False,
        max_length=128,
        help_text=_("在“我的订单”里找；没有可以留空"),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    amount = MoneyField(
        label=_("付了多少钱（元）"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={
            "required": _("请填写付款金额，例如 100"),
            "invalid": _("请填数字，例如 100 或 99.5"),
            "min_value": _("金额要大于0"),
            "max_decimal_places": _("最多两位小数（到“分”）"),
            "max_digits": _("金额太大了，请检查"),
            "max_whole_digits": _("金额太大了，请检查"),
        },
    )
    paid_date = forms.DateField(
        label=_("付款日期"),
        widget=DateInput(),
        error_messages={"required": _("请选择付款日期"), "invalid": _("日期格式不对，例如 2026-11-20")},
    )
    paid_time = forms.TimeField(
        label=_("付款时间（可选）"),
        required=False,
        widget=TimeInput(),
        help_text=_("支付记录上有精确时间；不填就只记日期"),
        error_messages={"invalid": _("时间格式不对，例如 10:00")},
    )
    payment_method = forms.ChoiceField(
        label=_("怎么付的款"),
        choices=PAYMENT_METHODS,
        widget=forms.RadioSelect,
        initial="alipay",
        error_messages={"required": _("请选择付款方式")},
    )
    province = forms.ChoiceField(
        label=_("你在哪个省份（可选）"),
        required=False,
        choices=[("", _("— 不填 —"))] + [(p, p) for p in PROVINCES],
        help_text=_("用来判断当地的小额诉讼标准和12315管辖"),
    )

    def clean_platform_domain(self) -> str:
        raw = self.cleaned_data["platform_domain"].strip().lower()
        domain = re.sub(r"^[a-z]+://", "", raw).split("/")[0].split("?")[0].split(":")[0].removeprefix("www.")
        if domain and not _DOMAIN.match(domain):
            raise forms.ValidationError(_("看起来不像网址，例如 example.com；不知道可以留空"))
        return domain

    def clean_paid_date(self) -> dt.date:
        day = self.cleaned_data["paid_date"]
        _not_future(day, _("付款日期"))
        if day < dt.date(2000, 1, 1):
            raise forms.ValidationError(_("日期太早了，请检查年份"))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            not data.get("platform_name")
            and not data.get("platform_domain")
            and "platform_domain" not in self.errors
        ):
            self.add_error("platform_name", _("请至少填写平台名称或网址中的一项"))
        return data


# --- screen 4: contacts so far ----------------------------------------------------------------------------------

CONTACT_RESPONSES = [
    ("refused", _("拒绝处理")),
    ("promised", _("答应处理（给了说法或期限）")),
    ("no_reply", _("不回复")),
    ("pending", _("刚联系，还在等答复")),
    ("accepted", _("已受理")),
    ("rejected", _("不予受理/驳回")),
    ("failed", _("调解失败/处理失败")),
    ("resolved", _("已解决")),
]


class ContactForm(forms.Form):
    at_date = forms.DateField(
        label=_("哪天联系的"),
        widget=DateInput(),
        error_messages={"required": _("请选择联系的日期"), "invalid": _("日期格式不对，例如 2026-11-20")},
    )
    at_time = forms.TimeField(
        label=_("几点（可选）"),
        required=False,
        widget=TimeInput(),
        error_messages={"invalid": _("时间格式不对，例如 10:30")},
    )
    channel = forms.ChoiceField(
        label=_("找的谁"),
        choices=CHANNELS,
        initial="platform_cs",
        error_messages={"required": _("请选择联系的渠道")},
    )
    asked = forms.CharField(
        label=_("你提的要求（可选）"), required=False, max_length=300, help_text=_("例如 补发有效卡密或退款")
    )
    response = forms.ChoiceField(
        label=_("对方怎么回应"),
        choices=CONTACT_RESPONSES,
        initial="refused",
        error_messages={"required": _("请选择对方的回应")},
    )
    promise = forms.CharField(
        label=_("对方承诺的原话（如有）"),
        required=False,
        max_length=200,
        help_text=_("例如 3个工作日内处理、24小时内补发"),
    )
    promise_by = forms.DateField(
        label=_("承诺的期限（如有）"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("日期格式不对，例如 2026-11-23")},
    )
    answer = forms.CharField(
        label=_("对方的答复（可选）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("尽量照抄，例如 卡密发出后概不退换"),
    )
    reference = forms.CharField(label=_("受理编号（如有）"), required=False, max_length=128)

    def clean_at_date(self) -> dt.date:
        day = self.cleaned_data["at_date"]
        _not_future(day, _("联系日期"))
        return day

    def clean_promise_by(self) -> dt.date | None:
        return _within_range(self.cleaned_data.get("promise_by"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("response") == "promised" and not (data.get("promise") or data.get("promise_by")):
            self.add_error("promise", _("对方答应了什么？写下原话或选一个期限"))
        if data.get("promise_by") and data.get("at_date") and data["promise_by"] < data["at_date"]:
            self.add_error("promise_by", _("承诺的期限不能早于联系的日期"))
        if not self.errors:
            check_contact(self, self.to_case_file())
        return data

    def to_case_file(self) -> dict[str, Any]:
        d = self.cleaned_data
        row = {
            # a day without a time stays a day (at_time_known False), never an invented 12:00
            "at": china_datetime(d["at_date"], d["at_time"]).isoformat()
            if d.get("at_time")
            else d["at_date"].isoformat(),
            "channel": d["channel"],
            "asked": d.get("asked") or None,
            "promise": d.get("promise") or None,
            # a promised date ends at the end of that day (Beijing time)
            "promise_by": china_datetime(d["promise_by"], dt.time(23, 59)).isoformat()
            if d.get("promise_by")
            else None,
            "response": d["response"],
            "answer": d.get("answer") or None,
            "reference": d.get("reference") or None,
        }
        return {k: v for k, v in row.items() if v is not None}


ContactFormSet = formset_factory(ContactForm, extra=0, can_delete=True, max_num=20, absolute_max=20)


# --- screen 5: evidence held ------------------------------------------------------------------------------------


def evidence_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Evidence kinds grouped as the seed groups them: 交易凭证, 沟通记录, 问题证明 (then the rest)."""
    data = load("evidence")
    return [
        (label, [(kid, k["label"]) for kid, k in data["kinds"].items() if k["group"] == gid])
        for gid, label in data["groups"].items()
    ]


class EvidenceForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=_("你手上有哪些材料？"),
        required=False,
        choices=evidence_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("有就勾上，哪怕还没整理好。案件保存后可以在案件页上传文件。"),
        error_messages={"invalid_choice": _("请从列表里勾选")},
    )


# --- the case page: record what happened ------------------------------------------------------------------------

# event -> the contact response it records; None: closing only
EVENTS: dict[str, tuple[Any, str | None]] = {
    "contacted": (_("已联系/已提交投诉，等答复"), "pending"),
    "promised": (_("对方答应处理"), "promised"),
    "refused": (_("对方拒绝"), "refused"),
    "no_reply": (_("对方一直不回复"), "no_reply"),
    "accepted": (_("投诉已受理"), "accepted"),
    "rejected": (_("不予受理/被驳回"), "rejected"),
    "failed": (_("调解失败"), "failed"),
    "refunded": (_("钱退回来了/问题解决了（结案）"), "resolved"),
    "closed": (_("结案，不再继续"), None),
}


class RecordForm(forms.Form):
    event = forms.ChoiceField(
        label=_("发生了什么？"),
        choices=[(k, v[0]) for k, v in EVENTS.items()],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选一项")},
    )
    channel = forms.ChoiceField(
        label=_("哪个渠道"), choices=CHANNELS, error_messages={"required": _("请选择渠道")}
    )
    at_date = forms.DateField(
        label=_("日期"),
        widget=DateInput(),
        initial=today_in_china,
        error_messages={"required": _("请选择日期"), "invalid": _("日期格式不对")},
    )
    at_time = forms.TimeField(
        label=_("时间（可选）"),
        required=False,
        widget=TimeInput(),
        error_messages={"invalid": _("时间格式不对，例如 10:30")},
    )
    reference = forms.CharField(
        label=_("投诉编号/受理编号"),
        required=False,
        max_length=128,
        help_text=_("提交12315、黑猫后给的编号，一定记下"),
    )
    promise = forms.CharField(
        label=_("对方承诺的原话"), required=False, max_length=200, help_text=_("例如 3个工作日内处理")
    )
    promise_by = forms.DateField(
        label=_("承诺的期限"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("日期格式不对")},
    )
    answer = forms.CharField(
        label=_("对方的答复（可选）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    recovered_amount = MoneyField(
        label=_("追回了多少钱（元）"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        error_messages={"invalid": _("请填数字，例如 100"), "min_value": _("不能是负数")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The case amount is only a suggestion: the page script does not treat it as something typed.
        self.fields["recovered_amount"].widget.attrs["data-prefilled"] = ""

    def clean_at_date(self) -> dt.date:
        day = self.cleaned_data["at_date"]
        _not_future(day, _("日期"))
        return day

    def clean_promise_by(self) -> dt.date | None:
        return _within_range(self.cleaned_data.get("promise_by"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        event = data.get("event")
        if event == "promised" and not (data.get("promise") or data.get("promise_by")):
            self.add_error("promise", _("对方答应了什么？写下原话或选一个期限"))
        if event == "refunded" and data.get("recovered_amount") is None:
            self.add_error("recovered_amount", _("请填写追回的金额（没追回填0）"))
        contact = self._contact()
        if not self.errors and contact is not None:
            check_contact(
                self, {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in contact.items()}
            )
        return data

    def _contact(self) -> dict[str, Any] | None:
        d = self.cleaned_data
        response = EVENTS[d["event"]][1] if d.get("event") in EVENTS else None
        if response is None or "at_date" not in d:
            return None
        promise_by = china_datetime(d["promise_by"], dt.time(23, 59)) if d.get("promise_by") else None
        return {
            "at": china_datetime(d["at_date"], d.get("at_time") or _default_time(d["at_date"])),
            "at_time_known": d.get("at_time") is not None,
            "channel": d.get("channel"),
            "response": response,
            "promise": d.get("promise") or None,
            "promise_by": promise_by,
            "answer": d.get("answer") or None,
            "reference": d.get("reference") or None,
        }

    def apply(self, case: Case, actor: Any) -> None:
        """Records the event with the one model method for it: a contact, a close, or both — in one transaction,
        so an event that fails half-way stores nothing."""
        d = self.cleaned_data
        contact = self._contact()
        with transaction.atomic():
            if contact is not None:
                case.add_contact(actor, **contact)
            if d["event"] in ("refunded", "closed"):
                case.close(actor, outcome_channel=d["channel"], recovered_amount=d.get("recovered_amount"))
