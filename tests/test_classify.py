"""Behaviour of the complaint classifier (weiquan/domain/classify.py, lexicon in data/classifier.yaml)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from weiquan.domain.classify import Classification, classify, classify_batch
from weiquan.domain.taxonomy import OTHER, TYPE_IDS

DEV = Path(__file__).parent / "data" / "classifier_dev.jsonl"
TODAY = dt.date(2026, 11, 25)  # a Wednesday

SEED_SENTENCE = (
    "于X月X日在XX卡盟购买100元游戏点卡，卡密激活失败，客服拒绝处理，订单号XXX，附支付截图与激活失败录屏"
)


def kind(text: str) -> str:
    return classify(text).type


# --- the seed's own example -------------------------------------------------------------------------------------


def test_it_classifies_the_seed_sentence_as_invalid_code_with_runaround_and_facts() -> None:
    c = classify(SEED_SENTENCE)
    assert c.type == "invalid_code"
    assert c.category == "quality"
    assert c.label == "卡密无效"
    assert c.cs_runaround is True
    assert "拒绝处理" in c.cs_signals
    assert c.extracted.amount == 100.0
    assert c.extracted.platform == "XX卡盟"
    assert c.extracted.order_no is None  # "XXX" is a placeholder, not an order number


# --- one typical complaint per type ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("说好秒发的，等了两天卡密还没发给我，客服只会说在处理", "delayed_delivery"),
        ("话费充值200，已经第四天了还没到账", "delayed_delivery"),
        ("页面显示有货，付款之后客服说没货了让我等补货", "fake_stock"),
        ("steam的cdk兑换时显示该key已被激活过，我是第一次兑换", "invalid_code"),
        ("买的游戏账号第三天就被原号主找回了", "invalid_code"),
        ("开了一年的视频会员，结果只给了三个月", "service_shrink"),
        ("机场节点全挂，晚上一直降速根本用不了", "service_shrink"),
        ("卡盟网站打不开了，客服QQ也把我拉黑了，五百块余额没了", "fraud_runaway"),
        ("卖家收了钱就把我删了，人找不到了", "fraud_runaway"),
        ("只在这个平台留过手机号，现在天天接到骚扰电话和诈骗电话", "data_leak"),
        ("有人冒充平台客服，准确说出我的订单号和金额", "data_leak"),
    ],
)
def test_it_recognises_each_type_from_how_people_describe_it(text: str, expected: str) -> None:
    assert kind(text) == expected


def test_it_understands_slang_and_typos() -> None:
    assert kind("充值为到账！！话费快一个礼拜了都没到") == "delayed_delivery"
    assert kind("发卡网卷钱跑了，群也解散了") == "fraud_runaway"
    assert kind("拿到的cdk是错的，根本激活不了") == "invalid_code"
    assert kind("合租的奈飞天天掉线，说好的独享结果是好几个人共用") == "service_shrink"


def test_it_reads_traditional_characters() -> None:
    assert kind("買的點卡卡密顯示已被使用，根本沒法儲值") == "invalid_code"
    assert kind("跑路了！網站打不開，客服聯繫不上") == "fraud_runaway"


# --- speculation and negation ------------------------------------------------------------------------------------


def test_it_does_not_call_a_worried_question_fraud_when_the_site_works() -> None:
    c = classify("你们不会跑路了吧？最近优惠这么大，有点慌，先问问")
    assert c.type == OTHER
    assert all(cand.type != "fraud_runaway" for cand in c.candidates)


@pytest.mark.parametrize(
    "text",
    [
        "会不会跑路啊，我充了一千还没用完",
        "怕这个卡盟跑路，先不充了",
        "这个平台是不是骗子？想买不敢买",
        "如何防止卡盟跑路？",
    ],
)
def test_it_cancels_speculative_statements(text: str) -> None:
    assert kind(text) == OTHER


def test_it_keeps_speculative_words_out_but_still_sees_hard_evidence() -> None:
    c = classify("网站打不开了，客服也把我拉黑了，这是跑路了吧")
    assert c.type == "fraud_runaway"
    signals = c.candidates[0].signals
    assert "拉黑" in signals and "跑路" not in signals


def test_it_respects_negation() -> None:
    assert kind("激活码没有显示已被使用，激活很顺利") == OTHER
    assert kind("网站没有跑路，客服回复了，是我自己填错账号了") == OTHER


def test_it_treats_rhetorical_questions_as_assertions() -> None:
    assert kind("商品页写着有库存，拍下后说卖完了，这不是虚假库存吗") == "fake_stock"


# --- several problems, and none ---------------------------------------------------------------------------------


def test_it_picks_the_dominant_problem_and_ranks_the_others() -> None:
    c = classify("平台以低价话费吸引充值，充值后一直不到账，现在网站已经打不开了，群里几百人都被骗")
    assert c.type == "fraud_runaway"
    types = [cand.type for cand in c.candidates]
    assert "delayed_delivery" in types
    scores = [cand.score for cand in c.candidates]
    assert scores == sorted(scores, reverse=True)


def test_it_lets_a_shortage_after_payment_beat_a_plain_delay() -> None:
    assert kind("下单后等了三天，商家说这个商品没货了无法发货") == "fake_stock"


@pytest.mark.parametrize(
    "text",
    [
        "今天天气不错，下午出去打球了",
        "腾讯视频会员自动续费，我根本没开过，每个月扣我25元",
        "孩子偷偷在游戏里充了3000块钱，申请未成年退款被拒",
        "申请退款七个工作日了还没退回来，机票退款太慢了",
        "请问卡盟怎么投诉比较有效？",
        "",
    ],
)
def test_it_answers_other_instead_of_forcing_a_guess(text: str) -> None:
    c = classify(text)
    assert c.type == OTHER
    assert c.category is None


def test_it_does_not_decide_on_one_weak_generic_word() -> None:
    c = classify("感觉有点坑人，不太满意")
    assert c.type == OTHER


# --- explainability ----------------------------------------------------------------------------------------------


def test_it_explains_every_score_with_words_from_the_text() -> None:
    text = "在XX卡盟买的激活码提示已被使用，客服一直拖着不处理"
    c = classify(text)
    assert c.candidates
    for cand in c.candidates:
        assert cand.type in TYPE_IDS
        assert 0 < cand.score < 1
        assert cand.signals and all(s in text for s in cand.signals)
    assert all(s in text for s in c.cs_signals)


def test_it_quotes_signals_from_the_original_text_even_when_normalising() -> None:
    text = "買的點卡卡密顯示已被使用"
    c = classify(text)
    assert all(s in text for s in c.candidates[0].signals)


def test_it_serialises_to_the_agreed_dict() -> None:
    d = classify(SEED_SENTENCE).to_dict()
    for key in ("type", "category", "candidates", "cs_runaround", "extracted"):
        assert key in d
    assert set(d["extracted"]) == {"amount", "order_no", "dates", "platform", "payment_method"}
    assert set(d["candidates"][0]) == {"type", "score", "signals"}
    json.dumps(d, ensure_ascii=False)


# --- 售后推诿 ----------------------------------------------------------------------------------------------------


def test_it_flags_customer_service_runaround() -> None:
    c = classify("充值三天没到账，客服一直说在处理，后来干脆不回复了")
    assert c.cs_runaround is True
    assert "不回复" in c.cs_signals
    assert classify("卡密显示已被使用").cs_runaround is False
    assert classify("客服没有拉黑我，很快就补发了").cs_runaround is False


# --- extraction --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("在卡盟充了¥100", 100.0),
        ("付款￥99.5", 99.5),
        ("买了100块的点卡", 100.0),
        ("花了一百元", 100.0),
        ("总共两千五百元", 2500.0),
        ("RMB99买的", 99.0),
        ("实付 1.2万元", 12000.0),
        ("要求赔偿500元，我实付了39.9元", 39.9),
        ("充值39.9会员", 39.9),
        ("要求赔偿500元", None),
        ("用了3块就过敏", None),
    ],
)
def test_it_extracts_the_amount_paid(text: str, amount: float | None) -> None:
    assert classify(text).extracted.amount == amount


def test_it_extracts_order_numbers() -> None:
    assert classify("订单号：KM20261120334，没到账").extracted.order_no == "KM20261120334"
    assert classify("订单编号 A1B2C3D4E5").extracted.order_no == "A1B2C3D4E5"
    assert classify("快递单号SF1234567890，订单号是TB998877665544").extracted.order_no == "TB998877665544"
    assert classify("订单 202611200012345678 一直没到账").extracted.order_no == "202611200012345678"
    assert classify("打了12345678901234次电话").extracted.order_no is None


def test_it_extracts_absolute_dates() -> None:
    c = classify("2026-11-20下单，11月22日催了一次，11.23号又催")
    assert c.extracted.dates == ["2026-11-20", "2026-11-22", "2026-11-23"]
    assert classify("2025年2月13日和2025.3.28分别下单").extracted.dates == ["2025-02-13", "2025-03-28"]


def test_it_resolves_relative_dates_only_when_told_today() -> None:
    text = "昨天付的款，前天看的商品，上周三第一次买，3天前问过客服"
    assert classify(text).extracted.dates == []
    assert classify(text, today=TODAY).extracted.dates == [
        "2026-11-24",
        "2026-11-23",
        "2026-11-18",
        "2026-11-22",
    ]
    assert classify("11月20日买的", today=TODAY).extracted.dates == ["2026-11-20"]
    assert classify("11月20日买的").extracted.dates == []  # no year known


def test_it_extracts_platform_name_and_domain() -> None:
    c = classify("投诉星辰卡盟，网址 www.xingchen-km.top ，付款后不发货")
    assert c.extracted.platform == "星辰卡盟"
    assert c.extracted.platform_domain == "www.xingchen-km.top"
    assert classify("在淘手游交易平台买了个号").extracted.platform == "淘手游交易平台"
    assert classify("我在XX商城买的").extracted.platform == "XX商城"
    assert classify("域名是kamifaka.top").extracted.platform == "kamifaka.top"
    assert classify("邮箱 abc@qq.com").extracted.platform_domain is None


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("用支付宝付的", "alipay"),
        ("花呗分期付款", "alipay"),
        ("微信支付了388", "wechat_pay"),
        ("vx转账给他", "wechat_pay"),
        ("加我微信聊", None),
        ("银行卡扣款一百元", "bank_card"),
        ("信用卡付的", "bank_card"),
        ("用云闪付付款", "other"),
        ("QQ钱包付的", "other"),
        ("孩子没有支付宝，所以直接微信支付了", "wechat_pay"),
    ],
)
def test_it_extracts_the_payment_method(text: str, method: str | None) -> None:
    assert classify(text).extracted.payment_method == method


# --- batch -------------------------------------------------------------------------------------------------------


def test_it_classifies_a_batch_and_survives_bad_lines() -> None:
    lines = [
        json.dumps({"id": "a", "text": "卡密显示已被使用"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "b"}),
        json.dumps(["x"]),
        "",
        json.dumps({"id": "c", "text": "昨天付的款", "today": "2026-11-25"}, ensure_ascii=False),
        json.dumps({"id": "d", "text": "x", "today": "yesterday"}),
    ]
    out = [json.loads(x) for x in classify_batch(lines)]
    assert len(out) == 6  # the blank line is skipped
    assert out[0]["id"] == "a" and out[0]["type"] == "invalid_code"
    assert "error" in out[1] and "JSON" in out[1]["error"]
    assert out[2] == {"id": "b", "error": out[2]["error"]} and "text" in out[2]["error"]
    assert "error" in out[3]
    assert out[4]["extracted"]["dates"] == ["2026-11-24"]
    assert "error" in out[5] and "today" in out[5]["error"]


def test_it_prepends_a_title_in_batch_mode() -> None:
    line = json.dumps({"id": 1, "title": "平台卷款跑路", "text": "余额提不出来了"}, ensure_ascii=False)
    (result,) = [json.loads(x) for x in classify_batch([line])]
    assert result["type"] == "fraud_runaway"


# --- the development set -----------------------------------------------------------------------------------------


def _dev_rows() -> list[dict[str, object]]:
    with open(DEV, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_it_has_a_varied_development_set() -> None:
    rows = _dev_rows()
    assert len(rows) >= 120
    counts = {label: 0 for label in (*TYPE_IDS, OTHER)}
    for r in rows:
        assert set(r) == {"id", "text", "label_type", "label_cs_runaround"}
        counts[str(r["label_type"])] += 1
    assert all(n >= 12 for n in counts.values()), counts
    assert len({r["id"] for r in rows}) == len(rows)


def test_it_stays_accurate_on_the_development_set() -> None:
    rows = _dev_rows()
    results: list[tuple[dict[str, object], Classification]] = [(r, classify(str(r["text"]))) for r in rows]
    correct = sum(c.type == r["label_type"] for r, c in results)
    assert correct / len(rows) >= 0.95
    cs_agree = sum(c.cs_runaround == r["label_cs_runaround"] for r, c in results)
    assert cs_agree / len(rows) >= 0.85
