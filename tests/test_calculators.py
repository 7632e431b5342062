"""Legal calculators: punitive damages, small-claims eligibility, court fees, payment-order fit, amounts in words."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from weiquan.domain.calculators import (
    agreed_refund,
    amount_in_words,
    claim_items,
    claim_total,
    court_fee,
    normalize_province,
    payment_order_fit,
    punitive_damages,
    small_claims_eligibility,
)

JUNE_2026 = date(2026, 6, 1)


# 消法第五十五条第一款


def test_fraud_on_100_yuan_gives_the_500_yuan_minimum():
    r = punitive_damages(Decimal("100"), fraud_shown=True)
    assert r.applicable and r.amount == Decimal("500") and r.floor_applied
    assert "consumer_law_55" in [c.id for c in r.basis]


def test_fraud_on_1000_yuan_gives_three_times_the_price():
    r = punitive_damages(Decimal("1000"), fraud_shown=True)
    assert r.amount == Decimal("3000") and not r.floor_applied


def test_without_fraud_triple_damages_do_not_apply():
    r = punitive_damages(Decimal("1000"), fraud_shown=False)
    assert not r.applicable and r.amount is None
    assert "不是自动" in r.explanation
    assert "第五条第（十）项" in r.explanation and "第六条" in r.explanation and "第十六条" in r.explanation
    assert r.to_dict()["amount"] is None


def test_price_must_be_positive():
    with pytest.raises(ValueError):
        punitive_damages(Decimal("0"), fraud_shown=True)


# 民事诉讼法第一百六十五条


@pytest.mark.parametrize(
    ("amount", "status"),
    [(8000, "eligible"), (64610, "eligible"), (100000, "by_agreement"), (300000, "not_eligible")],
)
def test_jiangsu_thresholds_in_june_2026(amount, status):
    r = small_claims_eligibility(Decimal(amount), "江苏", JUNE_2026)
    assert r.status == status
    assert r.limit == Decimal("64610") and r.agreed_band_ceiling == Decimal("258440")
    assert r.effective_from == date(2026, 1, 4) and not r.stale


def test_province_is_accepted_with_or_without_its_suffix():
    assert normalize_province("江苏省") == normalize_province("江苏") == "江苏"
    assert small_claims_eligibility(8000, "江苏省", JUNE_2026).status == "eligible"
    assert normalize_province("上海市") == "上海"


def test_the_previous_jiangsu_figure_applies_before_2026_01_04():
    r = small_claims_eligibility(Decimal("62000"), "江苏", date(2025, 6, 1))
    assert r.limit == Decimal("60862") and r.status == "by_agreement"
    assert r.stale  # 2024-01-06 is more than 13 months before 2025-06-01


def test_old_rows_are_flagged_stale():
    r = small_claims_eligibility(Decimal("8000"), "浙江", JUNE_2026)
    assert r.status == "eligible" and r.stale
    assert "核实" in r.explanation


def test_unknown_province_explains_the_rule_and_never_guesses():
    r = small_claims_eligibility(Decimal("8000"), "广东", JUNE_2026)
    assert r.status == "unknown" and r.limit is None
    assert "百分之五十" in r.explanation and "二倍" in r.explanation
    assert "1万" not in r.explanation
    # A few thousand yuan is very likely below every known limit, and the result says so as an inference.
    assert "推断" in r.explanation
    assert "12368" in r.explanation


def test_missing_province_is_unknown_too():
    r = small_claims_eligibility(Decimal("8000"), None, JUNE_2026)
    assert r.status == "unknown"
    assert "1万" not in json.dumps(r.to_dict(), ensure_ascii=False)


def test_exclusions_are_mentioned():
    r = small_claims_eligibility(Decimal("8000"), "江苏", JUNE_2026)
    assert "下落不明" in r.explanation and "第一百六十六条" in r.explanation
    assert any("下落不明" in e for e in r.exclusions)


# 诉讼费用交纳办法


def test_8000_yuan_costs_50_ordinary_and_25_simplified():
    assert court_fee(Decimal("8000"), "ordinary").fee == Decimal("50")
    assert court_fee(Decimal("8000"), "simplified").fee == Decimal("25")
    assert court_fee(Decimal("8000"), "small_claims").fee == Decimal("25")


def test_50000_yuan_applies_the_second_band():
    r = court_fee(Decimal("50000"), "ordinary")
    assert r.fee == Decimal("1050")
    assert "50 + 40,000×2.5% = 1,050" in r.arithmetic
    assert "2.5%" in r.explanation


def test_payment_order_fee_is_a_third():
    r = court_fee(Decimal("50000"), "payment_order")
    assert r.fee == Decimal("350")
    assert r.full_fee == Decimal("1050")
    assert "三分之一" in r.explanation


def test_rounding_is_to_the_yuan_and_stated():
    r = court_fee(Decimal("8000"), "payment_order")
    assert r.exact_fee.quantize(Decimal("0.01")) == Decimal("16.67")
    assert r.fee == Decimal("17")
    assert "四舍五入" in r.rounding


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        ("10000", "50"),
        ("100000", "2300"),  # 50 + 90,000×2.5%
        ("200000", "4300"),  # + 100,000×2%
        ("500000", "8800"),  # + 300,000×1.5%
        ("1000000", "13800"),  # + 500,000×1%
        ("2000000", "22800"),  # + 1,000,000×0.9%
        ("5000000", "46800"),  # + 3,000,000×0.8%
        ("10000000", "81800"),  # + 5,000,000×0.7%
        ("20000000", "141800"),  # + 10,000,000×0.6%
        ("30000000", "191800"),  # + 10,000,000×0.5%
    ],
)
def test_every_band(amount, fee):
    assert court_fee(Decimal(amount)).fee == Decimal(fee)


def test_court_fee_result_is_json_friendly():
    d = json.loads(json.dumps(court_fee(Decimal("8000"), "small_claims").to_dict(), ensure_ascii=False))
    assert d["fee"] == "25.00" and d["basis"]


def test_unknown_procedure_is_rejected():
    with pytest.raises(ValueError):
        court_fee(Decimal("8000"), "arbitration")  # type: ignore[arg-type]


# 支付令


def test_an_agreed_but_unpaid_refund_fits_a_payment_order():
    r = payment_order_fit(
        debtor_identified=True, debtor_reachable=True, debt_acknowledged=True, counter_dispute=False
    )
    assert r.fits and r.legally_available and not r.reasons
    assert "civil_procedure_interp_427" in [c.id for c in r.basis]


def test_a_vanished_operator_does_not_fit_a_payment_order():
    r = payment_order_fit(
        debtor_identified=False, debtor_reachable=False, debt_acknowledged=False, counter_dispute=False
    )
    assert not r.fits and not r.legally_available
    assert "下落不明" in r.explanation


def test_a_disputed_debt_does_not_fit():
    r = payment_order_fit(
        debtor_identified=True, debtor_reachable=True, debt_acknowledged=False, counter_dispute=True
    )
    assert not r.fits and not r.legally_available
    assert "异议" in r.explanation


def test_an_unacknowledged_debt_is_possible_but_not_recommended():
    r = payment_order_fit(
        debtor_identified=True, debtor_reachable=True, debt_acknowledged=False, counter_dispute=False
    )
    assert r.legally_available and not r.fits


# 起诉的请求总额、无争议的退款


def _facts(**extra):
    from weiquan.domain.facts import parse_case

    base = {
        "problem_type": "invalid_code",
        "amount": 6000,
        "paid_at": "2026-09-01T10:00:00+08:00",
        "platform": {"name": "某卡盟", "company": "某某网络有限公司"},
    }
    return parse_case({**base, **extra})


def test_the_claim_total_adds_the_punitive_claim_when_fraud_is_shown():
    assert claim_total(_facts()) == Decimal("6000")
    assert claim_total(_facts(fraud_shown=True)) == Decimal("24000")
    assert [label for label, _ in claim_items(_facts(fraud_shown=True))] == [
        "退还货款",
        "增加赔偿（消费者权益保护法第五十五条第一款）",
    ]
    # Taking the price for stock that does not exist is fraud by its facts (处罚办法第五条第（十）项)...
    assert claim_total(_facts(problem_type="fake_stock")) == Decimal("24000")
    # ...unless the case file says it cannot be shown.
    assert claim_total(_facts(problem_type="fake_stock", fraud_shown=False)) == Decimal("6000")
    assert court_fee(claim_total(_facts(fraud_shown=True)), "small_claims").fee == Decimal("200")


def test_only_a_stated_refund_nothing_later_disputes_counts_as_agreed():
    agreed = {
        "at": "2026-09-02T10:00:00+08:00",
        "channel": "platform_cs",
        "response": "promised",
        "agreed_amount": 6000,
    }
    assert agreed_refund(_facts(contacts=[agreed])).agreed_amount == Decimal("6000")
    promise = {**agreed, "agreed_amount": None, "promise": "尽快处理"}
    assert agreed_refund(_facts(contacts=[promise])) is None
    refused_mediation = {"at": "2026-10-02T10:00:00+08:00", "channel": "12315", "response": "failed"}
    assert agreed_refund(_facts(contacts=[agreed, refused_mediation])) is None
    paid = {"at": "2026-10-02T10:00:00+08:00", "channel": "platform_cs", "response": "resolved"}
    assert agreed_refund(_facts(contacts=[agreed, paid])) is None


# 大写金额


@pytest.mark.parametrize(
    ("amount", "words"),
    [(100, "壹佰元整"), (Decimal("1050"), "壹仟零伍拾元整"), ("68378.50", "陆万捌仟叁佰柒拾捌元伍角")],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words


def test_negative_amount_in_words_is_rejected():
    with pytest.raises(ValueError):
        amount_in_words(Decimal("-1"))
