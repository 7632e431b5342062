"""Facts read from how people really write their story: what they bought, where, whom they paid, how often they
chased the seller, when, and how much — the values the wizard puts into the details screen for them to check."""

from __future__ import annotations

import datetime as dt

import pytest

from weiquan.domain.classify import Extracted, classify

TODAY = dt.date(2026, 11, 25)


def facts(text: str, today: dt.date | None = TODAY) -> Extracted:
    return classify(text, today=today).extracted


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("在某某卡盟买了100元的游戏点卡，卡密显示已被使用", "游戏点卡"),
        (
            "hi,购买了激活码，其中一个无法激活，请问如何联系？",
            "激活码",
        ),  # GitHub issue (MyBatisCodeHelper-Pro)
        ("本人于今天购买蓝灯专业版一年。但是购买后手机端各类网页app均无法打开外网", "蓝灯专业版"),
        ("本以为只是开通个优酷视频vip而已，不知为啥后期又扣款45.1", "优酷视频vip"),  # 黑猫
        ("付了¥1,299.00买的年卡，结果三天就用不了", "年卡"),
    ],
)
def test_it_names_the_item_bought(text: str, item: str) -> None:
    assert facts(text).item == item


def test_it_finds_no_item_where_only_a_duration_was_bought() -> None:
    assert facts("有知道情况的兄弟么？我买了一年啊，就这么没了？").item is None


@pytest.mark.parametrize(
    ("text", "platform", "domain"),
    [
        ("在某某卡盟(kameng-example.com)买了100元的游戏点卡", "某某卡盟", "kameng-example.com"),
        ("网站 kameng.com（星星卡盟）收了钱就跑路了", "星星卡盟", "kameng.com"),
        ("我在星辰卡盟 www.xingchen-km.com 充值了200元话费", "星辰卡盟", "www.xingchen-km.com"),
    ],
)
def test_it_reads_the_platform_name_written_beside_its_address(text: str, platform: str, domain: str) -> None:
    f = facts(text)
    assert (f.platform, f.platform_domain) == (platform, domain)


@pytest.mark.parametrize(
    ("text", "payee"),
    [
        ("支付宝账单上的收款方是杭州某某科技有限公司的账户", "杭州某某科技有限公司"),
        ("付款记录显示收款商户：某某网络工作室，付了88元", "某某网络工作室"),
        ("微信转账的收款人为“张某某”，之后就把我拉黑了", "张某某"),
    ],
)
def test_it_reads_the_payee_from_the_payment_record(text: str, payee: str) -> None:
    assert facts(text).payee == payee


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("3月5日付款，联系客服三次都没回复", 3),
        (
            "付费后，完全连接不上。发了两次邮件，没有任何回复，在官网提交问题两次",
            2,
        ),  # GitHub issue (baacloud)
        ("找了5次客服，每次都说在处理", 5),
        ("前后催了商家好几次，一直拖着", 3),
    ],
)
def test_it_counts_how_often_the_seller_was_contacted(text: str, times: int) -> None:
    assert facts(text).contact_times == times


@pytest.mark.parametrize(
    "text",
    [
        "之前600次，我现在一百次都不到，一次请求花费1+$",  # a quota, not contacts (Trae)
        "好不容易交易8次升级到了白银等级又不给兑换",  # trades, not contacts (黑猫)
    ],
)
def test_counts_that_are_not_contacts_are_not_taken_for_contacts(text: str) -> None:
    assert facts(text).contact_times is None


def test_dates_without_a_year_follow_the_dated_payment() -> None:
    f = facts("2025年12月28日付款买了月卡，1月3日客服说再等等，1月10日就联系不上了")
    assert f.dates == ["2025-12-28", "2026-01-03", "2026-01-10"]


def test_dates_without_a_year_are_the_latest_past_ones_when_nothing_is_dated() -> None:
    # 黑猫: "本人于9月27日于飞猪旅行app办理旅社预订 … 于10月23日入住，10月6日退房"
    f = facts("本人于9月27日于飞猪旅行app办理旅社预订，于10月23日入住，10月6日退房，共594元")
    assert f.dates == ["2026-09-27", "2026-10-23", "2026-10-06"]
    assert facts("12月28日付款，到现在没发货", today=dt.date(2026, 1, 5)).dates == ["2025-12-28"]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("我寻思你不能跑路了吧…我的五块钱怎么办", 5),
        ("付了¥1,299.00买的年卡，结果三天就用不了", 1299),
        ("买了1299元面值的京东卡，卡密无效", 1299),
        ("此人是骗子，收了我450元，就不回消息把我删了", 450),
        ("充值了两百块的点券一直没到", 200),
    ],
)
def test_it_reads_amounts_written_in_any_form(text: str, amount: float) -> None:
    assert facts(text).amount == amount


def test_it_reads_dates_written_the_way_issue_forms_write_them() -> None:
    # GitHub issues (firefly-proxy, fanqiang-vpn): "时间:2019 6月7日", "于20210705 登陆github"
    assert facts("对应支付宝订单 时间:2019 6月7日 刚误操作购买了,申请退款").dates == ["2019-06-07"]
    assert facts("于2021.05.22 购买服务套餐，于20210705 登陆github发现跑路").dates == [
        "2021-05-22",
        "2021-07-05",
    ]
    assert facts("订单号 20210705123456 一直没发货").dates == []
