"""The channel catalogue: every channel is sourced, typed and consistent with the legal register."""

from __future__ import annotations

import re
from datetime import date

import pytest

from weiquan.domain.channels import CHANNEL_IDS, CHANNELS, channel_label, channels_for, get_channel
from weiquan.domain.taxonomy import TYPE_IDS

EXPECTED_IDS = {
    "platform_cs",
    "12315",
    "heimao",
    "alipay",
    "wechat_pay",
    "industry_assoc",
    "police",
    "12321",
    "12377",
    "12345",
    "small_claims",
    "payment_order",
}


def test_it_has_exactly_the_catalogue_ids():
    assert set(CHANNEL_IDS) == EXPECTED_IDS
    assert all(isinstance(cid, str) for cid in CHANNELS)


@pytest.mark.parametrize("channel_id", sorted(EXPECTED_IDS))
def test_every_channel_has_a_basis_and_a_source(channel_id):
    ch = get_channel(channel_id)
    assert ch.basis, channel_id
    assert ch.sources, channel_id
    assert ch.name and ch.handles_text and ch.not_for and ch.submission and ch.tips


@pytest.mark.parametrize("channel_id", sorted(EXPECTED_IDS))
def test_every_channel_handles_known_problem_types(channel_id):
    ch = get_channel(channel_id)
    assert ch.handles
    assert set(ch.handles) <= set(TYPE_IDS)


@pytest.mark.parametrize("channel_id", sorted(EXPECTED_IDS))
def test_a_channel_without_time_limits_says_so(channel_id):
    ch = get_channel(channel_id)
    assert ch.time_limits or ch.time_limits_note


def test_12315_acceptance_is_7_workdays_citing_consumer_law_46():
    tl = get_channel("12315").time_limit("acceptance")
    assert (tl.n, tl.unit) == (7, "workdays")
    assert tl.citation.id == "consumer_law_46"
    assert tl.citation.short == "《消费者权益保护法》第四十六条"
    assert tl.confidence == "read-in-source"


def test_12315_mediation_period_depends_on_the_rule_in_force():
    ch = get_channel("12315")
    old = ch.time_limit("mediation", on=date(2026, 4, 14))
    assert (old.n, old.unit, old.citation.id) == (45, "workdays", "samr_interim_21")
    new = ch.time_limit("mediation_order121", on=date(2026, 4, 15))
    assert (new.n, new.unit) == (60, "days")
    assert new.confidence == "secondary-source" and "待核实" in new.note
    in_force = {tl.id for tl in ch.limits_on(date(2026, 6, 1))}
    assert "mediation" not in in_force and "mediation_order121" in in_force
    with pytest.raises(KeyError):
        ch.time_limit("mediation", on=date(2026, 6, 1))


def test_wechat_pay_merchant_reply_and_resolution_limits():
    ch = get_channel("wechat_pay")
    reply, resolve = ch.time_limit("merchant_first_reply"), ch.time_limit("merchant_resolve")
    assert (reply.n, reply.unit) == (1, "days")
    assert (resolve.n, resolve.unit) == (3, "days")
    assert resolve.confidence == "secondary-source"


def test_small_claims_are_decided_within_two_months():
    tl = get_channel("small_claims").time_limit("trial")
    assert (tl.n, tl.unit, tl.citation.id) == (2, "months", "civil_procedure_168")
    assert "一个月" in tl.note


def test_payment_order_time_limits():
    ch = get_channel("payment_order")
    assert (ch.time_limit("court_acceptance").n, ch.time_limit("court_acceptance").unit) == (5, "days")
    assert ch.time_limit("issue_order").n == 15
    objection = ch.time_limit("debtor_objection")
    assert (objection.n, objection.unit) == (15, "days")
    assert "收到" in objection.start


def test_channels_with_no_known_limit_invent_none():
    for cid in ("heimao", "alipay", "police", "12321", "12377", "12345", "platform_cs"):
        ch = get_channel(cid)
        assert ch.time_limits == (), cid
        assert ch.time_limits_note, cid


def test_forum_exclusivity():
    for cid in ("12315", "industry_assoc", "small_claims", "payment_order"):
        assert get_channel(cid).exclusive, cid
    for cid in ("heimao", "platform_cs", "alipay", "wechat_pay", "12321", "12377"):
        assert not get_channel(cid).exclusive, cid
    assert "私营" in get_channel("heimao").exclusive_note


def test_payment_hotlines_are_marked_unverified_or_secondary():
    alipay = {r.detail: r for r in get_channel("alipay").reach}
    assert any("95188" in d and r.confidence == "unverified" for d, r in alipay.items())
    wechat = [r for r in get_channel("wechat_pay").reach if "95017" in r.detail]
    assert wechat and wechat[0].confidence != "read-in-source"


def test_96110_is_for_consultation_only():
    police = get_channel("police")
    entry = next(r for r in police.reach if "96110" in r.detail)
    assert "不是报案" in entry.detail
    assert any("110" in r.detail and "96110" not in r.detail for r in police.reach)


def test_no_recovery_or_lookalike_sites_are_linked():
    lookalikes = ("usa110", "bkk110", "96ll0", "代理维权", "追款")
    for ch in CHANNELS.values():
        for r in ch.reach:
            assert not any(bad in r.detail for bad in lookalikes), (ch.id, r.detail)


def test_the_seed_percentages_are_never_stated():
    for ch in CHANNELS.values():
        text = repr(ch.to_dict())
        assert not re.search(r"(60|40)\s*%", text), ch.id
        assert "60%" not in text and "40%" not in text


def test_report_centres_do_not_promise_refunds():
    assert any("退款" in s for s in get_channel("12321").not_for)
    assert any("行政权力" in s for s in get_channel("heimao").not_for)


def test_channels_for_a_runaway_platform_include_police_and_payment():
    ids = {c.id for c in channels_for("fraud_runaway")}
    assert {"police", "alipay", "wechat_pay", "12321"} <= ids
    assert "small_claims" not in ids


def test_label_and_unknown_id():
    assert channel_label("12315") == "全国12315平台"
    with pytest.raises(KeyError, match="未知的渠道"):
        get_channel("weibo")


def test_to_dict_is_json_friendly():
    import json

    data = json.loads(json.dumps(get_channel("12315").to_dict(), ensure_ascii=False))
    acceptance = next(t for t in data["time_limits"] if t["id"] == "acceptance")
    assert acceptance["from"] and acceptance["citation"]["id"] == "consumer_law_46"


def test_what_a_consumer_reads_in_the_catalogue_has_no_internal_notes_or_repealed_articles():
    # Provenance stays in `sources`, `note` and YAML comments; what a page would show carries none of it (issue 7).
    internal = ("待核实", "未核实", "推断", "DOMAIN", "文书式样", "种子", "暂行办法第")
    for ch in CHANNELS.values():
        shown = [
            *ch.submission,
            *ch.tips,
            *ch.not_for,
            ch.exclusive_note,
            ch.time_limits_note,
            ch.handles_text,
        ]
        shown += [r.detail for r in ch.reach]
        for text in shown:
            assert not any(w in text for w in internal), (ch.id, text)
