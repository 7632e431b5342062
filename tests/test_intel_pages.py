"""The evidence-intelligence pages as the consumer sees them: the screenshot with its boxes, confirming into the
case, importing a chat, queuing a capture; every page only for the case's owner."""

from __future__ import annotations

import io

import pytest

from weiquan.evidence.intel_models import EvidenceReading

pytestmark = pytest.mark.django_db


@pytest.fixture
def bill_evidence(alice_case):
    """A stored image with its reading already made (OCR itself is tested in test_ocr.py)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from weiquan.evidence.services import store_upload

    buf = io.BytesIO()
    Image.new("RGB", (1080, 1400), "white").save(buf, "PNG")
    evidence = store_upload(
        alice_case,
        SimpleUploadedFile("账单.png", buf.getvalue(), "image/png"),
        kind="code_failure_screenshot",
    )
    EvidenceReading.objects.create(
        evidence=evidence,
        kind="payment_record",
        layout="alipay_bill",
        text="账单详情\n-1,299.00",
        width=1080,
        height=1400,
        fields={
            "amount": {"value": 1299.0, "confidence": 1.0, "box": [325, 410, 754, 527], "text": "-1,299.00"},
            "merchant_name": {
                "value": "深圳市某某网络科技有限公司",
                "confidence": 0.62,
                "box": [325, 994, 852, 1043],
                "text": "深圳市某某网络科技有限公司",
            },
            "merchant_order_no": {
                "value": "KM20261120001",
                "confidence": 1.0,
                "box": [326, 1190, 634, 1235],
                "text": "KM20261120001",
            },
        },
    )
    return evidence


def test_reading_page_shows_each_field_over_the_image(alice_client, bill_evidence):
    r = alice_client.get(f"/evidence/{bill_evidence.public_id}/reading/")
    page = r.content.decode()
    assert r.status_code == 200
    assert '<rect class="" x="325" y="410" width="429" height="117"/>' in page
    assert '<rect class="low"' in page  # the uncertain payee is marked for checking
    assert page.count("核对无误，写入案件") == 3  # the bill's own 订单号 is shown but does not enter the case
    assert "收款方全称" in page and 'value="1299.00"' in page
    assert "这张图看起来是：<strong>支付记录</strong>" in page
    assert alice_client.get(f"/evidence/{bill_evidence.public_id}/image")["Content-Type"] == "image/png"


def test_only_ticked_values_enter_the_case_and_the_kind_can_be_corrected(
    alice_client, alice_case, bill_evidence
):
    r = alice_client.post(
        f"/evidence/{bill_evidence.public_id}/reading/",
        {
            "confirm": ["merchant_name", "merchant_order_no", "order_no"],
            "value_order_no": "2026112022001412345678",
            "value_merchant_name": "深圳市某某网络科技有限公司",
            "value_merchant_order_no": "KM20261120001",
            "value_amount": "1299.00",
            "correct_kind": "1",
        },
    )
    assert r.status_code == 302
    alice_case.refresh_from_db()
    assert alice_case.platform_merchant_name == "深圳市某某网络科技有限公司"
    assert alice_case.order_no == "KM20261120001"  # the platform's number, not 支付宝's own 订单号
    assert str(alice_case.amount) == "100.00"  # shown, not ticked: unchanged
    bill_evidence.refresh_from_db()
    assert bill_evidence.kind == "payment_record"
    # the bill now counts for payment and payee — not for the failed code it was uploaded as
    facts = {f["id"]: f for f in alice_case.plan().to_dict()["evidence"]["facts"]}
    assert "code_unused_and_failed" in facts and not facts["code_unused_and_failed"]["covered"]


def test_a_wrong_correction_is_refused_in_chinese_and_nothing_changes(
    alice_client, alice_case, bill_evidence
):
    r = alice_client.post(
        f"/evidence/{bill_evidence.public_id}/reading/", {"confirm": ["amount"], "value_amount": "一千多"}
    )
    assert r.status_code == 200
    assert "金额：请写成数字" in r.content.decode()
    alice_case.refresh_from_db()
    assert str(alice_case.amount) == "100.00"


def test_agreement_gap_is_shown_on_the_intel_page(alice_client, alice_case, bill_evidence):
    alice_client.post(
        f"/evidence/{bill_evidence.public_id}/reading/",
        {"confirm": ["merchant_name"], "value_merchant_name": "深圳市某某网络科技有限公司"},
    )
    page = alice_client.get(f"/cases/{alice_case.public_id}/intel/").content.decode()
    # the bill says 1,299.00, the case says 100: a gap with what to do
    assert "金额不一致" in page and "1,299.00元" in page and "怎么办" in page


def test_chat_import_from_the_page(alice_client, alice_case):
    chat = "2026-11-20 10:30:00 我\n卡密无效，请退款\n2026-11-20 10:31:00 某某卡盟客服\n卡密发出后概不退换\n"
    f = io.BytesIO(chat.encode("gbk"))
    f.name = "chat.txt"
    r = alice_client.post(f"/cases/{alice_case.public_id}/intel/chat", {"file": f}, follow=True)
    assert "拒绝 1 处" in r.content.decode()
    assert alice_case.contacts.filter(response="refused", answer="卡密发出后概不退换").exists()
    assert alice_case.evidence.filter(
        kind="cs_chat", original_name="chat.txt"
    ).exists()  # the file is kept too


def test_an_order_number_in_the_chat_that_differs_from_the_case_is_a_gap(alice_client, alice_case):
    chat = (
        "2026-11-20 10:30:00 我\n订单号：KM99990000，卡密无效\n2026-11-20 10:31:00 客服\n亲，我帮您查一下\n"
    )
    f = io.BytesIO(chat.encode("utf-8"))
    f.name = "chat.txt"
    alice_client.post(f"/cases/{alice_case.public_id}/intel/chat", {"file": f})
    page = alice_client.get(f"/cases/{alice_case.public_id}/intel/").content.decode()
    assert "订单号对不上" in page and "KM99990000" in page and "KM20261120001" in page


def test_pages_are_for_the_owner_only(bob_client, alice_case, bill_evidence):
    assert bob_client.get(f"/cases/{alice_case.public_id}/intel/").status_code == 404
    assert bob_client.get(f"/evidence/{bill_evidence.public_id}/reading/").status_code == 404
    assert bob_client.get(f"/evidence/{bill_evidence.public_id}/image").status_code == 404
    assert (
        bob_client.post(
            f"/cases/{alice_case.public_id}/intel/capture", {"url": "https://example.com/"}
        ).status_code
        == 404
    )
    assert not alice_case.capture_jobs.exists()
