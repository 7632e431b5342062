"""The five-screen case wizard: each screen's validation, nothing typed is ever lost, the case is made at the end."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from weiquan.cases.models import Case
from weiquan.domain.facts import CHINA_TZ

pytestmark = pytest.mark.django_db

STORY = "11月20日在某某卡盟买了100元游戏点卡，卡密激活时显示已被使用，客服说概不退换，拒绝处理"
DETAILS = {
    "platform_name": "某某卡盟",
    "platform_domain": "https://www.example.com/shop?id=1",
    "platform_reachable": "yes",
    "item": "100元游戏点卡",
    "order_no": "KM20261120001",
    "amount": "100",
    "paid_date": "2026-11-20",
    "paid_time": "10:00",
    "payment_method": "alipay",
    "province": "广东",
}
REFUSED = {
    "contacts-TOTAL_FORMS": "1",
    "contacts-INITIAL_FORMS": "0",
    "contacts-0-at_date": "2026-11-20",
    "contacts-0-at_time": "10:30",
    "contacts-0-channel": "platform_cs",
    "contacts-0-asked": "补发有效卡密或退款",
    "contacts-0-response": "refused",
    "contacts-0-answer": "卡密发出后概不退换",
}
EVIDENCE = {"kinds": ["order_screenshot", "payment_record", "cs_chat"]}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, tzinfo=CHINA_TZ), tick=False):
        yield


def url(step: int) -> str:
    return reverse("wizard", args=[step])


def go(client, step: int, data: dict, **extra):
    return client.post(url(step), {**data, **extra})


def through(client, last: int) -> None:
    screens = {1: {"story": STORY}, 2: {"problem_type": "invalid_code"}, 3: DETAILS, 4: REFUSED, 5: EVIDENCE}
    for n in range(1, last + 1):
        r = go(client, n, screens[n])
        assert r.status_code == 302, (n, r.content.decode()[:2000])


# --- screen 1 -----------------------------------------------------------------------------------------------------


def test_the_story_is_required(client):
    r = go(client, 1, {"story": ""})
    assert r.status_code == 200
    assert "请写下发生了什么" in r.content.decode()


def test_a_too_short_story_is_kept_with_its_message(client):
    r = go(client, 1, {"story": "被骗了"})
    html = r.content.decode()
    assert "至少10个字" in html
    assert "被骗了</textarea>" in html


def test_a_story_moves_on_to_the_type(client):
    r = go(client, 1, {"story": STORY})
    assert r["Location"] == url(2)
    assert client.session["case_wizard"]["classification"]["type"] == "invalid_code"


# --- screen 2 -----------------------------------------------------------------------------------------------------


def test_the_type_screen_highlights_the_words_that_suggested_it(client):
    through(client, 1)
    html = client.get(url(2)).content.decode()
    assert "<mark>卡密激活时显示已被使用</mark>" in html
    assert 'value="invalid_code"' in html and "checked" in html.split('value="invalid_code"')[1][:40]
    for label in (
        "延迟发货",
        "虚假库存",
        "卡密无效",
        "服务缩水",
        "平台欺诈/跑路",
        "个人信息泄露",
        "其他/无法判断",
    ):
        assert label in html
    assert "收到的卡密、激活码或充值码无法使用" in html  # each type's one-line description


def test_the_type_must_be_chosen(client):
    through(client, 1)
    r = go(client, 2, {})
    assert "请选一类" in r.content.decode()
    r = go(client, 2, {"problem_type": "made_up"})
    assert "请从列表里选一类" in r.content.decode()


def test_the_user_can_correct_the_type(client):
    through(client, 1)
    assert go(client, 2, {"problem_type": "delayed_delivery"}).status_code == 302
    assert client.session["case_wizard"]["raw"]["2"]["problem_type"] == ["delayed_delivery"]


# --- screen 3 -----------------------------------------------------------------------------------------------------


def test_the_details_are_prefilled_from_the_story(client):
    through(client, 2)
    html = client.get(url(3)).content.decode()
    assert 'name="amount" value="100"' in html
    assert 'name="paid_date" value="2026-11-20"' in html


def test_every_detail_is_validated_in_chinese_and_nothing_is_lost(client):
    through(client, 2)
    bad = {
        **DETAILS,
        "platform_name": "",
        "platform_domain": "not a domain",
        "amount": "abc",
        "paid_date": "2026-12-31",
    }
    r = go(client, 3, bad)
    html = r.content.decode()
    assert r.status_code == 200
    assert "看起来不像网址" in html
    assert "请填数字" in html
    assert "付款日期不能晚于今天" in html
    assert 'value="KM20261120001"' in html and 'value="abc"' in html and 'value="not a domain"' in html


def test_the_platform_needs_a_name_or_an_address(client):
    through(client, 2)
    r = go(client, 3, {**DETAILS, "platform_name": "", "platform_domain": ""})
    assert "请至少填写平台名称或网址中的一项" in r.content.decode()


def test_the_amount_must_be_positive_with_at_most_two_decimals(client):
    through(client, 2)
    assert "金额要大于0" in go(client, 3, {**DETAILS, "amount": "0"}).content.decode()
    assert "最多两位小数" in go(client, 3, {**DETAILS, "amount": "9.999"}).content.decode()


def test_going_back_keeps_what_was_typed_even_if_invalid(client):
    through(client, 2)
    r = go(client, 3, {**DETAILS, "amount": "abc"}, back="1")
    assert r["Location"] == url(2)
    html = client.get(url(3)).content.decode()
    assert 'value="abc"' in html
    assert "请填数字" not in html  # errors wait for the next "下一步"


def test_screens_cannot_be_skipped(client):
    through(client, 1)
    r = client.get(url(4))
    assert r["Location"] == url(2)


# --- screen 4 -----------------------------------------------------------------------------------------------------


def test_no_contacts_is_fine(client):
    through(client, 3)
    r = go(
        client,
        4,
        {
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-channel": "platform_cs",
            "contacts-0-response": "refused",
        },
    )
    assert r["Location"] == url(5)


def test_a_contact_row_is_validated(client):
    through(client, 3)
    row = {**REFUSED, "contacts-0-at_date": "", "contacts-0-response": "promised"}
    html = go(client, 4, row).content.decode()
    assert "请选择联系的日期" in html
    assert "对方答应了什么？写下原话或选一个期限" in html
    assert "卡密发出后概不退换" in html


def test_adding_a_row_keeps_the_first(client):
    through(client, 3)
    r = go(client, 4, REFUSED, add_row="1")
    assert r.status_code == 302
    html = client.get(url(4)).content.decode()
    assert "第 2 次联系" in html
    assert "卡密发出后概不退换" in html
    assert 'name="contacts-TOTAL_FORMS" value="2"' in html


def test_a_deleted_row_is_dropped(client):
    through(client, 3)
    two = {
        **REFUSED,
        "contacts-TOTAL_FORMS": "2",
        "contacts-1-at_date": "2026-11-21",
        "contacts-1-channel": "12315",
        "contacts-1-response": "pending",
        "contacts-1-DELETE": "on",
    }
    assert go(client, 4, two).status_code == 302
    assert client.session["case_wizard"]["raw"]["4"]["contacts-TOTAL_FORMS"] == ["1"]


# --- screen 5 and the end -----------------------------------------------------------------------------------------


def test_evidence_is_grouped_as_the_seed_groups_it(client):
    through(client, 4)
    html = client.get(url(5)).content.decode()
    assert html.index("交易凭证") < html.index("沟通记录") < html.index("问题证明")
    assert "卡密失效截图" in html and "关键" in html


def test_unknown_evidence_is_refused(client):
    through(client, 4)
    assert "请从列表里勾选" in go(client, 5, {"kinds": ["selfie"]}).content.decode()


def test_finishing_creates_the_case_through_the_case_file(alice_client, alice):
    through(alice_client, 5)
    case = Case.objects.get(owner=alice)
    assert case.problem_type == "invalid_code"
    assert case.amount == Decimal("100.00")
    assert case.platform_domain == "example.com"
    assert case.paid_at == dt.datetime(2026, 11, 20, 10, tzinfo=CHINA_TZ)
    assert [(c.channel, c.response, c.answer) for c in case.contacts.all()] == [
        ("platform_cs", "refused", "卡密发出后概不退换")
    ]
    assert sorted(e.kind for e in case.evidence.all()) == ["cs_chat", "order_screenshot", "payment_record"]
    assert case.events.get().kind == "created"
    assert "case_wizard" not in alice_client.session


def test_the_last_step_redirects_to_the_plan(alice_client, alice):
    through(alice_client, 4)
    r = go(alice_client, 5, EVIDENCE)
    case = Case.objects.get(owner=alice)
    assert r["Location"] == reverse("case_detail", args=[case.public_id])


def test_a_visitor_signs_up_at_the_end_and_keeps_every_answer(client, django_user_model):
    through(client, 4)
    r = go(client, 5, EVIDENCE)
    assert r["Location"] == reverse("signup")
    assert not Case.objects.exists()
    assert "注册后会立即保存" in client.get(reverse("signup")).content.decode()
    pw = "kami-refund-2026!"
    r = client.post(reverse("signup"), {"username": "dave", "password1": pw, "password2": pw})
    case = Case.objects.get(owner__username="dave")
    assert r["Location"] == reverse("case_detail", args=[case.public_id])
    assert case.order_no == "KM20261120001"
    assert case.contacts.count() == 1


def test_a_visitor_may_log_in_instead(client, alice):
    through(client, 5)
    r = client.post(reverse("login"), {"username": "alice", "password": "alice-secret-pw-2026"})
    case = Case.objects.get(owner=alice)
    assert r["Location"] == reverse("case_detail", args=[case.public_id])


def test_choosing_other_sticks_even_when_the_story_suggests_a_type(alice_client, alice):
    # The consumer rejected every suggestion: the planner must not re-guess the type they rejected.
    through(alice_client, 1)
    go(alice_client, 2, {"problem_type": "other"})
    for n, data in ((3, DETAILS), (4, REFUSED), (5, EVIDENCE)):
        go(alice_client, n, data)
    case = Case.objects.get(owner=alice)
    assert case.problem_type == "other"
    plan = case.plan()
    assert plan.problem_type == "other"
    assert plan.to_dict()["next_action"]["channel"] == "12315"


def test_start_over_forgets_the_draft(client):
    through(client, 2)
    client.post(reverse("wizard_reset"))
    assert "case_wizard" not in client.session
    assert client.get(reverse("wizard_start"))["Location"] == url(1)


# --- what the complaint forms need (issue 8) ----------------------------------------------------------------------

DOMAIN_STORY = "11月20日在某某卡盟(kameng-example.com)买了100元游戏点卡，卡密激活时显示已被使用，客服说概不退换，拒绝处理"


def test_the_name_before_a_domain_and_the_item_are_prefilled_from_the_story(client):
    go(client, 1, {"story": DOMAIN_STORY})
    go(client, 2, {"problem_type": "invalid_code"})
    html = client.get(url(3)).content.decode()
    assert 'name="platform_name" value="某某卡盟"' in html
    assert 'name="platform_domain" value="kameng-example.com"' in html
    assert 'name="item" value="游戏点卡"' in html
    assert "收款方全称" in html  # asked, with where to find it on the payment bill
    assert "账单详情" in html


def test_the_merchant_name_from_the_payment_bill_reaches_the_case(alice_client, alice):
    through(alice_client, 2)
    go(alice_client, 3, {**DETAILS, "platform_merchant_name": "某某网络科技有限公司"})
    go(alice_client, 4, REFUSED)
    go(alice_client, 5, EVIDENCE)
    assert Case.objects.get(owner=alice).platform_merchant_name == "某某网络科技有限公司"


def test_the_first_contact_is_prefilled_from_the_story(client):
    go(client, 1, {"story": DOMAIN_STORY})
    go(client, 2, {"problem_type": "invalid_code"})
    go(client, 3, DETAILS)
    html = client.get(url(4)).content.decode()
    assert 'name="contacts-0-at_date" value="2026-11-20"' in html
    assert "概不退换</textarea>" in html
    assert '<option value="refused" selected>' in html


def test_a_consumer_who_never_contacted_customer_service_goes_on_without_a_date(alice_client, alice):
    go(alice_client, 1, {"story": DOMAIN_STORY})
    go(alice_client, 2, {"problem_type": "invalid_code"})
    go(alice_client, 3, DETAILS)
    r = go(alice_client, 4, {"contacts-TOTAL_FORMS": "1", "contacts-INITIAL_FORMS": "0"}, no_contact="1")
    assert r["Location"] == url(5)
    go(alice_client, 5, EVIDENCE)
    assert Case.objects.get(owner=alice).contacts.count() == 0


def test_a_day_without_a_time_stays_a_day(alice_client, alice):
    through(alice_client, 2)
    go(alice_client, 3, {**DETAILS, "paid_time": ""})
    go(alice_client, 4, {**REFUSED, "contacts-0-at_time": ""})
    go(alice_client, 5, EVIDENCE)
    case = Case.objects.get(owner=alice)
    facts = case.facts()
    assert facts.paid_at_time_known is False and facts.paid_at.date() == dt.date(2026, 11, 20)
    assert facts.contacts[0].at_time_known is False
    assert facts.paid_at.hour == 0  # no invented 12:00


def test_a_visitor_signs_up_on_the_last_screen_in_one_tap(client):
    through(client, 4)
    html = client.get(url(5)).content.decode()
    assert "保存案件：建一个账户" in html and 'name="password1"' in html
    pw = "kami-refund-2026!"
    r = go(client, 5, {**EVIDENCE, "username": "erin", "password1": pw, "password2": pw})
    case = Case.objects.get(owner__username="erin")
    assert r["Location"] == reverse("case_detail", args=[case.public_id])
    assert case.order_no == "KM20261120001" and case.contacts.count() == 1


def test_a_wrong_sign_up_on_the_last_screen_keeps_the_evidence_and_stores_no_password(
    client, django_user_model
):
    through(client, 4)
    r = go(
        client, 5, {**EVIDENCE, "username": "erin", "password1": "kami-refund-2026!", "password2": "other"}
    )
    assert r.status_code == 200
    assert not Case.objects.exists() and not django_user_model.objects.filter(username="erin").exists()
    html = r.content.decode()
    assert re.search(r'value="payment_record"[^>]*checked', html)  # the evidence ticked is still ticked
    assert "两次" in html or "不一致" in html or "不匹配" in html  # the sign-up error is shown
    stored = str(client.session.get("case_wizard"))
    assert "kami-refund-2026!" not in stored


def test_a_visitor_with_an_account_logs_in_from_the_last_screen(client, alice):
    through(client, 4)
    r = go(client, 5, EVIDENCE, have_account="1")
    assert r["Location"] == reverse("login")
    r = client.post(reverse("login"), {"username": "alice", "password": "alice-secret-pw-2026"})
    case = Case.objects.get(owner=alice)
    assert r["Location"] == reverse("case_detail", args=[case.public_id])
