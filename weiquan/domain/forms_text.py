"""The complaint texts as the receiving forms ask for them: one value per box of the 12315, 黑猫, 支付宝/微信支付 form,
and the written demand to customer service, each to be copied on its own.

``form_fields(facts, kind, plan)`` reads the case facts and the plan. The sentences shared with the documents (the
purchase, the problem, the contact history, the demands) come from the documents' own phrase macros
(``templates/documents/_macros.txt.j2``) rendered with ``documents``' context, so the page and the downloaded file
say the same thing; nothing here parses a rendered document. A box whose fact is missing has an empty value, a
``missing_hint`` naming what to fill in and the case field that completes it (``ask``): the page asks for it inline.
Tips (where to click, what to choose) stay outside the copied value.

Everything of the 黑猫 form is public, so each of its values goes through ``masking.mask`` knowing the case's
personal values. Pure Python; no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from weiquan.domain import documents
from weiquan.domain.citations import cite
from weiquan.domain.escalation import Plan
from weiquan.domain.evidence import kind_label
from weiquan.domain.facts import CHINA_TZ, CaseFacts
from weiquan.domain.masking import mask, personal_values
from weiquan.domain.taxonomy import OTHER_LABEL, TYPES

__all__ = ["FORM_KINDS", "FormField", "FormText", "form_fields", "form_text", "missing_asks"]

# The kinds a consumer types into a form (the others are documents to print or hand in).
FORM_KINDS: dict[str, str] = {
    "12315": "12315 投诉",
    "heimao": "黑猫投诉",
    "alipay": "支付宝交易投诉",
    "wechat_pay": "微信支付交易投诉",
    "platform_cs": "致客服的书面诉求",
}

# The case facts a form may need that the page can ask for: what the question says, and the hint beside it.
ASKS: dict[str, tuple[str, str]] = {
    "platform_company": (
        "经营者全称",
        "付款账单详情里的“收款方全称”或“商户全称”通常就是它，例如 某某网络科技有限公司",
    ),
    "platform_merchant_name": ("收款方全称", "支付宝/微信账单详情里的“商户全称”或“收款方全称”，照抄"),
    "platform_address": (
        "经营者地址",
        "网站首页底部的营业执照信息，或在国家企业信用信息公示系统（www.gsxt.gov.cn）查到的住所",
    ),
    "platform_credit_code": (
        "统一社会信用代码",
        "18位，营业执照上有；可在国家企业信用信息公示系统按公司全称查",
    ),
    "item": ("买的是什么", "例如 100元游戏点卡"),
    "order_no": ("订单号", "在平台“我的订单”里找"),
    "consumer_name": ("你的姓名", "书面诉求要署名；只用在你自己的文书里，不会公开"),
    "consumer_phone": ("你的手机号", "方便对方联系你；只用在你自己的文书里，不会公开"),
}

_EMPTY_LINE = re.compile(r"[^：\n]{1,8}：【(?:请填写|待补充)(?:：[^】]*)?】")
_PLACEHOLDER = re.compile(r"【(?:请填写|待补充)(?:：[^】]*)?】")


@dataclass(frozen=True, slots=True)
class FormField:
    label: str  # the form's own name for the box
    value: str  # exactly what goes into the box; "" when the fact is missing
    missing_hint: str = ""  # what is missing (shown outside the copied value)
    tip: str = ""  # how to fill the box (shown outside the copied value)
    ask: str = ""  # the case field that completes a missing value (ASKS)
    multiline: bool = False


@dataclass(frozen=True, slots=True)
class FormText:
    kind: str
    title: str
    where: str  # where the form is and how to open it
    fields: tuple[FormField, ...]
    public: bool  # the text is published (黑猫): masked

    @property
    def asks(self) -> list[str]:
        return missing_asks(self.fields)


def missing_asks(fields: tuple[FormField, ...] | list[FormField]) -> list[str]:
    out: list[str] = []
    for f in fields:
        if f.ask and (not f.value or _PLACEHOLDER.search(f.value)) and f.ask not in out:
            out.append(f.ask)
    return out


# --- the documents' phrases -------------------------------------------------------------------------------------


class _Phrases:
    """The documents' macros (purchase, problem_phrase, history, demand_text …) as plain strings."""

    def __init__(self, kind: str, facts: CaseFacts, plan: Plan) -> None:
        self.context = documents._context(
            kind, facts, plan.problem_type, plan.today, plan.cs_reply_by.date, None
        )
        self._module = documents._ENV.get_template("_macros.txt.j2").make_module(self.context)

        # A day given without a time is written as a day (issue 7), whatever the shared phrases do with it.
        facts_days = [(facts.paid_at, facts.paid_at_time_known)] + [
            (c.at, c.at_time_known) for c in facts.contacts
        ]
        self._days = {documents._cn_datetime(at): _day(at) for at, known in facts_days if not known}

    def __call__(self, name: str, *args: Any) -> str:
        if name == "cite_26":
            return cite("consumer_law_26").short
        text = documents._clean(str(getattr(self._module, name)(*args)))
        for timed, day in self._days.items():
            text = text.replace(timed, day)
        return text


def _when(facts: CaseFacts) -> str:
    v = facts.paid_at.astimezone(CHINA_TZ)
    day = f"{v.year}年{v.month}月{v.day}日"
    return f"{day}{v.hour}时{v.minute:02d}分" if facts.paid_at_time_known else day


def _day(value: date | datetime) -> str:
    v = value.astimezone(CHINA_TZ) if isinstance(value, datetime) else value
    return f"{v.year}年{v.month}月{v.day}日"


def _money(facts: CaseFacts) -> str:
    return documents._yuan(facts.amount)


def _field(label: str, value: str | None, ask: str = "", tip: str = "", multiline: bool = False) -> FormField:
    value = (value or "").strip()
    hint = ""
    if not value and ask:
        hint = f"【请填写：{ASKS[ask][0]}】"
    elif _PLACEHOLDER.search(value):
        hint = "先在下面补上：" + "、".join(
            dict.fromkeys(
                m.group(0).strip("【】").removeprefix("请填写：").removeprefix("待补充：")
                for m in _PLACEHOLDER.finditer(value)
            )
        )
    return FormField(label, value, hint, tip, ask, multiline)


def _evidence_line(facts: CaseFacts) -> str:
    return "、".join(dict.fromkeys(kind_label(e.kind) for e in facts.evidence))


def _problem_label(plan: Plan) -> str:
    t = TYPES.get(plan.problem_type)
    return t.label if t else OTHER_LABEL


def _story(p: _Phrases, who: str, seller: str, place: str | None = None) -> str:
    parts = [p("purchase", who, place), p("problem_phrase", seller, who)]
    text = "。".join(x for x in parts if x) + "。" + p("history", who)
    return text


def _operator_name(facts: CaseFacts) -> tuple[str | None, str]:
    """The respondent's name and the case field that holds it: the shop's operator when a shop sold it."""
    pf = facts.platform
    if pf.sold_by == "shop" and pf.shop and pf.shop.company:
        return pf.shop.company, "platform_company"
    return pf.company or pf.merchant_name, "platform_company"


# --- the forms --------------------------------------------------------------------------------------------------


def _12315(facts: CaseFacts, plan: Plan) -> list[FormField]:
    p = _Phrases("12315", facts, plan)
    pf = facts.platform
    name, name_field = _operator_name(facts)
    facts_text = _story(p, "本人", "被投诉方")
    if facts.evidence:
        facts_text += "附" + p("evidence_names") + "。"
    if facts.description:
        facts_text += "\n具体经过：" + facts.description.strip()
    facts_text += "\n依照" + p("basis") + "的规定，被投诉方应当承担"
    facts_text += (
        "停止侵害、采取补救措施和赔偿损失" if plan.problem_type == "data_leak" else "退货、更换或退还货款"
    )
    facts_text += "等责任。"
    if term := p("standard_term_answer"):
        facts_text += (
            f"其“{term}”的说法属于排除消费者权利、免除自身责任的格式条款，依照{p('cite_26')}，其内容无效。"
        )
    facts_text += p("records_duty") + "请市场监督管理部门依法处理。"
    return [
        _field(
            "被投诉方名称",
            name,
            ask=name_field,
            tip="以营业执照上的全称为准。" if name else p("operator_hint"),
        ),
        _field(
            "被投诉方地址",
            pf.address,
            ask="platform_address",
            tip="营业执照上的住所；按公司全称在国家企业信用信息公示系统（www.gsxt.gov.cn）能查到。",
        ),
        _field(
            "统一社会信用代码",
            pf.credit_code,
            ask="platform_credit_code",
            tip="18位；查到公司全称后，在国家企业信用信息公示系统里能看到。",
        ),
        _field("网站/店铺名称", pf.name or pf.domain, tip="填在“网店名称”或“网址”一栏"),
        _field("网址", pf.domain),
        _field("购买时间", _when(facts), tip="以支付记录上的时间为准"),
        _field("金额（元）", _money(facts)),
        _field("订单号", facts.order_no, ask="order_no"),
        _field("商品名称", facts.item, ask="item"),
        _field(
            "投诉问题", _problem_label(plan), tip="在表单的问题分类里选最接近的一项，这里的文字可以写进标题"
        ),
        _field("诉求", "请求督促被投诉方" + p("demand_text") + "。", multiline=True),
        _field("事实与理由", facts_text, ask="item" if not facts.item else "", multiline=True),
        _field(
            "证据",
            _evidence_line(facts),
            tip="12315 要求上传图片：把这些截图逐张上传；姓名、卡密等不必遮挡（不公开）。",
        ),
    ]


_HEIMAO_ISSUE = {
    "invalid_code": "卡密无效",
    "delayed_delivery": "付款后不发货",
    "fake_stock": "虚假库存不发货",
    "service_shrink": "服务缩水",
    "fraud_runaway": "收款后失联",
    "data_leak": "泄露用户个人信息",
}


def _heimao(facts: CaseFacts, plan: Plan) -> list[FormField]:
    p = _Phrases("heimao", facts, plan)
    known = personal_values(facts)
    cs = facts.contacts_with("platform_cs")
    last = cs[-1].response if cs else None
    suffix = {"refused": "拒不退款", "no_reply": "客服不回复", "promised": "承诺后不兑现"}.get(
        last or "", "要求退款"
    )
    issue = _HEIMAO_ISSUE.get(plan.problem_type, "交易纠纷")
    phrase = issue + ("" if plan.problem_type == "data_leak" else suffix)
    place = facts.platform.name or facts.platform.domain or ""
    title = documents._clip(place, 30 - len(phrase)) + phrase
    problem = _problem_label(plan)
    if last == "refused":
        problem += "、拒绝退款"
    elif last in ("no_reply", "promised"):
        problem += "、售后推诿"
    who = p("platform_name")
    order = f"（订单号尾号{facts.order_no[-4:]}）" if facts.order_no else ""
    text = (
        f"{_day(facts.paid_at)}在{who}购买{p('item')}，支付{_money(facts)}元{order}。"
        f"{p('problem_phrase', '平台', '我')}。{p('history', '我')}"
    )
    if facts.description:
        text += "\n补充说明：" + facts.description.strip()
    text += f"\n请{who}尽快{p('demand_text')}。"

    def public(v: str) -> str:
        return mask(v, known=known)

    return [
        _field("标题", public(title), tip="30字以内"),
        _field("投诉对象", public(who), tip="在搜索框输入平台名称，选中对应的商家；搜不到就直接填写"),
        _field("投诉问题", public(problem)),
        _field("投诉要求", public(p("demand_text"))),
        _field("涉诉金额（元）", _money(facts)),
        _field(
            "描述",
            public(text),
            multiline=True,
            tip="黑猫投诉公开展示：这里已去掉姓名、电话、卡密等个人信息，订单号只留尾号。上传截图前请遮挡这些信息。",
        ),
    ]


def _payment(kind: str, facts: CaseFacts, plan: Plan) -> list[FormField]:
    p = _Phrases(kind, facts, plan)
    provider = "支付宝" if kind == "alipay" else "微信支付"
    suspected = facts.fraud_shown is True or plan.problem_type == "fraud_runaway"
    text = _story(p, "本人", "平台")
    if suspected:
        police = any(c.channel == "police" for c in facts.contacts)
        text += (
            f"\n该商户收款后不履行，涉嫌欺诈。请求：（1）对该商户采取冻结结算资金、限制收款等措施；"
            f"（2）协助追回本人被骗款项{_money(facts)}元；（3）{'本人已向公安机关报案' if police else '本人将向公安机关报案'}，"
            "请保存该商户的主体信息和资金流水，配合公安机关调取。"
        )
    else:
        text += (
            f"\n请求{provider}督促该商户{p('demand_text')}；商户拒不处理的，请协助退还货款{_money(facts)}元。"
        )
    return [
        _field(
            "投诉原因",
            "涉嫌欺诈" if suspected else "商品/服务问题",
            tip="在投诉页的原因列表里选这一项（以App内的选项为准）",
        ),
        _field(
            "投诉商户",
            facts.platform.merchant_name,
            ask="platform_merchant_name",
            tip=ASKS["platform_merchant_name"][1],
        ),
        _field("交易时间", _when(facts)),
        _field("交易金额（元）", _money(facts)),
        _field("平台订单号", facts.order_no, ask="order_no"),
        _field("投诉说明", text, multiline=True),
        _field("可上传的证据", _evidence_line(facts), tip="订单截图、聊天记录、问题截图，逐张上传"),
    ]


def _plain(doc: documents.Document) -> str:
    """A document's text without its notes to the consumer: what is sent as one message."""
    lines: list[str] = []
    for b in doc.blocks:
        if isinstance(b, documents.Note):
            continue
        if isinstance(b, (documents.Heading, documents.Paragraph)):
            lines.append(b.text)
        elif isinstance(b, documents.Field):
            lines.append(f"{b.label}：{b.value}")
        elif isinstance(b, documents.ItemList):
            lines += [f"{i}. {t}" if b.numbered else f"- {t}" for i, t in enumerate(b.items, 1)]
        elif isinstance(b, documents.Signature):
            lines += list(b.lines)
    return "\n".join(lines)


def _platform_cs(facts: CaseFacts, plan: Plan) -> list[FormField]:
    doc = documents.build_document(
        "platform_cs", facts, problem_type=plan.problem_type, today=plan.today, reply_by=plan.cs_reply_by.date
    )
    c = facts.consumer
    return [
        _field("署名", c.name, ask="consumer_name", tip="全文末尾的署名"),
        _field("联系电话", c.phone, ask="consumer_phone"),
        _field(
            "发给客服的全文",
            # a signature line still to be filled is left out of the message (asked above), never pasted as a slot
            "\n".join(line for line in _plain(doc).split("\n") if not _EMPTY_LINE.fullmatch(line)),
            multiline=True,
            tip="粘贴到在线客服、投诉邮箱或站内信里发送，发完截图保存发送记录和对方的回复。",
        ),
        _field("答复期限", _day(plan.cs_reply_by.date), tip="过了这天还没有书面答复，就可以去12315投诉"),
    ]


_WHERE = {
    "12315": "打开全国12315平台（www.12315.cn）或微信里的“全国12315”小程序，点“我要投诉”，按下面各栏逐项填写。",
    "heimao": "打开黑猫投诉（tousu.sina.com.cn）或新浪微博里的黑猫投诉，点“发起投诉”，按下面各栏填写。",
    "alipay": "在支付宝“我的—账单”里打开这笔付款的详情页，点“投诉”（入口名称以App为准），按下面各栏填写。",
    "wechat_pay": "在微信“我—服务—钱包—账单”里打开这笔付款，点“对订单有疑惑”或“投诉”（以App为准），按下面各栏填写。",
    "platform_cs": "把下面的全文发给平台客服（在线客服、投诉邮箱或站内信都可以），口头答复不算数。",
}


def form_fields(facts: CaseFacts, kind: str, plan: Plan) -> list[FormField]:
    """The boxes of ``kind``'s form, in the form's order, filled from the facts (see the module docstring)."""
    if kind == "12315":
        return _12315(facts, plan)
    if kind == "heimao":
        return _heimao(facts, plan)
    if kind in ("alipay", "wechat_pay"):
        return _payment(kind, facts, plan)
    if kind == "platform_cs":
        return _platform_cs(facts, plan)
    raise KeyError(f"没有逐项填写的表单：{kind}（可选：{'、'.join(FORM_KINDS)}）")


def form_text(facts: CaseFacts, kind: str, plan: Plan) -> FormText:
    fields = tuple(form_fields(facts, kind, plan))
    return FormText(kind, FORM_KINDS[kind], _WHERE[kind], fields, public=kind == "heimao")
