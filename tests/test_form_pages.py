"""Complaint texts in the page (issue 8): each box of the 12315 / 黑猫 / 支付宝 form with its own 复制 button, the
missing facts asked for on the page and saved to the case, so the text completes itself."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
import time_machine
from django.urls import reverse

from weiquan.cases.models import Case
from weiquan.domain.escalation import plan
from weiquan.domain.facts import CHINA_TZ, parse_case
from weiquan.domain.forms_text import form_fields, form_text

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, tzinfo=CHINA_TZ), tick=False):
        yield


def boxes(client, case, kind: str) -> dict[str, str]:
    """Label → the exact text its 复制 button copies, as the page shows them."""
    r = client.get(reverse("case_form", args=[case.public_id, kind]))
    assert r.status_code == 200
    page = r.content.decode()
    labels = dict(re.findall(r'<h2 class="ff-label" id="(ff-\d+)-label">([^<]+)</h2>', page))
    values = dict(re.findall(r'<div class="ff-value[^"]*" id="(ff-\d+)">(.*?)</div>', page, re.S))
    copied = set(re.findall(r'data-copy="(ff-\d+)"', page))
    assert copied == set(values)  # every value has its own button, and only values have one
    return {labels[k]: htmllib.unescape(v) for k, v in values.items()}


# --- the texts (pure domain) --------------------------------------------------------------------------------------


def test_the_12315_boxes_follow_the_form(seed_case_file):
    facts = parse_case(seed_case_file)
    fields = {f.label: f for f in form_fields(facts, "12315", plan(facts, TODAY))}
    assert list(fields)[:3] == ["被投诉方名称", "被投诉方地址", "统一社会信用代码"]
    assert fields["购买时间"].value == "2026年11月20日10时00分"
    assert fields["金额（元）"].value == "100.00"
    assert fields["订单号"].value == "KM20261120001"
    assert fields["投诉问题"].value == "卡密无效"
    assert fields["诉求"].value == "请求督促被投诉方补发可正常使用的有效卡密或全额退还货款100.00元。"
    assert "答复称“卡密发出后概不退换”" in fields["事实与理由"].value
    assert fields["证据"].value == "订单截图、支付记录、客服聊天记录"
    # missing facts: an empty value, a slot and a question, never a placeholder in the copied text
    name = fields["被投诉方名称"]
    assert (
        name.value == "" and name.missing_hint == "【请填写：经营者全称】" and name.ask == "platform_company"
    )
    assert not any("【" in f.value for f in fields.values())


def test_a_date_only_payment_has_no_invented_time(seed_case_file):
    facts = parse_case({**seed_case_file, "paid_at": "2026-11-20"})
    fields = {f.label: f.value for f in form_fields(facts, "12315", plan(facts, TODAY))}
    assert fields["购买时间"] == "2026年11月20日"


def test_the_heimao_boxes_are_masked(seed_case_file):
    story = "我叫王小明，手机13812345678，卡密：ABCD-EFGH-1234-5678，订单号KM20261120001。卡密激活时显示已被使用。"
    facts = parse_case({**seed_case_file, "description": story})
    text = form_text(facts, "heimao", plan(facts, TODAY))
    assert text.public
    labels = [f.label for f in text.fields]
    assert labels == ["标题", "投诉对象", "投诉问题", "投诉要求", "涉诉金额（元）", "描述"]
    everything = "\n".join(f.value for f in text.fields)
    for secret in ("王小明", "13812345678", "ABCD-EFGH-1234-5678", "KM20261120001"):
        assert secret not in everything
    assert "尾号0001" in everything


def test_the_payment_complaint_asks_for_the_merchant_from_the_bill(seed_case_file):
    facts = parse_case(seed_case_file)
    text = form_text(facts, "alipay", plan(facts, TODAY))
    assert text.asks == ["platform_merchant_name"]
    merchant = next(f for f in text.fields if f.label == "投诉商户")
    assert "账单详情" in merchant.tip


# --- the page -----------------------------------------------------------------------------------------------------


def test_the_12315_page_shows_every_box_with_a_copy_button(alice_client, alice_case):
    got = boxes(alice_client, alice_case, "12315")
    assert got["订单号"] == "KM20261120001"
    assert got["金额（元）"] == "100.00"
    assert "被投诉方名称" not in got  # missing: no copy button, a question instead
    page = alice_client.get(reverse("case_form", args=[alice_case.public_id, "12315"])).content.decode()
    assert "【请填写：经营者全称】" in page and 'name="platform_company"' in page
    assert "<script>" not in page and "onclick" not in page  # no inline script (CSP)
    assert "js/copy.js" in page
    for fmt in ("txt", "docx", "pdf"):
        assert reverse("case_document", args=[alice_case.public_id, "12315", fmt]) in page


def test_missing_facts_are_saved_to_the_case_and_complete_the_text(alice_client, alice_case):
    before = alice_case.events.count()
    r = alice_client.post(
        reverse("case_form", args=[alice_case.public_id, "12315"]),
        {
            "platform_company": "某某网络科技有限公司",
            "platform_address": "广东省深圳市南山区某某路1号",
            "platform_credit_code": "91350100M000100Y43",
        },
    )
    assert r.status_code == 302
    got = boxes(alice_client, alice_case, "12315")
    assert got["被投诉方名称"] == "某某网络科技有限公司"
    assert got["被投诉方地址"] == "广东省深圳市南山区某某路1号"
    assert got["统一社会信用代码"] == "91350100M000100Y43"
    case = Case.objects.get(pk=alice_case.pk)
    assert case.events.count() == before + 1
    event = case.events.order_by("-seq").first()
    assert event.kind == "facts_completed" and event.payload["platform_company"] == "某某网络科技有限公司"
    # and the downloaded text agrees
    txt = alice_client.get(reverse("case_document", args=[alice_case.public_id, "12315", "txt"]))
    assert "某某网络科技有限公司" in txt.content.decode()


def test_a_wrong_credit_code_is_refused_in_chinese_and_nothing_is_stored(alice_client, alice_case):
    r = alice_client.post(
        reverse("case_form", args=[alice_case.public_id, "12315"]),
        {"platform_company": "某某网络科技有限公司", "platform_credit_code": "123"},
    )
    assert r.status_code == 400
    assert "统一社会信用代码不对" in r.content.decode()
    case = Case.objects.get(pk=alice_case.pk)
    assert case.platform_company == "" and case.platform_credit_code == ""


def test_only_the_asked_facts_can_be_changed_here(alice_client, alice_case):
    alice_client.post(
        reverse("case_form", args=[alice_case.public_id, "12315"]),
        {"amount": "1", "description": "改掉", "platform_address": "某地"},
    )
    case = Case.objects.get(pk=alice_case.pk)
    assert case.amount == alice_case.amount and case.description == alice_case.description
    assert case.platform_address == "某地"


def test_someone_elses_form_page_is_404(bob_client, alice_case):
    url = reverse("case_form", args=[alice_case.public_id, "12315"])
    assert bob_client.get(url).status_code == 404
    assert bob_client.post(url, {"platform_address": "x"}).status_code == 404
    assert Case.objects.get(pk=alice_case.pk).platform_address == ""


def test_an_unknown_form_is_404(alice_client, alice_case):
    assert alice_client.get(reverse("case_form", args=[alice_case.public_id, "police"])).status_code == 404


def test_the_case_page_links_the_next_step_to_its_form(alice_client, alice_case):
    page = alice_client.get(reverse("case_detail", args=[alice_case.public_id])).content.decode()
    nxt = page[page.index('id="next"') : page.index("</section>", page.index('id="next"'))]
    assert reverse("case_form", args=[alice_case.public_id, "12315"]) in nxt
    assert "逐项复制" in nxt


def test_the_case_page_folds_everything_below_the_next_step(alice_client, alice_case):
    page = alice_client.get(reverse("case_detail", args=[alice_case.public_id])).content.decode()
    for section in ("ladder", "evidence", "documents", "record", "history", "more"):
        assert re.search(
            rf'<details id="{section}" class="card fold">|<details class="card fold" id="{section}">', page
        ), section


def test_the_written_demand_leaves_unfilled_signature_lines_out_of_the_copied_text(seed_case_file):
    facts = parse_case(seed_case_file)
    fields = {f.label: f for f in form_fields(facts, "platform_cs", plan(facts, TODAY))}
    assert "【" not in fields["发给客服的全文"].value
    assert fields["署名"].missing_hint == "【请填写：你的姓名】" and fields["署名"].ask == "consumer_name"
    named = parse_case({**seed_case_file, "consumer": {"name": "王小明", "phone": "13800000000"}})
    text = {f.label: f for f in form_fields(named, "platform_cs", plan(named, TODAY))}["发给客服的全文"].value
    assert "消费者：王小明" in text and "联系电话：13800000000" in text
