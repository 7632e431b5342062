"""The plan as readable Chinese text (the CLI's default output)."""

from __future__ import annotations

from typing import Any

from weiquan.domain.documents import DOCUMENT_KINDS
from weiquan.domain.escalation import Plan

MARKS = {"done": "✓", "now": "▶", "waiting": "…", "next": "○", "not_applicable": "–"}


def _cite_text(b: dict[str, str]) -> str:
    """《法》第X条 for laws; a title that already carries its marks keeps them (inner marks become 〈〉), and a
    platform's own rules are named without title marks."""
    law, article = b["law"], b["article"]
    if law.endswith("》") or "》（" in law:
        return f"{law}{article}"
    if "《" in law:
        return "《" + law.replace("《", "〈").replace("》", "〉") + f"》{article}"
    if any(w in law for w in ("平台", "中心", "支付", "说明")):
        return f"{law}（{article}）"
    return b["text"]


def _rule_line(rule: dict[str, Any]) -> str:
    if rule["effective_to"] is None:
        y, m, day = (int(x) for x in rule["effective_from"].split("-"))
        return f"{rule['name']}（{y}年{m}月{day}日起施行）"
    y, m, day = (int(x) for x in rule["effective_to"].split("-"))
    return f"{rule['name']}（适用于{y}年{m}月{day}日前提交的投诉）"


def render_plan_text(plan: Plan) -> str:
    d: dict[str, Any] = plan.to_dict()
    facts = plan.facts
    out: list[str] = []
    add = out.append
    pr = d["problem"]
    head = f"维权计划 · {facts.platform.display_name} · {facts.amount:.2f}元"
    if facts.order_no:
        head += f" · 订单 {facts.order_no}"
    add(head)
    add(f"计划日期：{d['today']}")
    add("")
    cat = f"（{pr['category_label']}）" if pr["category_label"] else ""
    add(f"问题类型：{pr['label']}{cat}" + ("，由你的描述判断" if pr["source"] == "classified" else ""))
    if pr["signals"]:
        add(f"  判断依据：文字中的「{'」「'.join(pr['signals'])}」")
    if pr["cs_runaround"]:
        add("  另有：售后推诿")
    if pr["must_prove"]:
        add(f"  你需要证明：{'；'.join(f['label'] for f in d['evidence']['facts'])}")
    if pr["demands"]:
        add(f"  常见诉求：{'、'.join(pr['demands'])}")
    if plan.step("12315") is not None:
        add(f"  12315投诉适用：{_rule_line(d['rule_version'])}")
    add("")
    na = d["next_action"]
    add(f"▶ 下一步：{na['name'] or ('已解决' if plan.resolved_by else '款项尚未追回')}")
    add(f"  为什么：{na['reason']}")
    add(f"  怎么做：{na['action']}")
    if na["deadline"]:
        add(f"  期限：{na['deadline']}")
    if na["documents"]:
        titles = "、".join(f"《{DOCUMENT_KINDS[k].title}》" for k in na["documents"])
        add(f"  文书：{titles}（用 weiquan docs 案件文件 --out 目录 生成）")
    for w in na.get("warnings", []):
        add(f"  ⚠ {w}")
    if d.get("questions"):
        add("")
        add("需要你确认：")
        for q in d["questions"]:
            add(f"  ？ {q}")
    add("")
    add("维权阶梯（先内后外、逐级升级）：")
    for i, s in enumerate(d["steps"], 1):
        add(f" {i:>2}. {MARKS[s['status']]} [{s['status_label']}] {s['name']}")
        add(f"      {s['reason']}")
        if s["status"] in ("now", "next") and s["action"]:
            add(f"      做法：{s['action']}")
        if s["deadline"]:
            left = s["workdays_left"]
            left_txt = f"，还剩{left}个工作日" if left is not None and left >= 0 else "，已过期"
            det = s["deadline_detail"]
            if det["provisional"] and det.get("earliest") and det.get("latest"):
                left_txt += f"（调休安排未发布：最早{det['earliest']}，最晚{det['latest']}）"
            add(f"      期限：{s['deadline_label']}：{s['deadline']}{left_txt}")
            add(f"      计算：{s['deadline_detail']['explain']}")
        if s["basis"]:
            add(f"      依据：{'；'.join(_cite_text(b) for b in s['basis'])}")
        for w in s["warnings"]:
            add(f"      ⚠ {w}")
    add("")
    ev = d["evidence"]
    held = "、".join(f"{h['label']}" for h in ev["held"]) or "无"
    add(f"证据链：已有 {held}")
    for fact in ev["facts"]:
        add(f"  {'✓' if fact['covered'] else '✗'} {fact['label']}")
    if ev["missing"]:
        add("  缺口：")
        for g in ev["missing"]:
            add(f"  - {g['label']}（{g['group']}）：{g['why']}")
            add(f"    怎么取得：{g['how']}")
    for n in ev["notes"]:
        add(f"  · {n}")
    add("")
    add("期限一览：")
    for t in d["deadlines"]:
        detail = t["detail"]
        when = ""
        if t["provisional"] and detail.get("earliest") and detail.get("latest"):
            when = f"（调休安排未发布：最早{detail['earliest']}，最晚{detail['latest']}）"
        add(f"  - {t['label']}：{t['date']}{when}")
        add(f"    {t['explain']}")
    add("")
    calc = d["calculations"]
    add("测算：")
    add(f"  - 惩罚性赔偿：{calc['punitive_damages']['explanation']}")
    add(f"  - 小额诉讼：{calc['small_claims']['explanation']}")
    if len(calc["claim_items"]) > 1:
        items = "＋".join(f"{i['label']}{i['amount']}元" for i in calc["claim_items"])
        add(f"  - 起诉请求总额：{calc['claim_total']}元（{items}）")
    basis = "按赔偿请求金额估算" if plan.problem_type == "data_leak" else f"按请求总额{calc['claim_total']}元"
    add(f"  - 诉讼费（{basis}）：{calc['court_fee']['explanation']}")
    add(f"  - 金额大写：{calc['amount_in_words']}")
    add("")
    add("注意：")
    for w in d["warnings"]:
        # The seller question is already asked under 需要你确认.
        if w["code"] not in ("not_legal_advice", "seller_unknown"):
            add(f"  ⚠ {w['message']}")
    add("")
    add(d["disclaimer"])
    return "\n".join(out) + "\n"
