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
DISCLAIMER = (
    "本计划由 weiquan 根据你提供的事实自动生成，仅供参考，不构成法律意见；提交前请自行核对事实和法律依据。"
)

FAILED = {"refused", "no_reply", "rejected", "failed"}
RESPONSE_LABELS: dict[str, str] = {
    "pending": "等待答复",
    "promised": "承诺处理",
    "refused": "拒绝",
    "no_reply": "没有答复",
    "accepted": "已受理",
    "rejected": "驳回或不予受理",
    "failed": "处理失败",
    "resolved": "已解决",
}
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
    resolved_by: str | None = None  # the channel through which the dispute was resolved, if any
    questions: list[str] = field(default_factory=list)  # what the plan needs the consumer to tell it

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
                "action": nxt.action
                if nxt
                else (
                    "案件已解决：核对款项到账并保存凭证。"
                    if self.resolved_by
                    else "款项尚未追回：补充证据和经营者信息后重新投诉，或向公安机关报案、向法院起诉。"
                ),
                "reason": self.next_reason,
                "deadline": nxt.deadline.date.isoformat() if nxt and nxt.deadline else None,
                "documents": list(nxt.documents) if nxt else [],
                "warnings": list(nxt.warnings) if nxt else [],
            },
            "steps": [s.to_dict(cal, today) for s in self.steps],
            "evidence": self.evidence.to_dict(),
            "deadlines": [d.to_dict(cal, today) for d in self.deadlines],
            "warnings": [w.to_dict() for w in self.warnings],
            "calculations": self.calculations,
            "questions": list(self.questions),
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
    return RuleVersion(
        first["id"], first["name"], first["effective_from"], first["effective_to"], on, first["source"], first
    )


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

    state: Literal["none", "waiting", "overdue", "failed", "resolved", "filed", "curable"]
    reason: str = ""
    deadline: Deadline | None = None
    deadline_label: str | None = None
    first: Contact | None = None
    last: Contact | None = None


def _d(value: dt.datetime) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _promise_deadline(c: Contact, cal: WorkCalendar) -> Deadline | None:
    if c.promise_by is not None:
        return fixed_deadline(
            c.at, c.promise_by.date(), c.promise_by.time(), phrase=c.promise or "承诺的截止时间"
        )
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
        what = {
            "refused": "拒绝了你的诉求",
            "no_reply": "没有答复",
            "rejected": "拒绝了你的诉求",
            "failed": "处理失败",
        }
        answer = f"（答复：{last.answer}）" if last.answer else ""
        return Progress(
            "failed", f"{_d(last.at)}平台客服{what[last.response]}{answer}", first=contacts[0], last=last
        )
    promised = _promise_deadline(last, cal)
    if promised is not None:
        label = f"客服承诺的处理期限（{last.promise or '承诺时间'}）"
        if today > (promised.latest or promised.date):
            return Progress(
                "failed",
                f"客服承诺{promised.date.isoformat()}前处理，已逾期未兑现",
                promised,
                label,
                contacts[0],
                last,
            )
        return Progress(
            "waiting", f"客服承诺在{promised.date.isoformat()}前处理", promised, label, contacts[0], last
        )
    wait = cal.add_workdays(last.at.date(), _defaults("cs_reply_wait_workdays"))
    label = "等待客服答复（本工具默认两个工作日，非法定期限）"
    if today > (wait.latest or wait.date):
        return Progress(
            "failed", f"{_d(last.at)}联系客服后，超过两个工作日仍无答复", wait, label, contacts[0], last
        )
    return Progress("waiting", f"{_d(last.at)}已联系客服，等待答复", wait, label, contacts[0], last)


_CURABLE_WORDS = ("信息不全", "名称", "地址", "材料", "被投诉人", "被投诉方", "补正", "补充")


def _refusal_curable(c: Contact, respondent_known: bool) -> bool:
    """A 12315 refusal the consumer can cure: the respondent's name/address was missing (Order 121 keeps the
    old rule's "未提供规定材料" ground). With the operator unknown that is the reason, whatever the wording."""
    return not respondent_known or any(w in (c.answer or "") for w in _CURABLE_WORDS)


def _12315_progress(
    contacts: list[Contact], cal: WorkCalendar, today: dt.date, respondent_known: bool = True
) -> Progress:
    if not contacts:
        return Progress("none")
    first, last = contacts[0], contacts[-1]
    if last.response == "resolved":
        return Progress("resolved", f"{_d(last.at)}经12315调解解决", first=first, last=last)
    if last.response in ("rejected", "refused"):
        answer = f"（答复：{last.answer}）" if last.answer else ""
        if _refusal_curable(last, respondent_known):
            return Progress(
                "curable",
                f"{_d(last.at)}市场监管部门不予受理{answer}：缺少被投诉方名称、地址是可以补正的，查明经营者后可以重新投诉，"
                "钱还没有追回",
                first=first,
                last=last,
            )
        return Progress("failed", f"{_d(last.at)}市场监管部门不予受理{answer}", first=first, last=last)
    if last.response == "failed":
        return Progress("failed", f"{_d(last.at)}调解不成，市场监管部门终止调解", first=first, last=last)
    accepted = next((c for c in contacts if c.response == "accepted"), None)
    if accepted is not None:
        rule = complaint_rule(accepted.at.date())
        spec = rule.raw["mediation"]
        dl = _rule_deadline(cal, spec, accepted.at.date())
        label = f"调解期限（{spec['note']}）"
        if today > (dl.latest or dl.date):
            return Progress(
                "overdue", f"{_d(accepted.at)}已受理，调解期限已过仍无结果", dl, label, first, last
            )
        return Progress("waiting", f"{_d(accepted.at)}已受理，正在调解", dl, label, first, last)
    rule = complaint_rule(first.at.date())
    spec = rule.raw["acceptance"]
    dl = _rule_deadline(cal, spec, first.at.date())
    label = "12315受理决定期限（七个工作日）"
    if today > (dl.latest or dl.date):
        return Progress(
            "overdue", f"{_d(first.at)}提交投诉，七个工作日内未收到受理决定", dl, label, first, last
        )
    return Progress("waiting", f"{_d(first.at)}已提交投诉，等待受理决定", dl, label, first, last)


def _generic_progress(channel: str, contacts: list[Contact], cal: WorkCalendar, today: dt.date) -> Progress:
    """Channels whose answer has no statutory deadline (or a platform's own): wait, then follow up."""
    if not contacts:
        return Progress("none")
    first, last = contacts[0], contacts[-1]
    name = get_channel(channel).name
    if last.response == "resolved":
        return Progress("resolved", f"{_d(last.at)}通过{name}解决", first=first, last=last)
    if last.response in FAILED:
        outcome = last.answer or RESPONSE_LABELS.get(last.response, "未能解决")
        return Progress("failed", f"{_d(last.at)}{name}未能解决（{outcome}）", first=first, last=last)
    if channel in ("12321", "12377", "12345") and last.response != "promised":
        return Progress("filed", f"{_d(first.at)}已向{name}举报", first=first, last=last)
    if channel == "police" and last.response == "accepted":
        return Progress("filed", f"{_d(last.at)}公安机关已受案/立案", first=first, last=last)
    dl: Deadline | None
    if channel == "wechat_pay":
        # 交易投诉运营规范2.0: the merchant must finish within 3 days of the complaint (a platform rule, not law).
        dl, label = (
            cal.add_days(first.at.date(), 3),
            "微信支付要求商户处理完毕的期限（3天，据《交易投诉运营规范2.0》转述）",
        )
    elif channel == "alipay":
        dl, label = (
            cal.add_days(first.at.date(), _defaults("alipay_followup_days")),
            _default_note("alipay_followup_days"),
        )
    elif channel == "small_claims":
        accepted = next((c for c in contacts if c.response == "accepted"), None)
        if accepted:
            dl, label = (
                cal.add_months(accepted.at.date(), 2),
                "小额诉讼审结期限（立案之日起两个月，民事诉讼法第一百六十八条）",
            )
        else:
            dl, label = cal.add_days(first.at.date(), 7), "法院决定是否立案（七日，民事诉讼法第一百二十六条）"
    elif channel == "payment_order":
        served = next((c.served_at for c in reversed(contacts) if c.served_at), None)
        accepted = next((c for c in contacts if c.response == "accepted"), None)
        if served:
            dl, label = cal.add_days(served.date(), 15), "债务人提出书面异议的期限（收到支付令之日起十五日）"
            if today > (dl.latest or dl.date):
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
    if today > (dl.latest or dl.date):
        return Progress(
            "overdue",
            f"{_d(first.at)}已提交{name}，已过{dl.date.isoformat()}仍无结果",
            dl,
            label,
            first,
            last,
        )
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
    respondent_known: bool = True

    def p(self, channel: str) -> Progress:
        return self.progress.get(channel) or Progress("none")

    def filed(self, channel: str) -> bool:
        return self.p(channel).state != "none"

    def gave_up(self, channel: str) -> bool:
        """The channel was tried and did not help (failed, or its deadline passed without an answer)."""
        return self.p(channel).state in ("failed", "overdue")


def _step_from_progress(
    ctx: _Ctx,
    channel: str,
    *,
    fresh: Status,
    fresh_reason: str,
    action: str,
    basis: tuple[Citation, ...],
    name: str | None = None,
) -> Step:
    """The common part of every channel step: recorded progress decides the status, else ``fresh``."""
    ch = get_channel(channel)
    docs = tuple(load("ladders")["documents"].get(channel, []))
    pr = ctx.p(channel)
    if pr.state == "none":
        return Step(channel, name or ch.name, fresh, fresh_reason, action, documents=docs, basis=basis)
    if pr.state in ("waiting",):
        return Step(
            channel,
            ch.name,
            "waiting",
            pr.reason,
            f"等待{ch.name}答复；到{pr.deadline.date.isoformat() if pr.deadline else '期限'}仍未处理的，按计划升级。",
            pr.deadline,
            pr.deadline_label,
            docs,
            basis,
        )
    if pr.state == "overdue":
        return Step(
            channel,
            ch.name,
            "now",
            pr.reason,
            f"催办：联系{ch.name}询问进度并保存记录；同时启动下一步，不要继续干等。",
            pr.deadline,
            pr.deadline_label,
            docs,
            basis,
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
        return _step_from_progress(
            ctx,
            "platform_cs",
            fresh="now",
            fresh_reason="平台有义务采取补救措施并告知你，书面要求是后续索赔的依据。",
            action=action,
            basis=basis,
        )
    if not facts.platform.reachable and pr.state == "none":
        return Step(
            "platform_cs",
            "平台客服",
            "not_applicable",
            "平台已无法联系（网站打不开或客服失联），不必再等客服，直接走外部渠道。",
            "跳过。",
            basis=basis,
        )
    action = (
        f"通过{facts.platform.display_name}的官方客服（在线客服、客服热线或投诉邮箱）提出明确诉求：{demands}；"
        "要求对方书面答复并给出具体处理时间，截图保存完整对话。可直接发送生成的《致客服的书面诉求》。"
    )
    return _step_from_progress(
        ctx,
        "platform_cs",
        fresh="now",
        fresh_reason="先内后外：先给平台一次书面处理的机会，拿到书面答复和承诺时间，是升级投诉的前提。",
        action=action,
        basis=basis,
    )


def _rule_cites(rule: RuleVersion, key: str) -> tuple[Citation, ...]:
    raw = rule.raw[key]
    return tuple(cite(c) for c in (raw["citations"] if isinstance(raw, dict) else raw))


_OLD_ARTICLES = {"materials": "第九条、第十五条", "refusal": "第十五条第（二）项", "jurisdiction": "第十二条"}
_TOPICS = {
    "materials": "关于投诉材料的规定",
    "refusal": "关于不予受理的规定",
    "jurisdiction": "关于平台内经营者投诉管辖的规定",
}


def _rule_phrase(rule: RuleVersion, topic: str | None = None) -> str:
    """How a consumer-facing text names the complaint rule: Order 121 by name (its article numbers are not
    confirmed, so never a number), the repealed interim rule only for complaints filed while it was in force."""
    if rule.id == "samr_order_121":
        if topic is None:
            return "《市场监督管理投诉举报处理办法》（国家市场监督管理总局令第121号，2026年4月15日起施行）"
        return f"《市场监督管理投诉举报处理办法》{_TOPICS[topic]}，条文以官方公布文本为准"
    return "《市场监督管理投诉举报处理暂行办法》" + (_OLD_ARTICLES[topic] if topic else "")


def _respondent_text(ctx: _Ctx, *, refile: bool = False) -> str:
    p = ctx.facts.platform
    if p.sold_by == "shop":
        shop = p.shop
        label = f"店铺\u201c{shop.name}\u201d" if shop and shop.name else "店铺"
        if shop and shop.company:
            return f"被投诉方写店铺经营者{shop.company}（{label}），同时写明所在平台{p.display_name}"
        return f"被投诉方写{label}的经营者（全称先向平台查明），同时写明所在平台{p.display_name}"
    if p.company:
        return f"被投诉方写{p.company}" + (f"（地址：{p.address}）" if p.address else "，并写明其地址")
    if refile:
        return "被投诉方写查明的经营者全称、地址和统一社会信用代码"
    return "被投诉方写经营者全称和地址（不知道的先查明，至少写收款商户名和网站域名）"


def _12315_step(ctx: _Ctx) -> Step:
    first = ctx.p("12315").first
    rule = complaint_rule(first.at.date() if first else ctx.today)
    basis = _rule_cites(rule, "acceptance") + (cite("consumer_law_39"),)
    pr = ctx.p("12315")
    if ctx.forum_taken and pr.state == "none":
        return Step(
            "12315",
            "全国12315平台",
            "not_applicable",
            f"{ctx.forum_taken}已受理同一争议，12315将不予受理。",
            "跳过。",
            basis=_rule_cites(rule, "refusal_citations"),
        )
    if ctx.stale and pr.state == "none":
        return Step(
            "12315",
            "全国12315平台",
            "not_applicable",
            "自知道权益受损已超过三年，12315不予受理。",
            "跳过。",
            basis=_rule_cites(rule, "refusal_citations"),
        )
    refile_rule = complaint_rule(ctx.today)
    if pr.state == "curable":
        ready = ctx.respondent_known
        return Step(
            "12315",
            "全国12315平台",
            "now" if ready else "next",
            pr.reason
            + ("。经营者已查明，现在重新投诉。" if ready else "。先完成\u201c查明经营者\u201d，再重新投诉。"),
            "在全国12315平台重新提交投诉：" + _respondent_text(ctx, refile=True) + "，"
            "附上次的不予受理告知、支付凭证上的收款商户名称和网站域名，写明订单号、问题和诉求，记下新的投诉编号。",
            documents=tuple(load("ladders")["documents"]["12315"]),
            basis=_rule_cites(refile_rule, "requires_respondent_citations") + (cite("consumer_law_46"),),
            warnings=[
                "缺少被投诉方名称、地址的投诉会被不予受理，但补正后可以重新投诉：这不是维权的终点，钱还没追回。"
            ],
        )
    if ctx.ptype == "fraud_runaway":
        fresh: Status = "now" if (ctx.filed("police") or ctx.filed(ctx.payment_channel or "")) else "next"
        step = _step_from_progress(
            ctx,
            "12315",
            fresh=fresh,
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
            ctx,
            "12315",
            fresh=fresh,
            fresh_reason=reason,
            action=(
                "在全国12315平台（网站、App或小程序）提交投诉："
                + _respondent_text(ctx)
                + "，写明订单号、问题、诉求，"
                "附证据清单，记下投诉编号；市场监管部门应在七个工作日内决定是否受理。"
            ),
            basis=basis,
        )
    if pr.state == "none":
        step.warnings.append(f"12315投诉适用{_rule_phrase(rule)}。{rule.raw['acceptance']['note']}")
        if not ctx.respondent_known:
            step.warnings.append(
                f"投诉须写明被投诉方的名称和地址，材料不全的不予受理（{_rule_phrase(rule, 'materials')}）："
                "先按\u201c查明经营者\u201d一步找到公司名称，至少填写支付凭证上的收款商户名和网站域名；"
                "万一被以信息不全为由不予受理，补齐后可以重新投诉。"
            )
        if ctx.facts.platform.sold_by == "shop" and rule.id == "samr_order_121":
            step.warnings.append(
                "店铺没有在平台公示地址或按公示地址联系不上的，可以由平台住所地的市场监督管理部门处理"
                f"（{_rule_phrase(rule, 'jurisdiction')}）。"
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
    return TrackedDeadline(
        "12315_odr", ODR_LABEL, ctx.cal.add_workdays(first.at.date(), ODR_WORKDAYS), "12315"
    )


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
        reason = "卡密无效、服务缩水这类质量问题，12315与黑猫投诉同时提交，监管与舆论一起施压。"
    else:
        fresh = "now" if ctx.filed("12315") else "next"
        reason = "12315投诉提交后，再在黑猫投诉公开投诉，借舆论压力促使平台回应；黑猫没有行政权力。"
    return _step_from_progress(
        ctx,
        "heimao",
        fresh=fresh,
        fresh_reason=reason,
        action="在黑猫投诉（tousu.sina.com.cn）发起投诉：标题、诉求、涉诉金额和问题描述，隐去个人信息，记下投诉单号。",
        basis=(cite("heimao_platform"),),
    )


def _payment_step(ctx: _Ctx) -> Step:
    channel = ctx.payment_channel
    if channel is None:
        method = {"bank_card": "银行卡", "other": "其他方式"}.get(
            ctx.facts.payment_method, ctx.facts.payment_method
        )
        return Step(
            "alipay" if ctx.facts.payment_method == "alipay" else "wechat_pay",
            "支付渠道投诉",
            "not_applicable",
            f"你通过{method}付款，不是支付宝或微信支付；可向发卡银行或支付机构客服说明情况，询问能否对该笔交易提出争议。",
            "跳过。",
            basis=(cite("ecommerce_law_53"),),
        )
    name = get_channel(channel).name
    basis = (
        cite("alipay_complaint") if channel == "alipay" else cite("wechat_pay_complaint_rules"),
        cite("ecommerce_law_57"),
    )
    if ctx.ptype == "fraud_runaway":
        return _step_from_progress(
            ctx,
            channel,
            fresh="now",
            fresh_reason="平台跑路或欺诈时，支付渠道最快：投诉后可能限制商户收款、冻结结算，并能查到收款商户主体。",
            action=f'立即在{name}里找到这笔付款，选择"投诉商家"，说明涉嫌欺诈、请求冻结商户资金并协助追回，附报警回执（如已报警）。',
            basis=basis,
        )
    fresh: Status
    if ctx.untraceable and ctx.cs_failed:
        fresh = "now"
        reason = (
            "网站没有公示营业执照、查不到ICP备案和公司名称，这类小卡盟要同时借助支付渠道和行业组织：支付平台掌握收款商户的"
            "实名主体，投诉后可能限制其收款，也能帮你查明经营者。"
        )
    elif ctx.gave_up("12315") or ctx.gave_up("heimao"):
        fresh, reason = "now", "监管和公开投诉没有解决，升级到支付渠道：支付平台可以限制违规商户收款。"
    else:
        fresh, reason = "next", "12315等渠道无果，或平台主体无法追溯时，通过支付渠道投诉商户。"
    return _step_from_progress(
        ctx,
        channel,
        fresh=fresh,
        fresh_reason=reason,
        action=f'在{name}账单中打开这笔付款，选择"投诉商家"，写明订单号、问题和退款诉求，保存投诉进度截图和收款商户全称。',
        basis=basis,
    )


def _12315_still_open(ctx: _Ctx) -> bool:
    """12315 can still take (or is handling) the dispute: a mediator's acceptance now would close it."""
    return ctx.p("12315").state in ("none", "waiting", "overdue", "curable")


def _industry_step(ctx: _Ctx) -> Step:
    fresh: Status = "now" if (ctx.untraceable and ctx.cs_failed) else "next"
    open_12315 = _12315_still_open(ctx) and not ctx.stale
    if open_12315:
        action = (
            "向行业自律组织（如中国互联网协会、网络游戏或电子商务行业协会）反映该平台，请其协助追溯经营主体、督促处理，附证据清单；"
            "在12315程序结束前，不要请求消费者协会或其他组织调解。"
        )
    else:
        action = "向行业自律组织（如中国互联网协会）反映该平台，或请求消费者协会调解，附证据清单。"
    step = _step_from_progress(
        ctx,
        "industry_assoc",
        fresh=fresh,
        name="向行业组织反映" if open_12315 else None,
        fresh_reason=(
            "网站查不到经营主体（没有公示营业执照、没有ICP备案、不知道公司名称），按\u201c小卡盟\u201d的办法，"
            "与支付渠道投诉、查明经营者同时进行：借助行业组织追溯主体、施加压力。"
            if fresh == "now"
            else "行业组织可以协助追溯主体和调解，适合主体难追溯或其他渠道无果时。"
        ),
        action=action,
        basis=(cite("ecommerce_law_60"), cite("consumer_law_39")),
    )
    if get_channel("industry_assoc").exclusive and open_12315 and step.status in ("now", "next"):
        rule = complaint_rule(ctx.today)
        step.warnings.append(
            "注意次序：消费者协会或其他调解组织一旦受理调解，12315将以\u201c同一争议已由其他调解组织受理\u201d为由不予受理或终止调解"
            f"（{_rule_phrase(rule, 'refusal')}）；只向行业组织反映、不申请调解的，不受影响。想走12315的，先走12315。"
        )
    return step


def _police_step(ctx: _Ctx) -> Step:
    threshold = Decimal(str(load("rules")["fraud_criminal_threshold"]["value"]))
    basis = (cite("criminal_law_266"), cite("telecom_fraud_opinion_2016"), cite("anti_telecom_fraud_30"))
    if ctx.ptype == "data_leak":
        return _step_from_progress(
            ctx,
            "police",
            fresh="next",
            fresh_reason="信息被出售或被用来诈骗你时，涉嫌侵犯公民个人信息罪，应向公安机关报案。",
            action="拨打110或到派出所报案，带上骚扰/诈骗记录和你在平台留信息的凭证。",
            basis=(cite("criminal_law_253_1"),),
        )
    step = _step_from_progress(
        ctx,
        "police",
        fresh="now",
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
        "12321": (
            "向12321网络不良与垃圾信息举报受理中心（www.12321.cn）举报该网站，写明域名和经过。12321不负责退款。",
            "channel_12321",
        ),
        "12377": (
            '在网信办违法和不良信息举报中心（www.12377.cn 或"网络举报"App）举报个人信息泄露，写明平台和泄露迹象。',
            "channel_12377",
        ),
        "12345": (
            "拨打12345政务服务便民热线或在当地12345平台留言，反映平台泄露个人信息，要求转交主管部门处理并告知结果。",
            "channel_12345",
        ),
    }

    def build(ctx: _Ctx) -> Step:
        action, cid = actions[channel]
        if ctx.ptype == "data_leak":
            fresh: Status = "next" if channel == "12321" else "now"
            reason = (
                "个人信息泄露可以向履行个人信息保护职责的部门投诉、举报，要求平台整改（个人信息保护法第六十五条）。"
                if channel != "12321"
                else "12321也受理个人信息泄露和骚扰信息举报，可作为补充。"
            )
            basis: tuple[Citation, ...] = (cite(cid), cite("pipl_65"))
        else:
            fresh, reason = "now", "平台跑路或诈骗，同步向12321举报网站，推动关停、提醒其他消费者。"
            basis = (cite(cid),)
        return _step_from_progress(ctx, channel, fresh=fresh, fresh_reason=reason, action=action, basis=basis)

    return build


def _operator_step(ctx: _Ctx) -> Step:
    p = ctx.facts.platform
    basis = (cite("ecommerce_law_15"), cite("consumer_law_44"), cite("civil_procedure_122"))
    if p.sold_by == "shop":
        shop = p.shop
        label = f"店铺\u201c{shop.name}\u201d" if shop and shop.name else "平台上的店铺"
        liability = (
            f"商品由{label}（平台内经营者）出售：投诉和起诉的对象是店铺的经营者；平台{p.display_name}不能提供店铺经营者"
            "真实名称、地址和有效联系方式的，你可以要求平台赔偿（消费者权益保护法第四十四条）；平台知道或者应当知道店铺"
            "侵害消费者权益而未采取必要措施的，与店铺承担连带责任（电子商务法第三十八条），可以把平台列为共同被告。"
        )
        shop_basis = (cite("consumer_law_44"), cite("ecommerce_law_38"), cite("civil_procedure_122"))
        if shop and shop.company:
            return Step(
                OPERATOR_TASK,
                "查明经营者",
                "done",
                f"{liability}店铺经营者已知：{shop.company}。",
                "已完成。",
                basis=shop_basis,
            )
        return Step(
            OPERATOR_TASK,
            "查明经营者",
            "now" if ctx.cs_failed else "next",
            f"{liability}店铺经营者的全称还不知道。",
            f"书面要求{p.display_name}提供该店铺经营者的真实名称、地址和有效联系方式（消费者权益保护法第四十四条）；"
            "同时查看店铺页面公示的营业执照信息（电子商务法第十五条），到国家企业信用信息公示系统核对名称和统一社会信用代码。",
            basis=shop_basis,
        )
    if p.operator_known:
        return Step(OPERATOR_TASK, "查明经营者", "done", f"经营者已知：{p.company}", "已完成。", basis=basis)
    clues = []
    if p.merchant_name:
        clues.append(f'支付凭证上的收款商户"{p.merchant_name}"')
    if p.icp:
        clues.append(f"ICP备案号{p.icp}")
    court_due = ctx.facts.amount >= Decimal(_defaults("court_recommend_min_amount"))
    urgent = (
        ctx.untraceable
        and (ctx.cs_failed or ctx.ptype == "fraud_runaway")
        or (court_due and ctx.cs_failed)
        or ctx.p("12315").state == "curable"
    )
    return Step(
        OPERATOR_TASK,
        "查明经营者",
        "now" if urgent else "next",
        (
            "12315因缺少被投诉方名称、地址不予受理：查明经营者后就可以重新投诉，起诉也需要明确的被告；"
            if ctx.p("12315").state == "curable"
            else "起诉必须有明确的被告，向监管部门投诉也要写明平台经营者；"
            if ctx.ptype == "data_leak"
            else "起诉必须有明确的被告，12315投诉也要写明被投诉方名称和地址；"
        )
        + (f"已有线索：{'、'.join(clues)}。" if clues else "目前还不知道网站背后的公司。"),
        "按顺序查：① 网站首页公示的营业执照（电子商务法第十五条）；② 工信部ICP/IP地址/域名信息备案管理系统（beian.miit.gov.cn）查域名主办单位；"
        "③ 支付宝/微信账单详情里的收款商户全称；④ 国家企业信用信息公示系统核对公司名称、统一社会信用代码和地址；"
        "⑤ 书面要求平台提供经营者真实名称、地址和联系方式（消费者权益保护法第四十四条），不能提供的可向平台主张赔偿。",
        basis=basis,
    )


def _claim_text(ctx: _Ctx) -> str:
    items = calculators.claim_items(ctx.facts, ctx.ptype)
    total = calculators.claim_total(ctx.facts, ctx.ptype)
    if len(items) == 1:
        return f"请求金额{calculators.yuan(total)}元（{items[0][0]}）"
    parts = "＋".join(f"{label}{calculators.yuan(a)}元" for label, a in items)
    return f"请求总额{calculators.yuan(total)}元（{parts}）"


def _payment_order_step(ctx: _Ctx, court_status: Status, why_not_now: str) -> Step:
    facts, p = ctx.facts, ctx.facts.platform
    po_basis = (cite("civil_procedure_225_228"), cite("civil_procedure_interp_427"), cite("court_fees_13"))
    if ctx.p("payment_order").state != "none":
        return _step_from_progress(
            ctx, "payment_order", fresh="next", fresh_reason="", action="", basis=po_basis
        )
    if ctx.ptype == "data_leak":
        return Step(
            "payment_order",
            "申请支付令",
            "not_applicable",
            "个人信息被泄露的损害赔偿需要法院认定数额和过错，不是确定、无争议的金钱债务，不适用支付令（民事诉讼法第二百二十五条）。",
            "不适用。",
            basis=po_basis,
        )
    agreed = calculators.agreed_refund(facts)
    any_agreed = [c for c in facts.contacts if c.agreed_amount is not None]
    if agreed is None:
        if any_agreed:
            why = (
                f"对方曾同意退还{calculators.yuan(any_agreed[-1].agreed_amount or Decimal(0))}元，但之后又拒绝或在调解中不同意，"
                "债务已有争议。"
            )
        else:
            why = "记录中没有平台书面同意退还确定金额的答复。"
        return Step(
            "payment_order",
            "申请支付令",
            "not_applicable",
            "不适用：支付令只适用于没有争议的金钱债务（民事诉讼法第二百二十五条）。"
            + why
            + "\u201c会处理\u201d\u201c24小时内处理\u201d这类承诺不是承认欠款；对方拒绝退款、调解中不同意的，说明双方有争议。"
            "对方一提出书面异议，支付令即失效，不如直接起诉。",
            "不适用。",
            basis=po_basis,
        )
    fit = calculators.payment_order_fit(
        debtor_identified=ctx.respondent_known,
        debtor_reachable=p.reachable,
        debt_acknowledged=True,
        counter_dispute=False,
    )
    amount = agreed.agreed_amount or facts.amount
    if not fit.fits:
        return Step(
            "payment_order", "申请支付令", "not_applicable", fit.explanation, "不适用。", basis=po_basis
        )
    fee = calculators.court_fee(amount, "payment_order")
    return _step_from_progress(
        ctx,
        "payment_order",
        fresh=court_status,
        fresh_reason=(
            f"{_d(agreed.at)}对方书面同意退还{calculators.yuan(amount)}元却没有支付，这是确定、没有争议的金钱债务，"
            f"可以申请支付令：不开庭，申请费为诉讼费的三分之一（约{fee.fee:.0f}元）；对方在十五日内提出书面异议的，转入诉讼。"
            + ("" if court_status == "now" else why_not_now)
        ),
        action=f"向被申请人住所地基层人民法院提交《支付令申请书》，请求支付对方同意退还的{calculators.yuan(amount)}元，附对方同意退款的答复截图和证据清单。",
        basis=po_basis,
    )


def _court_steps(ctx: _Ctx) -> list[Step]:
    facts = ctx.facts
    p = facts.platform
    threshold = Decimal(_defaults("court_recommend_min_amount"))
    claim = calculators.claim_total(facts, ctx.ptype)
    claim_text = _claim_text(ctx)
    sc_basis = (
        cite("civil_procedure_165"),
        cite("civil_procedure_166"),
        cite("court_fees_13"),
        cite("civil_procedure_interp_20"),
    )
    sc_pr = ctx.p("small_claims")
    defendant = _respondent_name(ctx)

    def court(status: Status, reason: str, action: str, basis: tuple[Citation, ...], name: str) -> Step:
        step = _step_from_progress(
            ctx, "small_claims", fresh=status, fresh_reason=reason, action=action, basis=basis
        )
        if sc_pr.state == "none":
            step.name = name
        return step

    blockers = []
    if not ctx.evidence.complete:
        blockers.append("证据链还有缺口（见证据清单）")
    if not ctx.respondent_known:
        blockers.append("还不知道被告是谁（先查明经营者）")
    why_not_now = (
        f"暂不起诉：{'；'.join(blockers)}。"
        if blockers
        else "先走完12315和支付渠道：成本更低，也不会因法院受理而关闭12315。"
    )

    if ctx.ptype == "data_leak":
        fee = calculators.court_fee(claim, "ordinary")
        sc = court(
            "next",
            "泄露个人信息是侵权纠纷（案由：个人信息保护纠纷），按普通程序审理，不适用小额诉讼：小额诉讼只适用于简单的金钱给付案件"
            "（民事诉讼法第一百六十五条）。管辖：由侵权行为地或者被告住所地人民法院管辖（第二十九条）；信息网络侵权的"
            "侵权结果发生地包括你的住所地（民诉法解释第二十五条），所以可以向你住所地的基层人民法院起诉。平台不能证明自己"
            "没有过错的，应当承担赔偿责任（个人信息保护法第六十九条）。"
            f"诉讼费以法院通知为准（按财产案件标准约{fee.fee:.0f}元；人格权案件另有每件定额标准）。"
            + (
                f"暂不起诉：{'；'.join(blockers)}。"
                if blockers
                else "先要求平台补救并保存答复，再决定是否起诉。"
            ),
            "向你住所地或平台住所地的基层人民法院提交《民事起诉状》（案由：个人信息保护纠纷），请求停止侵害、删除你的个人信息、"
            "赔礼道歉并赔偿损失，附骚扰/诈骗记录和你在平台留存信息的凭证。",
            (
                cite("civil_procedure_29"),
                cite("civil_procedure_interp_25"),
                cite("pipl_69"),
                cite("civil_procedure_165"),
            ),
            "向法院起诉（普通程序）",
        )
        return [sc, _payment_order_step(ctx, "next", why_not_now)]

    prior_done = (
        ctx.gave_up("12315") or ctx.p("12315").state == "none" and ctx.forum_taken is not None
    ) and (ctx.payment_channel is None or ctx.gave_up(ctx.payment_channel) or ctx.ptype == "fraud_runaway")
    ready = ctx.evidence.complete and ctx.respondent_known
    court_status: Status = "now" if (prior_done and ready) else "next"

    if facts.amount < threshold and sc_pr.state == "none":
        procedure = calculators.court_procedure(facts, ctx.ptype, ctx.today)
        fee_sc = calculators.court_fee(claim, procedure)
        reason = (
            f"涉案{facts.amount:.2f}元，低于建议起诉金额{threshold:.0f}元（经验值，不是法律限制）。"
            f"诉讼费约{fee_sc.fee:.0f}元，但出庭和取证的时间成本远高于监管和支付渠道；"
            "小额纠纷优先12315、黑猫和支付渠道。其他渠道全部无果时，你仍有权自行起诉。"
        )
        status: Status = "not_applicable"
        name, action = "向法院起诉", "暂不考虑。"
        if not p.reachable and ctx.respondent_known:
            # A vanished but identified operator can still be sued: say so rather than ruling court out.
            status, name = "next", "向法院起诉（普通程序）"
            reason += (
                f"经营者{defendant}虽已失联，但身份已经查明，仍然可以按普通程序起诉，由法院公告送达（民事诉讼法第九十五条）；"
                "只有小额诉讼（第一百六十六条）和简易程序（民诉法解释第二百五十七条）不适用被告下落不明的案件。"
            )
            action = f"其他渠道无果时，向你住所地或被告住所地基层人民法院起诉{defendant}，请求公告送达。"
        elif not p.reachable:
            reason += "经营者失联且身份未明：查明后即使找不到人，也可以按普通程序起诉并由法院公告送达（民事诉讼法第九十五条）。"
        sc = Step(
            "small_claims",
            name,
            status,
            reason,
            action,
            documents=tuple(load("ladders")["documents"]["small_claims"]) if status == "next" else (),
            basis=sc_basis
            if p.reachable
            else (
                cite("civil_procedure_95"),
                cite("civil_procedure_166"),
                cite("civil_procedure_interp_257"),
                cite("court_fees_13"),
            ),
        )
        return [sc, _payment_order_step(ctx, "next", why_not_now)]

    if not p.reachable:
        vanished_basis = (
            cite("civil_procedure_95"),
            cite("civil_procedure_166"),
            cite("civil_procedure_interp_257"),
            cite("court_fees_13"),
        )
        fee = calculators.court_fee(claim, "ordinary")
        if ctx.respondent_known:
            sc = court(
                court_status,
                f"经营者{defendant}已失联，但身份已经查明：仍然可以按普通程序起诉，找不到人的由法院公告送达"
                "（民事诉讼法第九十五条，公告三十日视为送达）。只有小额诉讼（第一百六十六条）和简易程序"
                "（民诉法解释第二百五十七条）不适用被告下落不明的案件。"
                f"{claim_text}，普通程序诉讼费约{fee.fee:.0f}元（按请求总额全额交纳，诉讼费用交纳办法第十三条）。"
                + ("" if court_status == "now" else why_not_now),
                f"向你住所地（在线交付的买卖合同以买受人住所地为合同履行地）或被告住所地基层人民法院起诉{defendant}，"
                "在起诉状中写明被告下落不明、请求公告送达，附查明被告身份的材料和证据清单。",
                vanished_basis,
                "向法院起诉（普通程序）",
            )
        else:
            sc = court(
                "next",
                "经营者已失联，身份也还没查明：起诉必须有明确的被告（民事诉讼法第一百二十二条），先报警、通过支付渠道追查收款主体。"
                "查明以后，即使对方下落不明，也可以按普通程序起诉，由法院公告送达（第九十五条）；"
                "小额诉讼和简易程序不适用被告下落不明的案件（第一百六十六条、民诉法解释第二百五十七条）。",
                "查明经营者后，向你住所地或被告住所地基层人民法院起诉，请求公告送达。",
                (cite("civil_procedure_122"), *vanished_basis),
                "向法院起诉（普通程序）",
            )
        return [sc, _payment_order_step(ctx, court_status, why_not_now)]

    eligibility = calculators.small_claims_eligibility(claim, facts.province, ctx.today)
    small = eligibility.status in ("eligible", "unknown")
    fee = calculators.court_fee(claim, "small_claims" if small else "simplified")
    po = _payment_order_step(ctx, court_status, why_not_now)
    po_first = po.status in ("now", "next") and ctx.p("payment_order").state == "none"
    sc = court(
        "next" if po_first else court_status,
        ("先申请支付令；对方提出书面异议、支付令失效的，再起诉。" if po_first else "")
        + f"{'外部渠道均未解决，' if prior_done else ''}金额较大，适合诉讼。{claim_text}。{eligibility.explanation}"
        f"预计诉讼费约{fee.fee:.0f}元（按请求总额计算，{'小额诉讼' if small else '简易程序'}减半交纳，诉讼费用交纳办法第十三条、第十六条）。"
        + ("" if court_status == "now" else why_not_now),
        f"向你住所地（在线交付的买卖合同以买受人住所地为合同履行地）或被告住所地基层人民法院起诉{defendant}，"
        "提交《民事起诉状》和证据清单，可通过人民法院在线服务网上立案。",
        sc_basis,
        "小额诉讼" if small else "向法院起诉",
    )
    steps = [sc, po]
    if _12315_still_open(ctx) and ctx.p("12315").state != "failed" and ctx.ptype != "fraud_runaway":
        for s in steps:
            if s.status in ("now", "next"):
                s.warnings.append(
                    '法院受理后，12315将以"法院已受理同一争议"为由不予受理或终止调解：先走完12315再起诉。'
                )
    return steps


def _respondent_name(ctx: _Ctx) -> str:
    p = ctx.facts.platform
    if p.sold_by == "shop":
        shop = p.shop
        platform = (
            f"；平台不能提供店铺经营者真实信息，或者知道、应当知道店铺侵权未采取必要措施的，可以一并起诉平台经营者{p.company}"
            "（消费者权益保护法第四十四条、电子商务法第三十八条）"
            if p.company
            else ""
        )
        return (f"{shop.company}（店铺经营者）" if shop and shop.company else "店铺经营者") + platform
    return p.company or "经营者"


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
    demands = [
        c.at.date() for c in facts.contacts if c.channel in ("platform_cs", "small_claims", "payment_order")
    ]
    restarted = max(demands) if demands and max(demands) > start else None
    base = restarted or start
    # A deadline the consumer must meet: an unknown 调休 arrangement never makes it later than shown.
    dl = cal.add_years(base, 3).for_consumer()
    how = f"自{base.isoformat()}起算三年" + (
        "（最近一次向平台提出请求使时效中断、重新计算，民法典第一百九十五条）" if restarted else ""
    )
    return TrackedDeadline("limitation", "诉讼时效（三年）", dl), how


def _warnings(
    ctx: _Ctx, steps: list[Step], limitation: TrackedDeadline, limitation_how: str
) -> list[Warning]:
    facts, out = ctx.facts, []
    out.append(
        Warning(
            "agent_scam",
            '警惕"代理投诉/代理维权/追款"：声称收费帮你追回钱款的机构可能泄露你的信息甚至二次诈骗。'
            "只通过官方渠道投诉；96110只是预警咨询电话，报案请拨110。",
        )
    )
    if ctx.ptype != "data_leak":
        out.append(
            Warning(
                "no_seven_day_return",
                '不要以"七天无理由退货"申请：在线交付的卡密等数字商品不适用无理由退货（消费者权益保护法第二十五条）。'
                "卡密无效、未发货、服务缩水属于违约或质量问题，应要求补发、退款或赔偿。",
                (cite("consumer_law_25"), cite("consumer_law_24"), cite("civil_code_577")),
            )
        )
    lim_left = (limitation.deadline.date - ctx.today).days
    operator_note = (
        ""
        if facts.platform.operator_known
        else "经营者尚未查明时，时效自知道义务人之日起才开始计算，这里按保守日期提示。"
    )
    level = (
        "诉讼时效即将届满，请尽快起诉或向平台书面主张权利。"
        if lim_left <= _defaults("limitation_warn_days")
        else ""
    )
    out.append(
        Warning(
            "limitation",
            f"诉讼时效三年：{limitation_how}，至{limitation.deadline.date.isoformat()}。{operator_note}{level}"
            "12315也不受理自知道权益受损起超过三年的投诉。",
            (cite("civil_code_188"), cite("civil_code_195")),
        )
    )
    if ctx.stale:
        out.append(
            Warning(
                "stale",
                "自知道权益受损已超过三年：12315不予受理，诉讼可能因时效届满被对方抗辩。",
                (cite("civil_code_188"),),
            )
        )
    if ctx.forum_taken:
        out.append(
            Warning(
                "forum_taken",
                f"{ctx.forum_taken}已受理同一争议：12315不会再受理。",
                _rule_cites(complaint_rule(ctx.today), "refusal_citations"),
            )
        )
    text = facts.description or ""
    if any(t in text for t in ("最终解释权", "概不退换", "不退不换", "售出不退")):
        out.append(
            Warning(
                "void_terms",
                '"最终解释权归本站所有""卡密售出概不退换"这类格式条款排除消费者权利，依法无效，不影响你主张退款或补发。',
                (cite("consumer_law_26"), cite("online_consumption_rules_1"), cite("penalty_measures_12")),
            )
        )
    if any(s.deadline and s.deadline.provisional for s in steps) or limitation.deadline.provisional:
        out.append(
            Warning(
                "provisional_calendar",
                "部分期限落在国务院节假日安排尚未发布的年份：法定节假日（元旦、春节、清明、劳动节、端午、中秋、国庆）已计入，"
                "只有调休安排未知，可能使期限前后移动，已标出最早和最晚日期；你自己要遵守的期限按最早日期提示。"
                "安排发布后本工具会重新计算。",
            )
        )
    if ctx.p("12315").state == "none" and any(s.channel == "12315" and s.status == "now" for s in steps):
        rule = complaint_rule(ctx.today)
        if rule.id == "samr_order_121":
            out.append(
                Warning(
                    "rule_version",
                    "2026年4月15日起，12315投诉适用《市场监督管理投诉举报处理办法》（国家市场监督管理总局令第121号），"
                    "原《市场监督管理投诉举报处理暂行办法》同时废止。受理后调解不成的，自受理之日起六十日终止调解"
                    "（条文以官方公布文本为准）。",
                    (cite("samr_order121"), cite("samr_order121_mediation")),
                )
            )
    industry = next((s for s in steps if s.channel == "industry_assoc"), None)
    if industry is not None and industry.status == "now" and _12315_still_open(ctx) and not ctx.stale:
        out.append(
            Warning(
                "mediation_closes_12315",
                "消费者协会或其他调解组织受理调解后，12315不再受理同一争议：12315还没有走完时，只向行业组织反映情况，"
                "不要申请调解。",
                _rule_cites(complaint_rule(ctx.today), "refusal_citations"),
            )
        )
    if ctx.facts.platform.sold_by is None and ctx.ptype != "data_leak":
        out.append(
            Warning(
                "seller_unknown",
                "请确认：商品是平台自营还是店铺出售？店铺出售的，投诉和起诉的对象是店铺经营者，平台承担相应责任"
                "（消费者权益保护法第四十四条、电子商务法第三十八条）。",
                (cite("consumer_law_44"), cite("ecommerce_law_38")),
            )
        )
    if ctx.ptype == OTHER:
        out.append(
            Warning(
                "unclassified",
                "无法从描述判断问题类型：请补充经过（发生了什么、平台怎么答复），或手动选择问题类型。",
            )
        )
    out.append(Warning("not_legal_advice", DISCLAIMER))
    return out


# --- entry point ---------------------------------------------------------------------------------------------------


def plan(facts: CaseFacts, today: dt.date, *, calendar: WorkCalendar | None = None) -> Plan:
    """The whole plan for ``facts`` as of ``today``. Pure: same facts, date and calendar give the same plan."""
    cal = calendar or default_calendar()
    classification = classify(facts.description, today=today) if facts.description else None
    ptype = facts.problem_type or (classification.type if classification else OTHER)

    p = facts.platform
    respondent_known = bool(p.shop and p.shop.company) if p.sold_by == "shop" else p.operator_known
    progress: dict[str, Progress] = {}
    for channel in {c.channel for c in facts.contacts}:
        contacts = facts.contacts_with(channel)
        if channel == "platform_cs":
            progress[channel] = _cs_progress(contacts, cal, today)
        elif channel == "12315":
            progress[channel] = _12315_progress(contacts, cal, today, respondent_known)
        else:
            progress[channel] = _generic_progress(channel, contacts, cal, today)

    cs = progress.get("platform_cs", Progress("none"))
    cs_failed = cs.state == "failed" or (not facts.platform.reachable)
    # "小卡盟（无固定办公地点、频繁更换域名）→ 行业组织+支付渠道投诉" (seed §二 step 3): no company name, no ICP record,
    # no licence on the site — nobody behind it can be traced, so the payment channel and the industry body are
    # current steps together with identifying the operator, not only "next" after 12315.
    # On a marketplace the platform itself must disclose the shop's operator (消法 Art. 44): only an untraceable
    # platform makes the case untraceable.
    traced = p.operator_known if p.sold_by == "shop" else respondent_known
    untraceable = not traced and not p.icp and not p.credit_code
    forum_taken = next(
        (
            get_channel(ch).name
            for ch, pr in progress.items()
            if get_channel(ch).exclusive
            and ch != "12315"
            and pr.state != "none"
            and any(c.response in ("accepted", "resolved", "failed") for c in facts.contacts_with(ch))
        ),
        None,
    )
    knew = facts.knew_harm_at or facts.paid_at.date()
    stale = cal.add_years(knew, 3).date < today
    court_considered = facts.amount >= Decimal(_defaults("court_recommend_min_amount"))
    report = analyse(facts, ptype, court_considered=court_considered)
    payment_channel = facts.payment_method if facts.payment_method in ("alipay", "wechat_pay") else None
    ctx = _Ctx(
        facts,
        today,
        cal,
        ptype,
        progress,
        cs_failed,
        untraceable,
        forum_taken,
        stale,
        report,
        payment_channel,
        respondent_known,
    )

    steps = _build_steps(ctx)
    if any(s.channel in ("small_claims", "payment_order") and s.status == "now" for s in steps):
        # Court is justified (amount, complete evidence, known and reachable operator, official channels tried):
        # untried optional pressure channels stay listed but no longer compete for the next action.
        for s in steps:
            if (
                s.channel in ("heimao", "industry_assoc")
                and s.status == "now"
                and ctx.p(s.channel).state == "none"
            ):
                s.status = "next"
                s.reason = "金额较大、证据齐全且外部渠道已无果，优先起诉；" + s.reason
    resolved = next((ch for ch, pr in progress.items() if pr.state == "resolved"), None)
    if resolved:
        for s in steps:
            if s.status in ("now", "next", "waiting"):
                s.status, s.reason, s.action = (
                    "not_applicable",
                    f"已通过{get_channel(resolved).name}解决，无需此步。",
                    "无需处理。",
                )

    cs_runaround = (
        bool(classification and classification.cs_runaround)
        or cs.state == "failed"
        and bool(cs.last and cs.last.response in ("no_reply", "promised", "pending"))
    )
    limitation, limitation_how = _limitation(facts, cal)
    deadlines = [
        TrackedDeadline(f"{s.channel}", s.deadline_label or s.name, s.deadline, s.channel)
        for s in steps
        if s.deadline and s.status in ("waiting", "now")
    ]
    deadlines.append(limitation)
    deadlines.extend(d for d in (_odr_deadline(ctx),) if d is not None and not resolved)
    warnings = _warnings(ctx, steps, limitation, limitation_how)

    now_steps = [s for s in steps if s.status == "now"]
    # 12315 refused for want of the respondent's name: finding it leads the current steps.
    if progress.get("12315", Progress("none")).state == "curable":
        now_steps.sort(key=lambda s: s.channel != OPERATOR_TASK)
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
        next_reason = (
            f"已通过{get_channel(resolved).name}解决。"
            if resolved
            else "列出的渠道都已尝试，款项仍未追回：案件没有结束。核对证据和经营者信息后，可以重新投诉、报警或向法院起诉。"
        )

    fraud = calculators.fraud_claimed(facts, ptype)
    claim = calculators.claim_total(facts, ptype)
    procedure = calculators.court_procedure(facts, ptype, today)
    agreed = calculators.agreed_refund(facts)
    calculations: dict[str, Any] = {
        "punitive_damages": calculators.punitive_damages(facts.amount, fraud).to_dict(),
        "claim_total": calculators._money(claim),
        "claim_items": [
            {"label": label, "amount": calculators._money(a)}
            for label, a in calculators.claim_items(facts, ptype)
        ],
        "court_procedure": procedure,
        "small_claims": calculators.small_claims_eligibility(claim, facts.province, today).to_dict(),
        "court_fee": calculators.court_fee(claim, procedure).to_dict(),
        "payment_order_fee": calculators.court_fee(
            agreed.agreed_amount if agreed and agreed.agreed_amount else facts.amount, "payment_order"
        ).to_dict(),
        "amount_in_words": calculators.amount_in_words(facts.amount),
        "claim_total_in_words": calculators.amount_in_words(claim),
    }
    excluded = _small_claims_excluded(facts, ptype)
    if excluded:
        calculations["small_claims"] = {
            **calculations["small_claims"],
            "status": "not_eligible",
            "explanation": excluded,
        }
    if ptype == "data_leak":
        calculations["punitive_damages"] = {
            **calculations["punitive_damages"],
            "applicable": False,
            "amount": None,
            "explanation": "个人信息泄露按侵权请求赔偿实际损失（个人信息保护法第六十九条），不适用消费者权益保护法第五十五条的三倍赔偿。",
        }
    rule_date = (
        progress["12315"].first.at.date() if "12315" in progress and progress["12315"].first else today
    )
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
        resolved_by=resolved,
        questions=_questions(facts, ptype),
    )


def _small_claims_excluded(facts: CaseFacts, ptype: str) -> str | None:
    """Why small claims cannot apply whatever the amount (CPL Arts. 165–166), or None."""
    if ptype == "data_leak":
        return (
            "个人信息保护纠纷是侵权纠纷，不适用小额诉讼：小额诉讼只适用于事实清楚、权利义务关系明确、争议不大的简单金钱给付案件"
            "（民事诉讼法第一百六十五条），按普通程序起诉。"
        )
    if not facts.platform.reachable:
        return (
            "经营者下落不明，不适用小额诉讼（民事诉讼法第一百六十六条）和简易程序（民诉法解释第二百五十七条）；"
            "身份查明后可以按普通程序起诉，由法院公告送达（民事诉讼法第九十五条）。"
        )
    return None


def _questions(facts: CaseFacts, ptype: str) -> list[str]:
    """Facts the plan needs and does not guess."""
    out = []
    if facts.platform.sold_by is None and ptype != "data_leak":
        out.append(
            "商品是平台自营还是店铺出售？店铺（平台内经营者）出售的，投诉和起诉的对象是店铺经营者，平台在不能提供店铺真实"
            "名称、地址和联系方式，或者知道店铺侵权却不采取措施时承担责任（消费者权益保护法第四十四条、电子商务法第三十八条）。"
        )
    return out
