"""The seed's scenarios, one readable test each: the facts a consumer brings, the plan they get."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from weiquan.domain.escalation import plan
from weiquan.domain.facts import load_case, parse_case

EXAMPLES = Path(__file__).parent.parent / "examples"


def plan_of(name: str, today: str) -> dict:
    return plan(load_case(EXAMPLES / name), dt.date.fromisoformat(today)).to_dict()


def steps_by_channel(p: dict) -> dict[str, dict]:
    return {s["channel"]: s for s in p["steps"]}


def test_seed_example_invalid_code_refused_by_cs_goes_to_12315_and_heimao_jointly():
    # Seed §二: "于X月X日在XX卡盟购买100元游戏点卡，卡密激活失败，客服拒绝处理" → 12315 + 黑猫.
    p = plan_of("seed-invalid-code.json", "2026-11-25")
    steps = steps_by_channel(p)
    assert p["problem"]["type"] == "invalid_code"
    assert p["problem"]["category"] == "quality"
    assert steps["platform_cs"]["status"] == "done"
    assert steps["12315"]["status"] == "now"
    assert steps["heimao"]["status"] == "now"
    assert p["next_action"]["channel"] == "12315"
    assert "黑猫" in p["next_action"]["reason"]
    # 卡密无效 must show the code was unused and failed: the recording is the named gap.
    missing = {m["kind"] for m in p["evidence"]["missing"]}
    assert "error_recording" in missing
    # 100 元: no court.
    assert steps["small_claims"]["status"] == "not_applicable"
    assert steps["payment_order"]["status"] == "not_applicable"
    codes = {w["code"] for w in p["warnings"]}
    assert {"agent_scam", "no_seven_day_return", "limitation", "not_legal_advice"} <= codes


def test_seed_example_cites_sources_for_every_step():
    p = plan_of("seed-invalid-code.json", "2026-11-25")
    for step in p["steps"]:
        assert step["basis"], step["channel"]
        for b in step["basis"]:
            assert b["source"] and b["law"]


def test_delayed_delivery_with_missed_cs_promise_moves_to_12315():
    p = plan_of("delayed-missed-promise.json", "2026-11-25")
    steps = steps_by_channel(p)
    assert p["problem"]["type"] == "delayed_delivery"
    assert steps["platform_cs"]["status"] == "done"
    assert "逾期未兑现" in steps["platform_cs"]["reason"]
    assert steps["12315"]["status"] == "now"
    assert p["next_action"]["channel"] == "12315"
    # For fulfilment problems 黑猫 is not joint with 12315: it follows once 12315 has the complaint.
    assert steps["heimao"]["status"] == "next"


def test_delayed_delivery_while_cs_promise_runs_waits_until_the_promised_time():
    p = plan_of("delayed-missed-promise.json", "2026-11-21")
    cs = steps_by_channel(p)["platform_cs"]
    assert cs["status"] == "waiting"
    assert cs["deadline"] == "2026-11-22"
    assert p["next_action"]["channel"] == "platform_cs"
    assert steps_by_channel(p)["12315"]["status"] == "next"


def test_runaway_paid_with_alipay_goes_to_police_alipay_and_12321_at_once():
    p = plan_of("runaway-alipay.json", "2026-11-25")
    steps = steps_by_channel(p)
    assert p["problem"]["type"] == "fraud_runaway"
    assert p["problem"]["category"] == "violation"
    assert steps["police"]["status"] == "now"
    assert steps["alipay"]["status"] == "now"
    assert steps["12321"]["status"] == "now"
    assert "platform_cs" not in steps  # no customer-service detour for a vanished platform
    assert p["next_action"]["channel"] == "police"
    assert "支付宝" in p["next_action"]["reason"]
    # A vanished operator cannot be sued in small claims nor served a payment order.
    assert steps["small_claims"]["status"] == "not_applicable"
    assert steps["payment_order"]["status"] == "not_applicable"
    assert steps["identify_operator"]["status"] == "now"


def test_data_leak_goes_to_12377_and_12345():
    p = plan_of("data-leak.json", "2026-11-25")
    steps = steps_by_channel(p)
    assert p["problem"]["type"] == "data_leak"
    assert steps["12377"]["status"] == "now"
    assert steps["12345"]["status"] == "now"
    assert p["next_action"]["channel"] in ("12377", "12345")
    assert "no_seven_day_return" not in {w["code"] for w in p["warnings"]}


def test_8000_yuan_with_complete_evidence_after_failed_steps_goes_to_small_claims():
    p = plan_of("court-8000.json", "2026-11-25")
    steps = steps_by_channel(p)
    assert p["evidence"]["complete"] is True
    assert steps["12315"]["status"] == "done"
    assert steps["alipay"]["status"] == "done"
    assert steps["small_claims"]["status"] == "now"
    assert p["next_action"]["channel"] == "small_claims"
    # The platform refused, so the claim is disputed: a payment order would end at the first objection.
    assert steps["payment_order"]["status"] == "not_applicable"
    # Jiangsu's threshold (64,610 from 2026-01-04) is used, never the seed's "1万".
    assert "64" in steps["small_claims"]["reason"] and "1万" not in steps["small_claims"]["reason"]
    assert p["calculations"]["court_fee"]["fee"] in (25, 25.0, "25", "25.00")


def test_8000_yuan_case_where_platform_only_promised_a_refund_gets_no_payment_order():
    # A promise to refund "within 3 working days" is not an admission of a stated debt (issue 7): no 支付令.
    data = json.loads((EXAMPLES / "court-8000.json").read_text(encoding="utf-8"))
    data["contacts"][0] = {
        "at": "2026-08-10T11:00:00+08:00",
        "channel": "platform_cs",
        "asked": "退款",
        "response": "promised",
        "promise": "3个工作日内退款",
    }
    p = plan(parse_case(data), dt.date(2026, 11, 25)).to_dict()
    steps = steps_by_channel(p)
    assert steps["payment_order"]["status"] == "not_applicable"
    assert "不是承认欠款" in steps["payment_order"]["reason"]
    assert steps["small_claims"]["status"] == "now"


def test_100_yuan_case_never_recommends_court_even_after_every_channel_failed():
    p = plan_of("small-100.json", "2026-11-25")
    steps = steps_by_channel(p)
    assert steps["small_claims"]["status"] == "not_applicable"
    assert steps["payment_order"]["status"] == "not_applicable"
    assert "5000" in steps["small_claims"]["reason"]
    assert p["next_action"]["channel"] not in ("small_claims", "payment_order")


@pytest.mark.parametrize(
    ("filed", "deadline"),
    [
        ("2026-02-10T10:00:00+08:00", "2026-02-26"),  # Spring Festival: Feb 15–23 off, Feb 14 make-up day
        ("2026-09-28T10:00:00+08:00", "2026-10-13"),  # National Day: Oct 1–7 off, Oct 10 make-up day
    ],
)
def test_12315_acceptance_deadline_counts_chinese_working_days(filed, deadline):
    data = json.loads((EXAMPLES / "seed-invalid-code.json").read_text(encoding="utf-8"))
    data["paid_at"] = data["contacts"][0]["at"] = filed
    data["contacts"].append({"at": filed, "channel": "12315", "response": "pending"})
    p = plan(parse_case(data), dt.date.fromisoformat(filed[:10])).to_dict()
    step = steps_by_channel(p)["12315"]
    assert step["status"] == "waiting"
    assert step["deadline"] == deadline
    assert step["deadline_detail"]["skipped"]  # says which days it skipped


def test_12315_past_its_acceptance_deadline_is_chased_and_the_next_channel_opens():
    data = json.loads((EXAMPLES / "seed-invalid-code.json").read_text(encoding="utf-8"))
    data["contacts"].append({"at": "2026-11-21T10:00:00+08:00", "channel": "12315", "response": "pending"})
    p = plan(parse_case(data), dt.date(2026, 12, 10)).to_dict()
    steps = steps_by_channel(p)
    assert steps["12315"]["status"] == "now"
    assert "催办" in steps["12315"]["action"]
    assert steps["alipay"]["status"] == "now"


def test_a_court_that_accepted_the_dispute_closes_12315():
    data = json.loads((EXAMPLES / "seed-invalid-code.json").read_text(encoding="utf-8"))
    data["contacts"].append(
        {"at": "2026-11-22T10:00:00+08:00", "channel": "small_claims", "response": "accepted"}
    )
    p = plan(parse_case(data), dt.date(2026, 11, 25)).to_dict()
    assert steps_by_channel(p)["12315"]["status"] == "not_applicable"
    assert "forum_taken" in {w["code"] for w in p["warnings"]}


def test_a_resolved_case_has_nothing_left_to_do():
    data = json.loads((EXAMPLES / "seed-invalid-code.json").read_text(encoding="utf-8"))
    data["contacts"].append({"at": "2026-11-23T10:00:00+08:00", "channel": "12315", "response": "resolved"})
    p = plan(parse_case(data), dt.date(2026, 11, 25)).to_dict()
    assert p["next_action"]["channel"] is None
    assert all(s["status"] in ("done", "not_applicable") for s in p["steps"])


def test_complaint_rule_version_is_picked_by_the_filing_date():
    data = json.loads((EXAMPLES / "seed-invalid-code.json").read_text(encoding="utf-8"))
    data["contacts"].append({"at": "2026-03-02T10:00:00+08:00", "channel": "12315", "response": "accepted"})
    old = plan(parse_case(data), dt.date(2026, 3, 5)).to_dict()
    assert old["rule_version"]["id"] == "samr_order_20"
    mediation = steps_by_channel(old)["12315"]
    assert mediation["deadline_detail"]["unit"] == "workdays"  # 45 working days under the old rule
    new = plan_of("seed-invalid-code.json", "2026-11-25")
    assert new["rule_version"]["id"] == "samr_order_121"


def test_the_plan_is_derived_from_the_calendar_on_every_run():
    import dataclasses

    from weiquan.domain.workdays import HolidayPeriod, WorkCalendar, chinese_calendar_schedule

    data = json.loads((EXAMPLES / "seed-invalid-code.json").read_text(encoding="utf-8"))
    data["contacts"].append({"at": "2026-11-23T10:00:00+08:00", "channel": "12315", "response": "pending"})
    facts = parse_case(data)
    normal = plan(facts, dt.date(2026, 11, 25)).to_dict()
    assert steps_by_channel(normal)["12315"]["deadline"] == "2026-12-02"
    schedule = chinese_calendar_schedule(2026)
    day_off = HolidayPeriod.span("更正示例", dt.date(2026, 11, 26), dt.date(2026, 11, 26))
    corrected = WorkCalendar(
        overrides={
            2026: dataclasses.replace(schedule, holidays=(*schedule.holidays, day_off), origin="测试更正表")
        }
    )
    moved = plan(facts, dt.date(2026, 11, 25), calendar=corrected).to_dict()
    assert steps_by_channel(moved)["12315"]["deadline"] == "2026-12-03"


def test_deadlines_reaching_an_unpublished_year_are_flagged_not_silently_wrong():
    # Filed just before 国庆 2027, whose 调休 arrangement is not published: 10/1–10/3 are certain rest days, the
    # arrangement may push the authority's deadline later, so both dates are shown.
    data = json.loads((EXAMPLES / "seed-invalid-code.json").read_text(encoding="utf-8"))
    data["contacts"].append({"at": "2027-09-28T10:00:00+08:00", "channel": "12315", "response": "pending"})
    p = plan(parse_case(data), dt.date(2027, 9, 28)).to_dict()
    step = steps_by_channel(p)["12315"]
    assert step["deadline"] == "2027-10-08"
    assert step["deadline_detail"]["provisional"] is True
    assert (step["deadline_detail"]["earliest"], step["deadline_detail"]["latest"]) == (
        "2027-10-08",
        "2027-10-19",
    )
    assert "provisional_calendar" in {w["code"] for w in p["warnings"]}


def test_a_deadline_into_2027_counts_new_years_day_as_a_holiday():
    data = json.loads((EXAMPLES / "seed-invalid-code.json").read_text(encoding="utf-8"))
    data["contacts"].append({"at": "2026-12-28T10:00:00+08:00", "channel": "12315", "response": "pending"})
    p = plan(parse_case(data), dt.date(2026, 12, 28)).to_dict()
    step = steps_by_channel(p)["12315"]
    assert step["deadline"] == "2027-01-07"
    assert step["deadline_detail"]["provisional"] is False
