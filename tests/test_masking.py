"""Masking personal data out of complaint text: nothing personal survives, amounts, dates and domains do."""

from __future__ import annotations

import re

import pytest

from weiquan.domain.masking import TOKENS, luhn_ok, mask

# Realistic stories, each with every personal value it contains (several formats of each kind across them). A name
# with no label around it ("我（王芳）") is the consumer's own: the case holds it, so it is passed as known.
KNOWN = ["张伟", "王芳"]
STORIES: list[tuple[str, list[str]]] = [
    (
        "我叫张伟，11月20日在某某卡盟（www.kamen88.com）买了100元点卡，订单号KM20261120001。"
        "卡密：ABCD-EFGH-1234-5678，激活时提示已被使用。我的手机13812345678，邮箱zhangwei88@163.com，"
        "QQ：123456789。客服让我提供身份证110101199003071234和银行卡号6222021234567890128才给退款。",
        [
            "张伟",
            "KM20261120001",
            "ABCD-EFGH-1234-5678",
            "13812345678",
            "zhangwei88@163.com",
            "123456789",
            "110101199003071234",
            "6222021234567890128",
        ],
    ),
    (
        "姓名：李小红 电话：139 8765 4321 / +86-137-0000-1111，座机 0755-8765 4321。"
        "2026-11-20 10:30 在 km-shop.cn 付款 ¥1,299.00，订单编号：202611201234567890123。"
        "激活码是 X7K9M2P4Q8Z1，客服说 cdk: 9F3K-2L8D-7Q1W 也失效了。"
        "微信号：wxid_abc123，扣扣 87654321，登录密码：Abc@12345。",
        [
            "李小红",
            "139 8765 4321",
            "13987654321",
            "+86-137-0000-1111",
            "13700001111",
            "0755-8765 4321",
            "202611201234567890123",
            "X7K9M2P4Q8Z1",
            "9F3K-2L8D-7Q1W",
            "wxid_abc123",
            "87654321",
            "Abc@12345",
        ],
    ),
    (
        "收件人：欧阳娜娜，联系方式 (021)62345678转123，身份证号：44030419851231002X。"
        "支付宝交易号 2026112022001412345678901234，信用卡 4111-1111-1111-1111 扣了 ¥648。"
        "兑换码 GH56IJ78KL90，vx: zhang_wei88，qq号2345678901，邮箱 ZHANG.Wei+km@qq.com，"
        "支付密码是 886688，卡号：ZX123456789。旧身份证 440304851231002。",
        [
            "欧阳娜娜",
            "(021)62345678",
            "62345678",
            "44030419851231002X",
            "2026112022001412345678901234",
            "4111-1111-1111-1111",
            "4111111111111111",
            "GH56IJ78KL90",
            "zhang_wei88",
            "2345678901",
            "ZHANG.Wei+km@qq.com",
            "886688",
            "ZX123456789",
            "440304851231002",
        ],
    ),
    (
        "11月3日晚上我（王芳）在“速充卡盟”充值 50 元，单号 DD8827364512。客服小李让我加他微信 13611112222，"
        "又让我把银行卡 6228 4804 0256 4890 018 的验证码发给他。key：AAAAA-BBBBB-CCCCC 没到账。"
        "密码 qwerty123。我的号码：+8615012345678。卡密 1234 5678 9012 3456 也没用。",
        [
            "王芳",
            "DD8827364512",
            "13611112222",
            "6228 4804 0256 4890 018",
            "6228480402564890018",
            "AAAAA-BBBBB-CCCCC",
            "qwerty123",
            "+8615012345678",
            "15012345678",
            "1234 5678 9012 3456",
        ],
    ),
    (
        "ＱＱ：１２３４５６７８９０，邮箱ｌｉｓｉ＠ｅｘａｍｐｌｅ．ｃｏｍ。Order No: ABC2026112099。"
        "Steam 激活码：3QJ7K-9XH2B-P4M8N，交易流水号：4200001234202611201234567890，"
        "电话号码 010-12345678，持卡人：赵四。",
        [
            "1234567890",
            "１２３４５６７８９０",
            "ABC2026112099",
            "3QJ7K-9XH2B-P4M8N",
            "4200001234202611201234567890",
            "010-12345678",
            "12345678",
            "赵四",
        ],
    ),
]


def compact(text: str) -> str:
    return re.sub(r"[\s\-()（）+]", "", text).lower()


@pytest.mark.parametrize("story,values", STORIES, ids=[f"story{i + 1}" for i in range(len(STORIES))])
def test_no_personal_value_survives(story, values):
    masked = mask(story, known=KNOWN)
    for value in values:
        assert value not in masked, (value, masked)
        assert compact(value) not in compact(masked), (value, masked)


@pytest.mark.parametrize("story,_values", STORIES, ids=[f"story{i + 1}" for i in range(len(STORIES))])
def test_masking_is_idempotent(story, _values):
    once = mask(story)
    assert mask(once) == once


def test_amounts_dates_and_domains_are_kept():
    text = (
        "2026-11-20 10:30 在 www.kamen88.com 付款 ¥1,299.00，11月20日到账失败，2026年11月20日再次联系，"
        "金额1299.00元，另一笔 100元，共计 15000 元，2026/11/21 客服答复，km-shop.cn 的分站 a.km-shop.cn。"
    )
    assert mask(text) == text


def test_service_hotlines_of_the_platform_are_kept():
    text = "客服电话：400-123-4567，银行客服 95588。"
    assert mask(text) == text


def test_order_numbers_keep_only_their_last_four():
    assert mask("订单号：KM20261120001") == "订单号：…0001"
    assert mask("订单号 2026112000011234，退款") == "订单号 …1234，退款"


def test_known_values_are_masked_wherever_they_appear():
    known = ["陈大文", "13912345678", "chen@example.org", "KM777888999", "广东省深圳市南山区科技园1号"]
    text = "陈大文说：我寄到广东省深圳市南山区科技园1号，订单KM777888999，联系 chen@example.org 或 139-1234-5678。"
    masked = mask(text, known=known)
    for value in known:
        assert value not in masked
    assert "13912345678" not in compact(masked)
    assert TOKENS["name"] in masked and TOKENS["address"] in masked


def test_short_known_values_do_not_mask_ordinary_words():
    assert mask("买了100元点卡", known=["100", "王"]) == "买了100元点卡"


def test_labels_without_values_are_left_alone():
    text = "卡密显示已被使用，客服说卡密发出后概不退换；密码错误；身份证号和姓名都被泄露了；微信支付 100元。"
    assert mask(text) == text


def test_names_after_a_label_stop_at_the_next_word():
    assert mask("收货人王芳在深圳") == f"收货人{TOKENS['name']}在深圳"


def test_tokens_are_chinese():
    masked = mask("手机13812345678 邮箱a@b.cn 卡密：ABCD1234EFGH 密码：secret99")
    assert TOKENS["phone"] in masked and TOKENS["email"] in masked
    assert TOKENS["code"] in masked and TOKENS["password"] in masked


def test_luhn():
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")


def test_the_rule_gates_never_change_the_result():
    # Gates only skip rules that cannot match; compare against running every rule, on the stories above and on
    # many random mixtures of labels, separators, numbers and codes.
    import random

    from weiquan.domain.masking import _apply_rules

    pieces = [
        "卡密", "卡号", "激活码", "cdk", "KEY", "密码", "pwd", "订单号", "单号", "交易流水号", "Order No", "身份证",
        "银行卡", "信用卡", "账号", "QQ", "扣扣", "微信", "V信", "vx", "WX", "电话", "手机", "Tel", "我叫", "姓名",
        "收货人", "持卡人", "：", ":", " ", "-", "是", "，", "。", "(", "（", "）", "+86", "0755", "400",
        "13812345678", "138 1234 5678", "110101199003071234", "6222021234567890128", "4111-1111-1111-1111",
        "ABCD-EFGH-1234-5678", "X7K9M2P4Q8Z1", "wxid_abc123", "a@b.cn", "2026-11-20", "100元", "¥1,299.00",
        "张伟", "王芳在", "已隐藏", "km88.com", "12345", "87654321", "AB12", "2026112012345678",
    ]  # fmt: skip
    rnd = random.Random(20261125)
    samples = [text for text, _values in STORIES]
    samples += ["".join(rnd.choice(pieces) for _ in range(rnd.randint(2, 14))) for _ in range(4000)]
    for text in samples:
        assert _apply_rules(text) == _apply_rules(text, gated=False), text
