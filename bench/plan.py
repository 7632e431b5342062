"""Plans per second for 10,000 generated cases, on one core.

Target (issue 2): < 2 ms a plan. Prints the mean time per plan and its ratio to the 2 ms target (≤ 1.0 passes),
for plan() alone and for plan() + to_dict() (what the CLI's --json and the API pay).

    uv run python bench/plan.py [N]
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time

from weiquan.domain.escalation import plan
from weiquan.domain.facts import parse_case
from weiquan.domain.taxonomy import TYPE_IDS

TARGET_MS = 2.0
STORIES = {
    "invalid_code": "在{p}买了{a}元点卡，卡密显示已被使用，客服说不退",
    "delayed_delivery": "{p}充值{a}元话费三天了还没到账，客服一直说在处理",
    "fake_stock": "{p}页面显示有货，付款{a}元后说缺货，也不退款",
    "service_shrink": "{p}买的年卡会员{a}元只给了一个月，客服不理",
    "fraud_runaway": "{p}收了我{a}元后网站打不开了，客服把我拉黑，跑路了",
    "data_leak": "在{p}实名后天天接到诈骗电话，对方知道我的订单信息",
}


def generate(n: int, seed: int = 20261125) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        ptype = rng.choice(TYPE_IDS)
        amount = rng.choice([30, 100, 200, 500, 1200, 3000, 8000, 20000])
        paid = dt.datetime(2026, 1, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(
            days=rng.randrange(0, 320), minutes=rng.randrange(0, 600)
        )
        platform = {
            "name": f"测试卡盟{i % 97}",
            "domain": f"km{i % 97}.example.com",
            "reachable": ptype != "fraud_runaway",
        }
        if rng.random() < 0.3:
            platform["company"] = f"某某网络科技有限公司{i % 13}"
        contacts = []
        t = paid + dt.timedelta(hours=2)
        for channel, response in rng.choice(
            [
                [],
                [("platform_cs", "refused")],
                [("platform_cs", "promised")],
                [("platform_cs", "refused"), ("12315", "pending")],
                [("platform_cs", "refused"), ("12315", "accepted")],
                [("platform_cs", "refused"), ("12315", "failed"), ("alipay", "rejected")],
            ]
        ):
            c = {"at": t.isoformat(), "channel": channel, "response": response}
            if response == "promised":
                c["promise"] = rng.choice(["24小时内处理", "3个工作日内", "明天"])
            contacts.append(c)
            t += dt.timedelta(days=rng.randrange(1, 20))
        kinds = [
            "order_screenshot",
            "payment_record",
            "cs_chat",
            "error_recording",
            "platform_terms",
            "harassment_record",
        ]
        cases.append(
            {
                "description": STORIES[ptype].format(p=platform["name"], a=amount)
                if rng.random() < 0.5
                else None,
                "problem_type": ptype if rng.random() < 0.7 else None,
                "amount": amount,
                "paid_at": paid.isoformat(),
                "payment_method": rng.choice(["alipay", "wechat_pay", "bank_card"]),
                "province": rng.choice(["江苏", "上海", "广东", None]),
                "platform": platform,
                "contacts": contacts,
                "evidence": [{"kind": k} for k in rng.sample(kinds, rng.randrange(0, 5))],
            }
        )
        if not cases[-1]["description"] and not cases[-1]["problem_type"]:
            cases[-1]["problem_type"] = ptype
    return cases


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    raw = generate(n)
    facts = [parse_case(c) for c in raw]
    today = dt.date(2026, 11, 25)
    plan(facts[0], today)  # warm caches: data files, calendar tables, classifier lexicon

    start = time.perf_counter()
    for f in facts:
        plan(f, today)
    plan_s = time.perf_counter() - start

    start = time.perf_counter()
    for f in facts:
        plan(f, today).to_dict()
    full_s = time.perf_counter() - start

    start = time.perf_counter()
    for c in raw:
        parse_case(c)
    parse_s = time.perf_counter() - start

    for label, secs in (("plan()", plan_s), ("plan().to_dict()", full_s), ("parse_case()", parse_s)):
        ms = secs / n * 1000
        print(
            f"{label:<18} {n / secs:9.0f} per s   {ms:.3f} ms each   ratio to 2 ms target: {ms / TARGET_MS:.2f}"
        )


if __name__ == "__main__":
    main()
