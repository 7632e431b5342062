"""Behaviour of the complaint classifier (weiquan/domain/classify.py, lexicon in data/classifier.yaml)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

import weiquan.domain.classify as classify_module
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


# --- phrasing families: the general shape of each problem, not one sentence ------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # time that has passed + still nothing, order states that persist, stuck orders
        ("拼单买的b站大会员，说开团后24小时内充值，三天了没充", "delayed_delivery"),
        ("原神648代充，显示充值中，到现在24h了都没动静", "delayed_delivery"),
        ("一天了还在充值中，这什么平台", "delayed_delivery"),
        ("卖家一直拖着不换绑，钱早付了", "delayed_delivery"),
        ("订单显示已完成，但是我的账户里没有收到任何东西", "delayed_delivery"),
        # it was on sale when I paid, then it was gone / already sold / swap for something else
        ("下单的时候有货，付完钱商品就下架了，订单也不发货", "fake_stock"),
        ("买的号详情写着在售，付款后卖家说这个号早就卖出去了，页面忘了下架", "fake_stock"),
        ("付款后说货源没了，让我换别的商品", "fake_stock"),
        # the code or account that was delivered does not work
        ("礼品卡兑换时提示 invalid code，根本兑换不了", "invalid_code"),
        ("steam钱包码输进去显示这个代码已经有人兑换过了", "invalid_code"),
        ("买的王者号上号第一天就提示账号存在异常被冻结", "invalid_code"),
        ("点卡充进去后账号被冻结了，说是来源异常的黑卡", "invalid_code"),
        ("京东e卡绑定后余额0元", "invalid_code"),
        # less, lower or shorter than promised
        ("夸克网盘会员说是svip，到账的是普通vip", "service_shrink"),
        ("wps会员号称永久，用了两个月变回免费版了", "service_shrink"),
        ("奈飞车位说好五个人，结果天天提示同时观看人数过多", "service_shrink"),
        ("代充的王者点券少了200，订单写的1000点券，到账800", "service_shrink"),
        ("号称全解锁流媒体，实际上奈飞、迪士尼都看不了", "service_shrink"),
        # vanished, swallowed the money, the site is "under maintenance" for weeks
        ("客服把我拉黑了，钱付了货没给，微信也删了", "fraud_runaway"),
        ("平台冻结了我的余额，说我违规，几千块就这么被吞了", "fraud_runaway"),
        ("网站显示维护中已经一个月了，充值的钱退不了，群主也不说话了", "fraud_runaway"),
        ("卖家收了钱以后把闲鱼号注销了", "fraud_runaway"),
        # someone knows what I bought; data handed to a 代充 seller was abused
        ("有人冒充卡盟客服加我微信，说出了我的充值记录和手机号", "data_leak"),
        ("代充完成后我的王者账号被异地登录，绑定的手机号也被改了，肯定是代充商家干的", "data_leak"),
        ("充值平台要求上传手持身份证，后来发现我的照片出现在一个网贷app上", "data_leak"),
        ("在发卡网下过单之后，我的邮箱就开始收到各种博彩网站的邮件", "data_leak"),
        ("骗子打电话来，连我上个月在平台买了几张点卡都知道", "data_leak"),
        ("这个平台的用户资料被人打包在网上卖，我查了一下里面有我", "data_leak"),
        ("订单页面一直显示“代充中”，两天没变过", "delayed_delivery"),
        ("共享的账号天天被别人踢，基本用不上", "service_shrink"),
        ("群主把大家的钱卷了，群里现在没人管", "fraud_runaway"),
        ("付款成功，卡密一栏一直是空的", "delayed_delivery"),
        ("钱都付了好几个小时了，游戏里一个钻石都没进来", "delayed_delivery"),
        ("充进去显示的是零元卡", "invalid_code"),
        ("Key是已经绑定过别的账号的，我这边绑不上", "invalid_code"),
        ("买的号被原来的主人改了密码，登不上去了", "invalid_code"),
    ],
)
def test_it_recognises_phrasing_families(text: str, expected: str) -> None:
    assert kind(text) == expected


def test_it_falls_back_to_the_shape_of_a_problem_and_explains_it() -> None:
    # no known wording reaches the threshold; a code that was bought + a complaint about it is a quality problem
    text = "买的cdk不行啊，试了好几次"
    c = classify(text)
    assert c.type == "invalid_code"
    assert c.candidates[0].signals and all(s in text for s in c.candidates[0].signals)
    # the fallback never overrides evidence that the text is about something else
    assert kind("王者荣耀账号被官方封了，号用不了，申诉也没用") == OTHER


def test_it_reads_a_quoted_system_message_about_a_code_as_a_failure() -> None:
    # the message itself is no known wording; a code being used + the system answering with a quote is the cue
    text = "XX发卡网销售的Office激活密钥，激活时提示“此产品密钥已被阻止”，联系卖家称密钥正常"
    assert _lexicon_only(text).type == "invalid_code"
    # a quoted success or delivery status is not a failure
    assert _lexicon_only("卡密输入后显示“兑换成功”").type == OTHER


# --- the second stage: naive Bayes over character n-grams -------------------------------------------------------


def _lexicon_only(text: str) -> Classification:
    c = classify(text)
    return replace(c, type=c.lexicon_type)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("王者点券代充，商家收了钱说马上，一个下午过去了还是原来的点券数", "delayed_delivery"),
        ("会员宣传的无广告，实际每集前面还有广告", "service_shrink"),
        ("b站大会员代充 下单时间是前天 到现在仍然不是大会员", "delayed_delivery"),
    ],
)
def test_the_model_decides_where_the_lexicon_finds_nothing(text: str, expected: str) -> None:
    assert _lexicon_only(text).type == OTHER
    c = classify(text)
    assert c.type == expected
    first = c.candidates[0]
    assert first.type == expected and first.score == c.probability
    # explained by words and n-grams quoted from the text
    assert first.signals and all(s in text for s in first.signals)
    scores = [cand.score for cand in c.candidates]
    assert scores == sorted(scores, reverse=True)


def test_the_ngram_model_respects_what_the_lexicon_discounted_or_placed_outside() -> None:
    # problem words that are feared, negated or about a refund stay discounted: the model is not asked
    assert kind("担心卡密会不会是被用过的，要不要先录屏再激活？") == OTHER
    assert kind("上周在这里买了激活码，没有显示已使用，激活很顺利，谢谢客服") == OTHER
    assert (
        kind("退款迟迟不到账。游戏里误购了礼包，客服同意退款，说七个工作日到账，现在一个月了钱还没退回来")
        == OTHER
    )
    # evidence that the text is about something else (here: physical goods, auto-renewal) keeps it "other"
    assert kind("天猫超市买的纸尿裤拆开发现有异物，孩子用了过敏，客服不处理") == OTHER
    assert kind("视频会员到期后自动续了一年，我没注意") == OTHER


def test_the_model_records_how_it_was_trained_and_can_be_rebuilt_from_the_repository() -> None:
    with open(classify_module.MODEL_FILE, encoding="utf-8") as fh:
        meta = json.load(fh)
    assert meta["labels"] == [*TYPE_IDS, OTHER]
    assert "logistic regression" in meta["training"]["method"]
    root = Path(__file__).parent.parent
    for name in meta["training"]["files"]:
        assert (root / name).exists(), name  # CI rebuilds the model from files in the repository
    assert any(name.startswith("bench/data/complaints-dev") for name in meta["training"]["files"])
    assert all(len(row) == len(meta["labels"]) for row in meta["weights"].values())
    kinds = {name.split(":")[0] for name in meta["weights"]}
    assert kinds == {"c", "w", "L"}  # character n-grams, jieba words, the lexicon's evidence


def test_it_treats_rumours_as_speculation_and_suspected_leaks_as_leaks() -> None:
    assert kind("听说很多卡盟都跑路了，我这家现在还能正常用") == OTHER
    assert kind("朋友说这个发卡网要倒闭了，我还有余额，目前一切正常") == OTHER
    hearsay = classify("网上都说这家卡盟是骗子，但我买了好几次都正常")
    assert hearsay.type == OTHER or not hearsay.confident  # never a confident "fraud" on hearsay
    assert kind("怀疑平台泄露了我的手机号，买完第二天就天天接到推销电话") == "data_leak"


def test_it_does_not_call_refund_or_compensation_delays_a_delivery_problem() -> None:
    assert kind("退款迟迟不到账，说七个工作日，现在一个月了") == OTHER
    assert kind("游戏公告说会补偿，结果补偿还没发") == OTHER
    assert kind("退款申请提交了，说三个工作日，今天第五天还没到") == OTHER


def test_the_literal_prefilter_never_changes_what_matches() -> None:
    import dataclasses

    import weiquan.domain.classify as mod

    lex = mod._lexicon()
    groups = [*lex.types.values(), *lex.fallback.values(), lex.other, lex.cs]
    prefiltered = sum(sig.need is not None for g in groups for sig in g.signals)
    assert prefiltered > 100  # most signals are prefiltered
    for row in _dev_rows()[:200]:
        t = mod._Text(str(row["text"]), lex)
        for g in groups:
            bare = dataclasses.replace(g, signals=tuple(dataclasses.replace(s, need=None) for s in g.signals))
            assert mod._match_group(t, g, lex) == mod._match_group(t, bare, lex)


# --- speculation and negation ------------------------------------------------------------------------------------


def test_it_does_not_call_a_worried_question_fraud_when_the_site_works() -> None:
    c = classify("你们不会跑路了吧？最近优惠这么大，有点慌，先问问")
    assert c.type == OTHER
    assert all(cand.score < 0.5 for cand in c.candidates if cand.type == "fraud_runaway")


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
    c = classify(
        "平台以低价话费吸引充值，充值后一直不到账，话费是假的，现在网站已经打不开了，群里几百人都被骗"
    )
    assert c.type == "fraud_runaway"
    assert c.candidates[0].type == "fraud_runaway"
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


def test_a_bug_report_about_the_shop_software_is_other_and_says_why() -> None:
    # a self-hoster's issue in a buyer's words: the order "does not deliver" because the program fails
    report = "升级到 2.1 版本后后台订单一直不发货，报错如下：Traceback (most recent call last): File app.py"
    c = classify(report)
    assert c.type == OTHER
    assert {"报错如下", "Traceback"} & set(c.other_signals)
    # the same words without the bug-report wording stay a buyer's delivery problem
    assert kind("付款两天了卡密还没发货，客服不回") == "delayed_delivery"


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
    assert set(d["extracted"]) == {
        "amount",
        "order_no",
        "dates",
        "platform",
        "payment_method",
        "item",
        "payee",
        "contact_times",
    }
    assert {"confident", "probability", "questions", "answers"} <= set(d)
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


def _rows(name: str) -> list[dict[str, object]]:
    with open(Path(__file__).parent / "data" / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.mark.parametrize(
    ("name", "minimum"),
    [
        ("classifier_holdout.jsonl", 200),
        ("classifier_holdout2.jsonl", 80),
        ("classifier_holdout3.jsonl", 80),
        ("classifier_holdout4.jsonl", 80),
        ("classifier_holdout5.jsonl", 80),
    ],
)
def test_the_held_out_batches_are_well_formed(name: str, minimum: int) -> None:
    rows = _rows(name)
    assert len(rows) >= minimum
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == {"id", "text", "label_type", "label_cs_runaround", "note"}
        assert r["label_type"] in (*TYPE_IDS, OTHER)
        assert isinstance(r["label_cs_runaround"], bool)
    others = sum(r["label_type"] == OTHER for r in rows)
    assert 0.1 <= others / len(rows) <= 0.2  # about 15 % are virtual-goods complaints outside the six types


def test_it_keeps_what_round_one_learned_from_the_first_held_out_batch() -> None:
    # classifier_holdout.jsonl was tuned on after its first look (80.2%); guard it against regressions. The later
    # batches are deliberately not asserted on: they are estimates, not targets.
    rows = _rows("classifier_holdout.jsonl")
    correct = sum(classify(str(r["text"])).type == r["label_type"] for r in rows)
    assert correct / len(rows) >= 0.95
