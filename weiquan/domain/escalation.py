"""The escalation engine: case facts + today → the ladder of steps, the single next action and the warnings.

The seed's method (先内后外、逐级升级; 渠道适配) with the law on top of it (DOMAIN.md product decisions):
customer service first unless the platform defrauded or vanished; a missed promise or a refusal moves to 12315
(with 黑猫 at once for quality problems); fraud goes to the police and the payment channel at once; a data leak to
12377/12345; court only when the amount and the evidence justify it and the operator is known and reachable.

Nothing here reads a clock or a database: every deadline is derived from the facts and the calendar on each call,
so a corrected holiday table or a new event changes the plan the next time it is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from weiquan.domain import calculators
from weiquan.domain.channels import get_channel
from weiquan.domain.citations import Citation, cite
from weiquan.domain.classify import Classification, classify
from weiquan.domain.datafiles import load
from weiquan.domain.evidence import EvidenceReport, analyse
from weiquan.domain.facts import CaseFacts, Contact
from weiquan.domain.taxonomy import OTHER, OTHER_LABEL, TYPES, demand_label
from weiquan.domain.workdays import Deadline, WorkCalendar, default_calendar, fixed_deadline, parse_promise

Status = Literal["done", "now", "waiting", "next", "not_applicable"]
STATUS_LABELS: dict[str, str] = {
    "done": "已完成",
    "now": "现在就做",
    "waiting": "等待答复",
    "next": "后续步骤",
    "not_applicable": "不适用",
}
DISCLAIMER = "本计划由 weiquan 根据你提供的事实自动生成，仅供参考，不构成法律意见；提交前请自行核对事实和法律依据。"

FAILED = {"refused", "no_reply", "rejected", "failed"}
OPERATOR_TASK = "identify_operator"


# --- results --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Step:
    channel: str
    name: str
    status: Status
    reason: str
    action: str
    deadline: Deadline | None = None
    deadline_label: str | None = None
    documents: tuple[str, ...] = ()
    basis: tuple[Citation, ...] = ()
    warnings: list[str] = field(default_factory=list)

    def to_dict(self, cal: WorkCalendar, today: dt.date) -> dict[str, Any]:
        d = self.deadline
        return {
            "channel": self.channel,
            "name": self.name,
            "status": self.status,
            "status_label": STATUS_LABELS[self.status],
            "deadline": d.date.isoformat() if d else None,
            "deadline_at": d.at.isoformat() if d and d.at else None,
            "deadline_label": self.deadline_label,
            "deadline_detail": d.to_dict() if d else None,
            "workdays_left": cal.workdays_left(today, d.date) if d else None,
            "reason": self.reason,
            "action": self.action,
            "documents": list(self.documents),
            "basis": [c.to_dict() for c in self.basis],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class Warning:
    code: str
    message: str
    basis: tuple[Citation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "basis": [c.to_dict() for c in self.basis]}


@dataclass(frozen=True, slots=True)
class TrackedDeadline:
    id: str
    label: str
    deadline: Deadline
    channel: str | None = None

    def to_dict(self, cal: WorkCalendar, today: dt.date) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "channel": self.channel,
            "date": self.deadline.date.isoformat(),
            "at": self.deadline.at.isoformat() if self.deadline.at else None,
            "workdays_left": cal.workdays_left(today, self.deadline.date),
            "explain": self.deadline.explain(),
            "provisional": self.deadline.provisional,
            "detail": self.deadline.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class RuleVersion:
    id: str
    name: str
    effective_from: dt.date
    effective_to: dt.date | None
    applies_to: dt.date
    source: str
    raw: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "applies_to": self.applies_to.isoformat(),
            "source": self.source,
        }


@dataclass(slots=True)
class Plan:
    facts: CaseFacts
    today: dt.date
    calendar: WorkCalendar
    problem_type: str
    classification: Classification | None
    cs_runaround: bool
    rule: RuleVersion
    steps: list[Step]
    next_step: Step | None
    next_reason: str
    evidence: EvidenceReport
    warnings: list[Warning]
    deadlines: list[TrackedDeadline]
    calculations: dict[str, Any]
    cs_reply_by: Deadline

    @property
    def category(self) -> str | None:
        return TYPES[self.problem_type].category.id if self.problem_type in TYPES else None

    def step(self, channel: str) -> Step | None:
        return next((s for s in self.steps if s.channel == channel), None)

    @property
    def document_kinds(self) -> list[str]:
        """Documents worth preparing: those of every step still ahead or under way, plus the evidence list."""
        kinds: dict[str, None] = {}
        for s in self.steps:
            if s.status in ("now", "waiting", "next"):
                kinds.update(dict.fromkeys(s.documents))
        kinds["evidence_list"] = None
        return list(kinds)

    def to_dict(self) -> dict[str, Any]:
        cal, today = self.calendar, self.today
        ptype = TYPES.get(self.problem_type)
        c = self.classification
        problem: dict[str, Any] = {
            "type": self.problem_type,
            "label": ptype.label if ptype else OTHER_LABEL,
            "category": ptype.category.id if ptype else None,
            "category_label": ptype.category.label if ptype else None,
            "source": "given" if self.facts.problem_type else "classified",
            "signals": c.candidates[0].signals if c and c.candidates else [],
            "cs_runaround": self.cs_runaround,
            "must_prove": list(ptype.must_prove) if ptype else [],
            "basis": [b.to_dict() for b in ptype.basis] if ptype else [],
            "demands": [demand_label(d) for d in _demands(self.facts, self.problem_type)],
            "note": ptype.note if ptype else None,
        }
        if c is not None:
            problem["classification"] = c.to_dict()
        nxt = self.next_step
        return {
            "today": today.isoformat(),
            "problem": problem,
            "rule_version": self.rule.to_dict(),
            "next_action": {
                "channel": nxt.channel if nxt else None,
                "name": nxt.name if nxt else None,
                "action": nxt.action if nxt else "案件已解决：核对款项到账并保存凭证。",
                "reason": self.next_reason,
                "deadline": nxt.deadline.date.isoformat() if nxt and nxt.deadline else None,
                "documents": list(nxt.documents) if nxt else [],
            },
            "steps": [s.to_dict(cal, today) for s in self.steps],
            "evidence": self.evidence.to_dict(),
            "deadlines": [d.to_dict(cal, today) for d in self.deadlines],
            "warnings": [w.to_dict() for w in self.warnings],
            "calculations": self.calculations,
            "documents": self.document_kinds,
            "disclaimer": DISCLAIMER,
        }


# --- rule data ---------------------------------------------------------------------------------------------------


def _defaults(name: str) -> int:
    return int(load("rules")["product_defaults"][name]["value"])


def _default_note(name: str) -> str:
    return str(load("rules")["product_defaults"][name]["note"])


def complaint_rule(on: dt.date) -> RuleVersion:
    """The 12315 complaint-handling rule in force on ``on`` (Order 20 until 2026-04-14, Order 121 after)."""
    for r in load("rules")["complaint_rules"]:
        start, end = r["effective_from"], r["effective_to"]
        if start <= on and (end is None or on <= end):
            return RuleVersion(r["id"], r["name"], start, end, on, r["source"], r)
    first = load("rules")["complaint_rules"][0]
    return RuleVersion(first["id"], first["name"], first["effective_from"], first["effective_to"], on, first["source"], first)


def _rule_deadline(cal: WorkCalendar, spec: dict[str, Any], start: dt.date) -> Deadline:
    n, unit = int(spec["n"]), spec["unit"]
    return cal.add_workdays(start, n) if unit == "workdays" else cal.add_days(start, n)


def _demands(facts: CaseFacts, problem_type: str) -> list[str]:
    if facts.demands:
        return list(facts.demands)
    return list(TYPES[problem_type].demands) if problem_type in TYPES else ["refund"]


# --- per-channel progress ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Progress:
    """Where one channel stands, read from the contacts recorded for it."""

    state: Literal["none", "waiting", "overdue", "failed", "resolved", "filed"]
    reason: str = ""
    deadline: Deadline | None = None
    deadline_label: str | None = None
    first: Contact | None = None
    last: Contact | None = None


def _d(value: dt.datetime) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _promise_deadline(c: Contact, cal: WorkCalendar) -> Deadline | None:
    if c.promise_by is not None:
        return fixed_deadline(c.at, c.promise_by.date(), c.promise_by.time(), phrase=c.promise or "承诺的截止时间")
    if c.promise:
        return parse_promise(c.promise, c.at, cal)
    return None


def _cs_progress(contacts: list[Contact], cal: WorkCalendar, today: dt.date) -> Progress:
    if not contacts:
        return Progress("none")
    last = contacts[-1]
    if last.response == "resolved":
        return Progress("resolved", f"{_d(last.at)}平台已解决", first=contacts[0], last=last)
    if last.response in FAILED:
        what = {"refused": "拒绝了你的诉求", "no_reply": "没有答复", "rejected": "拒绝了你的诉求", "failed": "处理失败"}
        answer = f"（答复：{last.answer}）" if last.answer else ""
        return Progress("failed", f"{_d(last.at)}平台客服{what[last.response]}{answer}", first=contacts[0], last=last)
    promised = _promise_deadline(last, cal)
    if promised is not None:
        label = f"客服承诺的处理期限（{last.promise or '承诺时间'}）"
        if today > promised.date:
            return Progress(
                "failed", f"客服承诺{promised.date.isoformat()}前处理，已逾期未兑现", promised, label, contacts[0], last
            )
        return Progress("waiting", f"客服承诺在{promised.date.isoformat()}前处理", promised, label, contacts[0], last)
    wait = cal.add_workdays(last.at.date(), _defaults("cs_reply_wait_workdays"))
    label = "等待客服答复（本工具默认两个工作日，非法定期限）"
    if today > wait.date:
        return Progress("failed", f"{_d(last.at)}联系客服后，超过两个工作日仍无答复", wait, label, contacts[0], last)
    return Progress("waiting", f"{_d(last.at)}已联系客服，等待答复", wait, label, contacts[0], last)


def _12315_progress(contacts: list[Contact], cal: WorkCalendar, today: dt.date) -> Progress:
    if not contacts:
        return Progress("none")
    first, last = contacts[0], contacts[-1]
    if last.response == "resolved":
        return Progress("resolved", f"{_d(last.at)}经12315调解解决", first=first, last=last)
    if last.response in ("rejected", "refused"):
        return Progress("failed", f"{_d(last.at)}市场监管部门不予受理", first=first, last=last)
    if last.response == "failed":
        return Progress("failed", f"{_d(last.at)}调解不成，市场监管部门终止调解", first=first, last=last)
    accepted = next((c for c in contacts if c.response == "accepted"), None)
    if accepted is not None:
        rule = complaint_rule(accepted.at.date())
        spec = rule.raw["mediation"]
        dl = _rule_deadline(cal, spec, accepted.at.date())
        label = f"调解期限（{rule.name}；{spec['note']}）"
        if today > dl.date:
            return Progress("overdue", f"{_d(accepted.at)}已受理，调解期限已过仍无结果", dl, label, first, last)
        return Progress("waiting", f"{_d(accepted.at)}已受理，正在调解", dl, label, first, last)
    rule = complaint_rule(first.at.date())
    spec = rule.raw["acceptance"]
    dl = _rule_deadline(cal, spec, first.at.date())
    label = "12315受理决定期限（七个工作日）"
    if today > dl.date:
        return Progress("overdue", f"{_d(first.at)}提交投诉，七个工作日内未收到受理决定", dl, label, first, last)
    return Progress("waiting", f"{_d(first.at)}已提交投诉，等待受理决定", dl, label, first, last)


def _generic_progress(
    channel: str, contacts: list[Contact], cal: WorkCalendar, today: dt.date
) -> Progress:
    """Channels whose answer has no statutory deadline (or a platform's own): wait, then follow up."""
    if not contacts:
        return Progress("none")
    first, last = contacts[0], contacts[-1]
    name = get_channel(channel).name
    if last.response == "resolved":
        return Progress("resolved", f"{_d(last.at)}通过{name}解决", first=first, last=last)
    if last.response in FAILED:
        return Progress("failed", f"{_d(last.at)}{name}未能解决（{last.answer or last.response}）", first=first, last=last)
    if channel in ("12321", "12377", "12345") and last.response != "promised":
        return Progress("filed", f"{_d(first.at)}已向{name}举报", first=first, last=last)
    if channel == "police" and last.response == "accepted":
        return Progress("filed", f"{_d(last.at)}公安机关已受案/立案", first=first, last=last)
    dl: Deadline | None
    if channel == "wechat_pay":
        # 交易投诉运营规范2.0: the merchant must finish within 3 days of the complaint (a platform rule, not law).
        dl, label = cal.add_days(first.at.date(), 3), "微信支付要求商户处理完毕的期限（3天，据《交易投诉运营规范2.0》转述）"
    elif channel == "alipay":
        dl, label = cal.add_days(first.at.date(), _defaults("alipay_followup_days")), _default_note("alipay_followup_days")
    elif channel == "small_claims":
        accepted = next((c for c in contacts if c.response == "accepted"), None)
        if accepted:
            dl, label = cal.add_months(accepted.at.date(), 2), "小额诉讼审结期限（立案之日起两个月，民事诉讼法第一百六十八条）"
        else:
            dl, label = cal.add_days(first.at.date(), 7), "法院决定是否立案（七日，民事诉讼法第一百二十六条）"
    elif channel == "payment_order":
        served = next((c.served_at for c in reversed(contacts) if c.served_at), None)
        accepted = next((c for c in contacts if c.response == "accepted"), None)
        if served:
            dl, label = cal.add_days(served.date(), 15), "债务人提出书面异议的期限（收到支付令之日起十五日）"
            if today > dl.date:
                return Progress(
                    "overdue", "异议期已过：债务人未异议又未履行的，可申请强制执行", dl, label, first, last
                )
        elif accepted:
            dl, label = cal.add_days(accepted.at.date(), 15), "法院发出支付令的期限（受理之日起十五日）"
        else:
            dl, label = cal.add_days(first.at.date(), 5), "法院通知是否受理支付令申请（五日）"
    else:
        dl = cal.add_workdays(first.at.date(), _defaults("followup_workdays"))
        label = _default_note("followup_workdays")
    if last.promise_by or last.promise:
        promised = _promise_deadline(last, cal)
        if promised is not None:
            dl, label = promised, f"{name}承诺的处理期限"
    if today > dl.date:
        return Progress("overdue", f"{_d(first.at)}已提交{name}，已过{dl.date.isoformat()}仍无结果", dl, label, first, last)
    return Progress("waiting", f"{_d(first.at)}已提交{name}，等待处理", dl, label, first, last)


# --- the engine ----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ctx:
    facts: CaseFacts
    today: dt.date
    cal: WorkCalendar
    ptype: str
    progress: dict[str, Progress]
    cs_failed: bool
    untraceable: bool
    forum_taken: str | None
    stale: bool
    evidence: EvidenceReport
    payment_channel: str | None

    def p(self, channel: str) -> Progress:
        return self.progress.get(channel) or Progress("none")

    def filed(self, channel: str) -> bool:
        return self.p(channel).state != "none"

    def gave_up(self, channel: str) -> bool:
        """The channel was tried and did not help (failed, or its deadline passed without an answer)."""
        return self.p(channel).state in ("failed", "overdue")


def _step_from_progress(
    ctx: _Ctx, channel: str, *, fresh: Status, fresh_reason: str, action: str, basis: tuple[Citation, ...]
) -> Step:
    """The common part of every channel step: recorded progress decides the status, else ``fresh``."""
    ch = get_channel(channel)
    docs = tuple(load("ladders")["documents"].get(channel, []))
    pr = ctx.p(channel)
    if pr.state == "none":
        return Step(channel, ch.name, fresh, fresh_reason, action, documents=docs, basis=basis)
    if pr.state in ("waiting",):
        return Step(
            channel, ch.name, "waiting", pr.reason,
            f"等待{ch.name}答复；到{pr.deadline.date.isoformat() if pr.deadline else '期限'}仍未处理的，按计划升级。",
            pr.deadline, pr.deadline_label, docs, basis,
        )
    if pr.state == "overdue":
        return Step(
            channel, ch.name, "now", pr.reason,
            f"催办：联系{ch.name}询问进度并保存记录；同时启动下一步，不要继续干等。",
            pr.deadline, pr.deadline_label, docs, basis,
        )
    return Step(channel, ch.name, "done", pr.reason, "已完成。", pr.deadline, pr.deadline_label, docs, basis)


def _build_steps(ctx: _Ctx) -> list[Step]:
    ladder: list[str] = load("ladders")["ladders"][ctx.ptype]
    steps: list[Step] = []
    for entry in ladder:
        if entry == "payment":
            steps.append(_payment_step(ctx))
        elif entry == "court":
            steps.extend(_court_steps(ctx))
        elif entry == OPERATOR_TASK:
            steps.append(_operator_step(ctx))
        else:
            steps.append(_BUILDERS[entry](ctx))
    return [s for s in steps if s is not None]


def _platform_cs_step(ctx: _Ctx) -> Step:
    facts, pr = ctx.facts, ctx.p("platform_cs")
    demands = "、".join(demand_label(d) for d in _demands(facts, ctx.ptype))
    basis = (cite("ecommerce_law_59"), cite("consumer_law_39"))
    if ctx.ptype == "data_leak":
        action = (
            "书面要求平台说明泄露的信息种类、原因，立即采取补救措施并删除你的个人信息，"
            "保存对方的答复（个人信息保护法第五十七条、第四十七条）。"
        )
        basis = (cite("pipl_57"), cite("pipl_47"))
        return _step_from_progress(ctx, "platform_cs", fresh="now", fresh_reason="平台有义务采取补救措施并告知你，书面要求是后续索赔的依据。", action=action, basis=basis)
    if not facts.platform.reachable and pr.state == "none":
        return Step(
            "platform_cs", "平台客服", "not_applicable",
            "平台已无法联系（网站打不开或客服失联），不必再等客服，直接走外部渠道。",
            "跳过。", basis=basis,
        )
    action = (
        f"通过{facts.platform.display_name}的官方客服（在线客服、客服热线或投诉邮箱）提出明确诉求：{demands}；"
        "要求对方书面答复并给出具体处理时间，截图保存完整对话。可直接发送生成的《致客服的书面诉求》。"
    )
    return _step_from_progress(
        ctx, "platform_cs", fresh="now",
        fresh_reason="先内后外：先给平台一次书面处理的机会，拿到书面答复和承诺时间，是升级投诉的前提。",
        action=action, basis=basis,
    )


def _12315_step(ctx: _Ctx) -> Step:
    first = ctx.p("12315").first
    rule = complaint_rule(first.at.date() if first else ctx.today)
    basis = tuple(cite(c) for c in rule.raw["acceptance"]["citations"]) + (cite("consumer_law_39"),)
    if ctx.forum_taken and ctx.p("12315").state == "none":
        return Step(
            "12315", "全国12315平台", "not_applicable",
            f"{ctx.forum_taken}已受理同一争议，12315将不予受理。",
            "跳过。", basis=tuple(cite(c) for c in rule.raw["refusal_citations"]),
        )
    if ctx.stale and ctx.p("12315").state == "none":
        return Step(
            "12315", "全国12315平台", "not_applicable",
            "自知道权益受损已超过三年，12315不予受理。", "跳过。",
            basis=tuple(cite(c) for c in rule.raw["refusal_citations"]),
        )
    if ctx.ptype == "fraud_runaway":
        fresh: Status = "now" if (ctx.filed("police") or ctx.filed(ctx.payment_channel or "")) else "next"
        step = _step_from_progress(
            ctx, "12315", fresh=fresh,
            fresh_reason="向经营者住所地市场监管部门举报涉嫌欺诈（收款不发货、虚构商品），举报与投诉分别处理。",
            action="在全国12315平台提交举报（和投诉），写明网站、收款商户名称和经过，附支付记录。",
            basis=(cite("penalty_measures_5_10"), *basis),
        )
    else:
        fresh = "now" if ctx.cs_failed else "next"
        reason = (
            ctx.p("platform_cs").reason + "，按计划升级到12315。"
            if ctx.cs_failed and ctx.p("platform_cs").reason
            else "客服拒绝、不答复或承诺逾期未兑现时升级到12315（先内后外）。"
        )
        if ctx.cs_failed and not ctx.facts.platform.reachable:
            reason = "平台已无法联系，直接向市场监管部门投诉。"
        step = _step_from_progress(
            ctx, "12315", fresh=fresh, fresh_reason=reason,
            action=(
                "在全国12315平台（网站、App或小程序）提交投诉：平台名称、订单号、问题、诉求和证据清单，"
                "记下投诉编号；市场监管部门应在七个工作日内决定是否受理。"
            ),
            basis=basis,
        )
    if ctx.p("12315").state == "none":
        step.warnings.append(
            f"适用规则：{rule.name}（按{rule.applies_to.isoformat()}确定）。{rule.raw['acceptance']['note']}"
        )
        if not ctx.facts.platform.operator_known:
            step.warnings.append(
                "投诉须写明被投诉方名称和地址，否则可能不予受理（暂行办法第九条、第十五条）："
                "先按\"查明经营者\"一步找到公司名称，至少填写支付凭证上的收款商户名和网站域名。"
            )
    _odr_step(ctx, step)
    return step


# --- 12315 ODR (issue 13; DOMAIN.md §13): an ODR company must contact the consumer within 10 working days of a
# complaint sent through 12315's 绿色通道; a failed settlement leaves the complaint to the regulator.
ODR_WORKDAYS = 10
ODR_LABEL = "ODR企业联系你协商的期限（十个工作日）"


def _odr_deadline(ctx: _Ctx) -> TrackedDeadline | None:
    first = ctx.p("12315").first
    if not ctx.facts.platform.odr or first is None or ctx.p("12315").state in ("resolved", "failed"):
        return None
    return TrackedDeadline("12315_odr", ODR_LABEL, ctx.cal.add_workdays(first.at.date(), ODR_WORKDAYS), "12315")


def _odr_step(ctx: _Ctx, step: Step) -> None:
    if not ctx.facts.platform.odr or step.status == "not_applicable":
        return
    step.basis = (*step.basis, cite("samr_odr_green_channel"))
    dl = _odr_deadline(ctx)
    if dl is None and ctx.p("12315").state == "none":
        step.action += (
            "这家平台是12315的ODR企业：提交时选择“绿色通道”（在线消费纠纷解决），企业应当在十个工作日内联系你协商；"
            "协商不成，投诉仍由市场监管部门处理。"
        )
    elif dl is not None:
        step.warnings.append(
            f"这家平台是ODR企业：企业应当在{dl.deadline.date.isoformat()}前联系你协商（十个工作日）；"
            "协商不成，你仍然可以请市场监管部门处理这起投诉。"
        )


def _heimao_step(ctx: _Ctx) -> Step:
    joint = ctx.ptype in load("ladders")["heimao_joint_with_12315"]
    if joint:
        fresh: Status = "now" if ctx.cs_failed else "next"
        reason = "卡密无效、服务缩水这类质量问题，12315与黑猫投诉同时提交，监管与舆论联合施压（种子文本第三部分）。"
    else:
        fresh = "now" if ctx.filed("12315") else "next"
        reason = "12315投诉提交后，再在黑猫投诉公开投诉，借舆论压力促使平台回应；黑猫没有行政权力。"
    return _step_from_progress(
        ctx, "heimao", fresh=fresh, fresh_reason=reason,
        action="在黑猫投诉（tousu.sina.com.cn）发起投诉：标题、诉求、涉诉金额和问题描述，隐去个人信息，记下投诉单号。",
        basis=(cite("heimao_platform"),),
    )


def _payment_step(ctx: _Ctx) -> Step:
    channel = ctx.payment_channel
    if channel is None:
        method = {"bank_card": "银行卡", "other": "其他方式"}.get(ctx.facts.payment_method, ctx.facts.payment_method)
        return Step(
            "alipay" if ctx.facts.payment_method == "alipay" else "wechat_pay",
            "支付渠道投诉", "not_applicable",
            f"你通过{method}付款，不是支付宝或微信支付；可向发卡银行或支付机构客服说明情况，询问能否对该笔交易提出争议。",
            "跳过。", basis=(cite("ecommerce_law_53"),),
        )
    name = get_channel(channel).name
    basis = (cite("alipay_complaint") if channel == "alipay" else cite("wechat_pay_complaint_rules"), cite("ecommerce_law_57"))
    if ctx.ptype == "fraud_runaway":
        return _step_from_progress(
            ctx, channel, fresh="now",
            fresh_reason="平台跑路或欺诈时，支付渠道最快：投诉后可能限制商户收款、冻结结算，并能查到收款商户主体。",
            action=f"立即在{name}里找到这笔付款，选择\"投诉商家\"，说明涉嫌欺诈、请求冻结商户资金并协助追回，附报警回执（如已报警）。",
            basis=basis,
        )
    if ctx.gave_up("12315") or ctx.gave_up("heimao") or (ctx.untraceable and ctx.cs_failed):
        fresh: Status = "now"
        reason = (
            "平台主体难以追溯，监管投诉可能因被投诉方信息不全而受阻，同时通过支付渠道投诉。"
            if ctx.untraceable and not ctx.gave_up("12315")
            else "监管和公开投诉没有解决，升级到支付渠道：支付平台可以限制违规商户收款。"
        )
    else:
        fresh, reason = "next", "12315等渠道无果，或平台主体无法追溯时，通过支付渠道投诉商户。"
    return _step_from_progress(
        ctx, channel, fresh=fresh, fresh_reason=reason,
        action=f"在{name}账单中打开这笔付款，选择\"投诉商家\"，写明订单号、问题和退款诉求，保存投诉进度截图。",
        basis=basis,
    )


def _industry_step(ctx: _Ctx) -> Step:
    fresh: Status = "now" if (ctx.untraceable and ctx.cs_failed and ctx.ptype != "fraud_runaway") else "next"
    step = _step_from_progress(
        ctx, "industry_assoc", fresh=fresh,
        fresh_reason=(
            "无固定地址、频繁换域名的小卡盟，借助行业组织和支付渠道追溯主体、施加压力。"
            if fresh == "now"
            else "行业组织可以协助追溯主体和调解，适合主体难追溯或其他渠道无果时。"
        ),
        action="向行业自律组织（如中国互联网协会）反映该平台，或请求消费者协会调解，附证据清单。",
        basis=(cite("ecommerce_law_60"), cite("consumer_law_39")),
    )
    if get_channel("industry_assoc").exclusive and ctx.p("12315").state in ("none", "waiting"):
        step.warnings.append(
            "注意次序：消费者协会或其他调解组织一旦受理调解，12315将以\"已由其他调解组织受理\"为由不予受理或终止调解；"
            "想走12315的，先走12315。"
        )
    return step


def _police_step(ctx: _Ctx) -> Step:
    threshold = Decimal(str(load("rules")["fraud_criminal_threshold"]["value"]))
    basis = (cite("criminal_law_266"), cite("anti_telecom_fraud_30"))
    if ctx.ptype == "data_leak":
        return _step_from_progress(
            ctx, "police", fresh="next",
            fresh_reason="信息被出售或被用来诈骗你时，涉嫌侵犯公民个人信息罪，应向公安机关报案。",
            action="拨打110或到派出所报案，带上骚扰/诈骗记录和你在平台留信息的凭证。",
            basis=(cite("criminal_law_253_1"),),
        )
    step = _step_from_progress(
        ctx, "police", fresh="now",
        fresh_reason="平台收款后失联、拉黑或虚构商品，涉嫌诈骗：立即报警，同时通过支付渠道冻结资金。",
        action="拨打110或到派出所报案（也可用国家反诈中心App举报），带上报案材料和证据清单，索要报警回执。96110只用于咨询和预警，不是报案电话。",
        basis=basis,
    )
    if ctx.facts.amount < threshold:
        step.warnings.append(
            f"金额低于{threshold:.0f}元（利用网络实施诈骗的立案标准），公安机关可能按治安案件处理，但仍应报案：同一平台的受害人往往很多，金额会合并计算。"
        )
    return step


def _report_step(channel: str) -> Any:
    actions = {
        "12321": ("向12321网络不良与垃圾信息举报受理中心（www.12321.cn）举报该网站，写明域名和经过。12321不负责退款。", "channel_12321"),
        "12377": ("在网信办违法和不良信息举报中心（www.12377.cn 或\"网络举报\"App）举报个人信息泄露，写明平台和泄露迹象。", "channel_12377"),
        "12345": ("拨打12345政务服务便民热线或在当地12345平台留言，反映平台泄露个人信息，要求转交主管部门处理并告知结果。", "channel_12345"),
    }

    def build(ctx: _Ctx) -> Step:
        action, cid = actions[channel]
        if ctx.ptype == "data_leak":
            fresh: Status = "next" if channel == "12321" else "now"
            reason = (
                "个人信息泄露向网信部门和12345反映，要求平台整改并赔偿（种子文本第三部分；个人信息保护法第六十五条）。"
                if channel != "12321"
                else "12321也受理个人信息泄露和骚扰信息举报，可作为补充。"
            )
            basis: tuple[Citation, ...] = (cite(cid), cite("pipl_65"))
        else:
            fresh, reason = "now", "平台跑路或诈骗，同步向12321举报网站，推动关停、提醒其他消费者（种子文本第三部分）。"
            basis = (cite(cid),)
        return _step_from_progress(ctx, channel, fresh=fresh, fresh_reason=reason, action=action, basis=basis)

    return build


def _operator_step(ctx: _Ctx) -> Step:
    p = ctx.facts.platform
    basis = (cite("ecommerce_law_15"), cite("consumer_law_44"), cite("civil_procedure_122"))
    if p.operator_known:
        return Step(OPERATOR_TASK, "查明经营者", "done", f"经营者已知：{p.company}", "已完成。", basis=basis)
    clues = []
    if p.merchant_name:
        clues.append(f"支付凭证上的收款商户\"{p.merchant_name}\"")
    if p.icp:
        clues.append(f"ICP备案号{p.icp}")
    court_due = ctx.facts.amount >= Decimal(_defaults("court_recommend_min_amount"))
    urgent = ctx.untraceable and (ctx.cs_failed or ctx.ptype == "fraud_runaway") or (court_due and ctx.cs_failed)
    return Step(
        OPERATOR_TASK, "查明经营者",
        "now" if urgent else "next",
        "起诉必须有明确的被告，12315投诉也要写明被投诉方名称和地址；"
        + (f"已有线索：{'、'.join(clues)}。" if clues else "目前还不知道网站背后的公司。"),
        "按顺序查：① 网站首页公示的营业执照（电子商务法第十五条）；② 工信部ICP/IP地址/域名信息备案管理系统（beian.miit.gov.cn）查域名主办单位；"
        "③ 支付宝/微信账单详情里的收款商户全称；④ 国家企业信用信息公示系统核对公司名称、统一社会信用代码和地址；"
        "⑤ 书面要求平台提供经营者真实名称、地址和联系方式（消费者权益保护法第四十四条），不能提供的可向平台主张赔偿。",
        basis=basis,
    )


def _court_steps(ctx: _Ctx) -> list[Step]:
    facts = ctx.facts
    p = facts.platform
    threshold = Decimal(_defaults("court_recommend_min_amount"))
    fee_sc = calculators.court_fee(facts.amount, "small_claims")
    fee_po = calculators.court_fee(facts.amount, "payment_order")
    eligibility = calculators.small_claims_eligibility(facts.amount, facts.province, ctx.today)
    cs_contacts = facts.contacts_with("platform_cs")
    acknowledged = any(c.response == "promised" for c in cs_contacts) or any(
        c.response == "accepted" for c in cs_contacts
    )
    disputed = any(c.response in ("refused", "rejected") for c in cs_contacts)
    fit = calculators.payment_order_fit(
        debtor_identified=p.operator_known,
        debtor_reachable=p.reachable,
        debt_acknowledged=acknowledged,
        counter_dispute=disputed,
    )
    sc_basis = (cite("civil_procedure_165"), cite("civil_procedure_166"), cite("court_fees_13"), cite("civil_procedure_interp_20"))
    po_basis = (cite("civil_procedure_225_228"), cite("civil_procedure_interp_427"), cite("court_fees_13"))
    sc_pr, po_pr = ctx.p("small_claims"), ctx.p("payment_order")

    def ruled_out_small(reason: str) -> list[Step]:
        return ruled_out(reason, "金额较小，不建议走法院程序（理由见小额诉讼一步）；支付令也需要对方承认欠款且能送达。")

    def ruled_out(reason: str, po_reason: str | None = None) -> list[Step]:
        return [
            Step("small_claims", "小额诉讼", "not_applicable", reason, "暂不考虑。", basis=sc_basis)
            if sc_pr.state == "none"
            else _step_from_progress(ctx, "small_claims", fresh="next", fresh_reason="", action="", basis=sc_basis),
            Step("payment_order", "申请支付令", "not_applicable", po_reason or reason, "暂不考虑。", basis=po_basis)
            if po_pr.state == "none"
            else _step_from_progress(ctx, "payment_order", fresh="next", fresh_reason="", action="", basis=po_basis),
        ]

    if facts.amount < threshold and sc_pr.state == "none" and po_pr.state == "none":
        return ruled_out_small(
            f"涉案{facts.amount:.2f}元，低于建议起诉金额{threshold:.0f}元（产品默认的成本收益经验值，不是法律限制）。"
            f"小额诉讼费约{fee_sc.fee:.0f}元，但出庭和取证的时间成本远高于监管和支付渠道；"
            "百元级纠纷优先12315、黑猫和支付渠道。其他渠道全部无果时，你仍有权自行起诉。"
        )
    if not p.reachable and sc_pr.state == "none" and po_pr.state == "none":
        return ruled_out(
            "经营者已失联：小额诉讼不适用一方下落不明的案件（民事诉讼法第一百六十六条），支付令也必须能送达债务人"
            "（民诉法解释第四百二十七条）。先报警和通过支付渠道追查主体，查明后再考虑起诉。"
        )

    prior_done = (
        ctx.gave_up("12315") or ctx.p("12315").state == "none" and ctx.forum_taken is not None
    ) and (ctx.payment_channel is None or ctx.gave_up(ctx.payment_channel) or ctx.ptype == "fraud_runaway")
    ready = ctx.evidence.complete and p.operator_known and p.reachable
    blockers = []
    if not ctx.evidence.complete:
        blockers.append("证据链还有缺口（见证据清单）")
    if not p.operator_known:
        blockers.append("还不知道被告是谁（先查明经营者）")
    court_status: Status = "now" if (prior_done and ready) else "next"
    why_not_now = (
        f"暂不起诉：{'；'.join(blockers)}。" if blockers else "先走完12315和支付渠道：成本更低，也不会因法院受理而关闭12315。"
    )
    elig_text = eligibility.explanation

    steps: list[Step] = []
    if fit.fits:
        po = _step_from_progress(
            ctx, "payment_order", fresh=court_status,
            fresh_reason=(
                "平台承诺过退款却未兑现，债权明确且无争议，支付令不开庭、费用为诉讼费的三分之一"
                f"（约{fee_po.fee:.2f}元）；对方在十五日内提出书面异议的，转入诉讼。"
                + ("" if court_status == "now" else why_not_now)
            ),
            action="向被申请人住所地基层人民法院提交《支付令申请书》和证据清单。",
            basis=po_basis,
        )
        sc = _step_from_progress(
            ctx, "small_claims", fresh="next",
            fresh_reason=f"支付令被异议而失效时转入诉讼。{elig_text}",
            action="向你住所地（在线交付的买卖合同以买受人住所地为合同履行地）或被告住所地基层人民法院起诉。",
            basis=sc_basis,
        )
        steps = [sc, po]
    else:
        sc = _step_from_progress(
            ctx, "small_claims", fresh=court_status,
            fresh_reason=(
                f"{'外部渠道均未解决，' if prior_done else ''}金额较大，适合诉讼。{elig_text}"
                f"预计诉讼费{fee_sc.fee:.2f}元（{fee_sc.explanation}）。"
                + ("" if court_status == "now" else why_not_now)
            ),
            action="向你住所地（在线交付的买卖合同以买受人住所地为合同履行地）或被告住所地基层人民法院提交《民事起诉状》和证据清单，可通过人民法院在线服务网上立案。",
            basis=sc_basis,
        )
        if po_pr.state == "none":
            po = Step(
                "payment_order", "申请支付令", "not_applicable", fit.explanation,
                "不适用。", basis=po_basis,
            )
        else:
            po = _step_from_progress(ctx, "payment_order", fresh="next", fresh_reason="", action="", basis=po_basis)
        steps = [sc, po]
    if ctx.p("12315").state in ("none", "waiting") and ctx.ptype != "fraud_runaway":
        for s in steps:
            if s.status in ("now", "next"):
                s.warnings.append(
                    "法院受理后，12315将以\"法院已受理同一争议\"为由不予受理或终止调解：先走完12315再起诉。"
                )
    return steps


_BUILDERS: dict[str, Any] = {
    "platform_cs": _platform_cs_step,
    "12315": _12315_step,
    "heimao": _heimao_step,
    "industry_assoc": _industry_step,
    "police": _police_step,
    "12321": _report_step("12321"),
    "12377": _report_step("12377"),
    "12345": _report_step("12345"),
}


# --- warnings ------------------------------------------------------------------------------------------------------


def _limitation(facts: CaseFacts, cal: WorkCalendar) -> tuple[TrackedDeadline, str]:
    """民法典 Art. 188: 3 years from knowing of the harm and of the obligor; Art. 195: a demand restarts it."""
    start = facts.knew_harm_at or facts.paid_at.date()
    demands = [c.at.date() for c in facts.contacts if c.channel in ("platform_cs", "small_claims", "payment_order")]
    restarted = max(demands) if demands and max(demands) > start else None
    base = restarted or start
    dl = cal.add_years(base, 3)
    how = f"自{base.isoformat()}起算三年" + ("（最近一次向平台提出请求使时效中断、重新计算，民法典第一百九十五条）" if restarted else "")
    return TrackedDeadline("limitation", "诉讼时效（三年）", dl), how


def _warnings(ctx: _Ctx, steps: list[Step], limitation: TrackedDeadline, limitation_how: str) -> list[Warning]:
    facts, out = ctx.facts, []
    out.append(
        Warning(
            "agent_scam",
            "警惕\"代理投诉/代理维权/追款\"：声称收费帮你追回钱款的机构可能泄露你的信息甚至二次诈骗。"
            "只通过官方渠道投诉；96110只是预警咨询电话，报案请拨110。",
        )
    )
    if ctx.ptype != "data_leak":
        out.append(
            Warning(
                "no_seven_day_return",
                "不要以\"七天无理由退货\"申请：在线交付的卡密等数字商品不适用无理由退货（消费者权益保护法第二十五条）。"
                "卡密无效、未发货、服务缩水属于违约或质量问题，应要求补发、退款或赔偿。",
                (cite("consumer_law_25"), cite("consumer_law_24"), cite("civil_code_577")),
            )
        )
    lim_left = (limitation.deadline.date - ctx.today).days
    operator_note = "" if facts.platform.operator_known else "经营者尚未查明时，时效自知道义务人之日起才开始计算，这里按保守日期提示。"
    level = "诉讼时效即将届满，请尽快起诉或向平台书面主张权利。" if lim_left <= _defaults("limitation_warn_days") else ""
    out.append(
        Warning(
            "limitation",
            f"诉讼时效三年：{limitation_how}，至{limitation.deadline.date.isoformat()}。{operator_note}{level}"
            "12315也不受理自知道权益受损起超过三年的投诉。",
            (cite("civil_code_188"), cite("civil_code_195")),
        )
    )
    if ctx.stale:
        out.append(Warning("stale", "自知道权益受损已超过三年：12315不予受理，诉讼可能因时效届满被对方抗辩。", (cite("civil_code_188"),)))
    if ctx.forum_taken:
        out.append(Warning("forum_taken", f"{ctx.forum_taken}已受理同一争议：12315不会再受理。", (cite("samr_interim_15"),)))
    text = facts.description or ""
    if any(t in text for t in ("最终解释权", "概不退换", "不退不换", "售出不退")):
        out.append(
            Warning(
                "void_terms",
                "\"最终解释权归本站所有\"\"卡密售出概不退换\"这类格式条款排除消费者权利，依法无效，不影响你主张退款或补发。",
                (cite("consumer_law_26"), cite("online_consumption_rules_1"), cite("penalty_measures_12")),
            )
        )
    if any(s.deadline and s.deadline.provisional for s in steps) or limitation.deadline.provisional:
        out.append(
            Warning(
                "provisional_calendar",
                "部分期限所在年份的国务院节假日安排尚未发布，暂按周末推算；安排发布后本工具会重新计算。",
            )
        )
    if ctx.p("12315").state == "none" and any(
        s.channel == "12315" and s.status == "now" for s in steps
    ):
        rule = complaint_rule(ctx.today)
        if rule.id == "samr_order_121":
            out.append(
                Warning(
                    "rule_version",
                    f"12315投诉适用{rule.name}（2026年4月15日起施行）。调解期限据文书式样为受理后六十日，条文待核实。",
                    (cite("samr_order121_23"),),
                )
            )
    if ctx.ptype == OTHER:
        out.append(Warning("unclassified", "无法从描述判断问题类型：请补充经过（发生了什么、平台怎么答复），或手动选择问题类型。"))
    out.append(Warning("not_legal_advice", DISCLAIMER))
    return out


# --- entry point ---------------------------------------------------------------------------------------------------


def plan(facts: CaseFacts, today: dt.date, *, calendar: WorkCalendar | None = None) -> Plan:
    """The whole plan for ``facts`` as of ``today``. Pure: same facts, date and calendar give the same plan."""
    cal = calendar or default_calendar()
    classification = classify(facts.description, today=today) if facts.description else None
    ptype = facts.problem_type or (classification.type if classification else OTHER)

    progress: dict[str, Progress] = {}
    for channel in {c.channel for c in facts.contacts}:
        contacts = facts.contacts_with(channel)
        if channel == "platform_cs":
            progress[channel] = _cs_progress(contacts, cal, today)
        elif channel == "12315":
            progress[channel] = _12315_progress(contacts, cal, today)
        else:
            progress[channel] = _generic_progress(channel, contacts, cal, today)

    cs = progress.get("platform_cs", Progress("none"))
    cs_failed = cs.state == "failed" or (not facts.platform.reachable)
    p = facts.platform
    # "小卡盟（无固定办公地点、频繁更换域名）" (seed §二 step 3): nobody behind the site can be found — it vanished,
    # or 12315 could not take the complaint — so the payment channel and industry bodies carry the case.
    untraceable = not p.operator_known and (
        not p.reachable or progress.get("12315", Progress("none")).state in ("failed", "overdue")
    )
    forum_taken = next(
        (
            get_channel(ch).name
            for ch, pr in progress.items()
            if get_channel(ch).exclusive and ch != "12315" and pr.state != "none"
            and any(c.response in ("accepted", "resolved", "failed") for c in facts.contacts_with(ch))
        ),
        None,
    )
    knew = facts.knew_harm_at or facts.paid_at.date()
    stale = cal.add_years(knew, 3).date < today
    court_considered = facts.amount >= Decimal(_defaults("court_recommend_min_amount"))
    report = analyse(facts, ptype, court_considered=court_considered)
    payment_channel = facts.payment_method if facts.payment_method in ("alipay", "wechat_pay") else None
    ctx = _Ctx(facts, today, cal, ptype, progress, cs_failed, untraceable, forum_taken, stale, report, payment_channel)

    steps = _build_steps(ctx)
    if any(s.channel in ("small_claims", "payment_order") and s.status == "now" for s in steps):
        # Court is justified (amount, complete evidence, known and reachable operator, official channels tried):
        # untried optional pressure channels stay listed but no longer compete for the next action.
        for s in steps:
            if s.channel in ("heimao", "industry_assoc") and s.status == "now" and ctx.p(s.channel).state == "none":
                s.status = "next"
                s.reason = "金额较大、证据齐全且外部渠道已无果，优先起诉；" + s.reason
    resolved = next((ch for ch, pr in progress.items() if pr.state == "resolved"), None)
    if resolved:
        for s in steps:
            if s.status in ("now", "next", "waiting"):
                s.status, s.reason, s.action = "not_applicable", f"已通过{get_channel(resolved).name}解决，无需此步。", "无需处理。"

    cs_runaround = bool(classification and classification.cs_runaround) or cs.state == "failed" and bool(
        cs.last and cs.last.response in ("no_reply", "promised", "pending")
    )
    limitation, limitation_how = _limitation(facts, cal)
    deadlines = [TrackedDeadline(f"{s.channel}", s.deadline_label or s.name, s.deadline, s.channel) for s in steps if s.deadline and s.status in ("waiting", "now")]
    deadlines.append(limitation)
    deadlines.extend(d for d in (_odr_deadline(ctx),) if d is not None and not resolved)
    warnings = _warnings(ctx, steps, limitation, limitation_how)

    now_steps = [s for s in steps if s.status == "now"]
    waiting = [s for s in steps if s.status == "waiting"]
    nxt: Step | None
    if now_steps:
        nxt = now_steps[0]
        also = "、".join(s.name for s in now_steps[1:])
        next_reason = now_steps[0].reason + (f" 同时进行：{also}。" if also else "")
    elif waiting:
        nxt = min(waiting, key=lambda s: s.deadline.date if s.deadline else dt.date.max)
        when = nxt.deadline.date.isoformat() if nxt.deadline else "对方答复"
        after = next((s.name for s in steps if s.status == "next"), None)
        next_reason = f"{nxt.reason}；等到{when}" + (f"，仍未解决的，下一步是{after}。" if after else "。")
    else:
        nxt = None
        next_reason = f"已通过{get_channel(resolved).name}解决。" if resolved else "所有渠道均已尝试。"

    fraud = facts.fraud_shown if facts.fraud_shown is not None else ptype in ("fraud_runaway", "fake_stock")
    calculations = {
        "punitive_damages": calculators.punitive_damages(facts.amount, fraud).to_dict(),
        "small_claims": calculators.small_claims_eligibility(facts.amount, facts.province, today).to_dict(),
        "court_fee": calculators.court_fee(facts.amount, "small_claims").to_dict(),
        "payment_order_fee": calculators.court_fee(facts.amount, "payment_order").to_dict(),
        "amount_in_words": calculators.amount_in_words(facts.amount),
    }
    rule_date = progress["12315"].first.at.date() if "12315" in progress and progress["12315"].first else today
    return Plan(
        facts=facts,
        today=today,
        calendar=cal,
        problem_type=ptype,
        classification=classification,
        cs_runaround=cs_runaround,
        rule=complaint_rule(rule_date),
        steps=steps,
        next_step=nxt,
        next_reason=next_reason,
        evidence=report,
        warnings=warnings,
        deadlines=deadlines,
        calculations=calculations,
        cs_reply_by=cal.add_workdays(today, _defaults("cs_letter_reply_workdays")),
    )
