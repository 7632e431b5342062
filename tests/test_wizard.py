"""The case wizard (story → type → platform and order → contacts and evidence): each screen's validation, a clear
story skips the type screen, nothing typed is ever lost, the case is made at the end."""

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


LAST = {**REFUSED, **EVIDENCE}  # the last screen: contacts so far and evidence held


def through(client, last: int) -> None:
    screens = {1: {"story": STORY}, 2: {"problem_type": "invalid_code"}, 3: DETAILS, 4: LAST}
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


def test_a_clear_story_skips_the_type_screen_and_shows_the_type_where_it_can_be_changed(client):
    r = go(client, 1, {"story": STORY})
    assert r["Location"] == url(3)
    assert client.session["case_wizard"]["classification"]["type"] == "invalid_code"
    html = client.get(url(3)).content.decode()
    line = re.search(r'<p class="type-line">(.*?)</p>', html, re.S).group(1)
    assert "问题类型：<strong>卡密无效</strong>" in line
    assert "卡密激活时显示已被使用" in line  # the words behind the suggestion
    assert f'href="{url(2)}"' in line and ">改</a>" in line


def test_a_clear_story_becomes_a_case_of_its_suggested_type(alice_client, alice):
    go(alice_client, 1, {"story": STORY})
    go(alice_client, 3, DETAILS)
    go(alice_client, 4, LAST)
    assert Case.objects.get(owner=alice).problem_type == "invalid_code"


def test_the_type_changed_from_the_details_screen_sticks(alice_client, alice):
    go(alice_client, 1, {"story": STORY})
    page = alice_client.get(url(2)).content.decode()
    assert re.search(r'value="invalid_code"[^>]*checked', page)  # the suggestion, ready to change
    assert go(alice_client, 2, {"problem_type": "delayed_delivery"})["Location"] == url(3)
    assert "问题类型：<strong>延迟发货</strong>" in alice_client.get(url(3)).content.decode()
    # the story told again: a type they chose is never replaced by the suggestion
    assert go(alice_client, 1, {"story": STORY})["Location"] == url(2)
    go(alice_client, 3, DETAILS)
    go(alice_client, 4, LAST)
    assert Case.objects.get(owner=alice).problem_type == "delayed_delivery"


def test_back_from_the_details_goes_to_the_story_when_the_type_was_taken_for_them(client):
    go(client, 1, {"story": STORY})
    assert go(client, 3, DETAILS, back="1")["Location"] == url(1)


def test_an_unclear_story_after_a_clear_one_drops_the_suggestion_and_asks(client):
    go(client, 1, {"story": STORY})
    r = go(client, 1, {"story": "买了个东西，出了点问题，不知道该怎么办才好"})
    assert r["Location"] == url(2)
    assert client.get(url(3))["Location"] == url(2)  # the type is open again
    page = client.get(url(2)).content.decode()
    assert "付款后收到卡密、充值或服务了吗？" in page
    assert not re.search(r'value="invalid_code"[^>]*checked', page)


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
    go(client, 1, {"story": STORY})
    r = client.get(url(4))
    assert r["Location"] == url(3)


def test_a_link_to_the_old_fifth_screen_leads_to_the_open_step(client):
    go(client, 1, {"story": STORY})
    assert client.get(url(4).replace("/4/", "/5/"))["Location"] == url(3)


# --- screen 4: contacts and evidence ------------------------------------------------------------------------------


def test_no_contacts_is_fine(alice_client, alice):
    through(alice_client, 3)
    r = go(
        alice_client,
        4,
        {
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-channel": "platform_cs",
            "contacts-0-response": "refused",
            **EVIDENCE,
        },
    )
    case = Case.objects.get(owner=alice)
    assert r["Location"] == reverse("case_detail", args=[case.public_id])
    assert case.contacts.count() == 0 and case.evidence.count() == 3


def test_a_contact_row_is_validated(client):
    through(client, 3)
    row = {**LAST, "contacts-0-at_date": "", "contacts-0-response": "promised"}
    html = go(client, 4, row).content.decode()
    assert "请选择联系的日期" in html
    assert "对方答应了什么？写下原话或选一个期限" in html
    assert "卡密发出后概不退换" in html
    assert re.search(r'value="payment_record"[^>]*checked', html)  # the evidence ticked stays ticked
    assert not Case.objects.exists()


def test_adding_a_row_keeps_the_first_and_the_evidence(client):
    through(client, 3)
    r = go(client, 4, LAST, add_row="1")
    assert r.status_code == 302
    html = client.get(url(4)).content.decode()
    assert "第 2 次联系" in html
    assert "卡密发出后概不退换" in html
    assert 'name="contacts-TOTAL_FORMS" value="2"' in html
    assert re.search(r'value="cs_chat"[^>]*checked', html)


def test_a_deleted_row_is_dropped(client):
    through(client, 3)
    two = {
        **LAST,
        "contacts-TOTAL_FORMS": "2",
        "contacts-1-at_date": "2026-11-21",
        "contacts-1-channel": "12315",
        "contacts-1-response": "pending",
        "contacts-1-DELETE": "on",
    }
    assert go(client, 4, two).status_code == 302  # to the sign-up, with the draft kept
    assert client.session["case_wizard"]["raw"]["4"]["contacts-TOTAL_FORMS"] == ["1"]


def test_evidence_is_grouped_as_the_seed_groups_it(client):
    through(client, 3)
    html = client.get(url(4)).content.decode()
    evidence = html[html.index('id="evidence"') :]
    assert evidence.index("交易凭证") < evidence.index("沟通记录") < evidence.index("问题证明")
    assert "卡密失效截图" in evidence and "关键" in evidence
    assert html.index('id="contacts"') < html.index('id="evidence"')  # one screen: contacts, then evidence


def test_unknown_evidence_is_refused(client):
    through(client, 3)
    html = go(client, 4, {**REFUSED, "kinds": ["selfie"]}).content.decode()
    assert "请从列表里勾选" in html
    assert "卡密发出后概不退换" in html  # the contact typed on the same screen is kept


# --- the end ------------------------------------------------------------------------------------------------------


def test_finishing_creates_the_case_through_the_case_file(alice_client, alice):
    through(alice_client, 4)
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
    through(alice_client, 3)
    r = go(alice_client, 4, LAST)
    case = Case.objects.get(owner=alice)
    assert r["Location"] == reverse("case_detail", args=[case.public_id])


def test_a_visitor_signs_up_at_the_end_and_keeps_every_answer(client, django_user_model):
    through(client, 3)
    r = go(client, 4, LAST)
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
    through(client, 4)
    r = client.post(reverse("login"), {"username": "alice", "password": "alice-secret-pw-2026"})
    case = Case.objects.get(owner=alice)
    assert r["Location"] == reverse("case_detail", args=[case.public_id])


def test_choosing_other_sticks_even_when_the_story_suggests_a_type(alice_client, alice):
    # The consumer rejected every suggestion: the planner must not re-guess the type they rejected.
    through(alice_client, 1)
    go(alice_client, 2, {"problem_type": "other"})
    for n, data in ((3, DETAILS), (4, LAST)):
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
    go(alice_client, 4, LAST)
    assert Case.objects.get(owner=alice).platform_merchant_name == "某某网络科技有限公司"


def test_the_first_contact_is_prefilled_from_the_story(client):
    go(client, 1, {"story": DOMAIN_STORY})
    go(client, 3, DETAILS)
    html = client.get(url(4)).content.decode()
    assert 'name="contacts-0-at_date" value="2026-11-20"' in html
    assert "概不退换</textarea>" in html
    assert '<option value="refused" selected>' in html


def test_a_consumer_who_never_contacted_customer_service_goes_on_without_a_date(alice_client, alice):
    go(alice_client, 1, {"story": DOMAIN_STORY})
    go(alice_client, 3, DETAILS)
    # the story's prefilled contact removed in one tap; the evidence already ticked on the screen stays ticked
    r = go(alice_client, 4, LAST, no_contact="1")
    assert r["Location"] == url(4) + "#evidence"
    html = alice_client.get(url(4)).content.decode()
    assert 'name="contacts-TOTAL_FORMS" value="0"' in html and "概不退换" not in html
    assert re.search(r'value="payment_record"[^>]*checked', html)
    go(alice_client, 4, {"contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0", **EVIDENCE})
    case = Case.objects.get(owner=alice)
    assert case.contacts.count() == 0 and case.evidence.count() == 3


def test_a_day_without_a_time_stays_a_day(alice_client, alice):
    through(alice_client, 2)
    go(alice_client, 3, {**DETAILS, "paid_time": ""})
    go(alice_client, 4, {**LAST, "contacts-0-at_time": ""})
    case = Case.objects.get(owner=alice)
    facts = case.facts()
    assert facts.paid_at_time_known is False and facts.paid_at.date() == dt.date(2026, 11, 20)
    assert facts.contacts[0].at_time_known is False
    assert facts.paid_at.hour == 0  # no invented 12:00


def test_a_visitor_signs_up_on_the_last_screen_in_one_tap(client):
    through(client, 3)
    html = client.get(url(4)).content.decode()
    assert "保存案件：建一个账户" in html and 'name="password1"' in html
    pw = "kami-refund-2026!"
    r = go(client, 4, {**LAST, "username": "erin", "password1": pw, "password2": pw})
    case = Case.objects.get(owner__username="erin")
    assert r["Location"] == reverse("case_detail", args=[case.public_id])
    assert case.order_no == "KM20261120001" and case.contacts.count() == 1
    page = client.get(r["Location"])  # and stays logged in: the plan opens, not the login page
    assert page.status_code == 200 and "KM20261120001" in page.content.decode()


def test_a_wrong_sign_up_on_the_last_screen_keeps_the_evidence_and_stores_no_password(
    client, django_user_model
):
    through(client, 3)
    r = go(client, 4, {**LAST, "username": "erin", "password1": "kami-refund-2026!", "password2": "other"})
    assert r.status_code == 200
    assert not Case.objects.exists() and not django_user_model.objects.filter(username="erin").exists()
    html = r.content.decode()
    assert re.search(r'value="payment_record"[^>]*checked', html)  # the evidence ticked is still ticked
    assert "两次" in html or "不一致" in html or "不匹配" in html  # the sign-up error is shown
    stored = str(client.session.get("case_wizard"))
    assert "kami-refund-2026!" not in stored


def test_a_visitor_with_an_account_logs_in_from_the_last_screen(client, alice):
    through(client, 3)
    r = go(client, 4, LAST, have_account="1")
    assert r["Location"] == reverse("login")
    r = client.post(reverse("login"), {"username": "alice", "password": "alice-secret-pw-2026"})
    case = Case.objects.get(owner=alice)
    assert r["Location"] == reverse("case_detail", args=[case.public_id])


def test_a_draft_from_the_five_screen_wizard_keeps_its_evidence(client):
    through(client, 3)
    session = client.session
    draft = session["case_wizard"]
    draft["raw"]["4"] = {k: [v] for k, v in REFUSED.items()}
    draft["raw"]["5"] = {"kinds": ["order_screenshot", "cs_chat"]}
    draft["done"] = [1, 2, 3, 4, 5]
    session["case_wizard"] = draft
    session.save()
    html = client.get(url(4)).content.decode()
    assert re.search(r'value="cs_chat"[^>]*checked', html)
    assert "卡密发出后概不退换" in html
