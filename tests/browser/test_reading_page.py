"""On a phone: the screenshot with the boxes of what was read, ticking one value and confirming it into the case."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consumer_confirms_the_payee_read_from_a_bill(
    page, live_server, shots, tmp_path, django_user_model, seed_case_file
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from playwright.sync_api import expect
    from screenshots import alipay_bill

    from weiquan.cases.models import Case
    from weiquan.evidence.intel_models import EvidenceReading
    from weiquan.evidence.services import store_upload

    user = django_user_model.objects.create_user("xiaoming", password="kami-refund-2026!")
    case = Case.create_from_case_file(user, seed_case_file)
    image = alipay_bill(tmp_path / "bill.png")
    evidence = store_upload(
        case, SimpleUploadedFile("账单.png", image.read_bytes(), "image/png"), kind="payment_record"
    )
    EvidenceReading.objects.create(
        evidence=evidence,
        kind="payment_record",
        layout="alipay_bill",
        width=1080,
        height=2400,
        fields={
            "amount": {"value": 1299.0, "confidence": 1.0, "box": [325, 410, 754, 527], "text": "-1,299.00"},
            "merchant_name": {
                "value": "深圳市某某网络科技有限公司",
                "confidence": 1.0,
                "box": [325, 994, 852, 1043],
                "text": "",
            },
            "merchant_order_no": {
                "value": "KM20261120001",
                "confidence": 0.7,
                "box": [326, 1190, 634, 1235],
                "text": "",
            },
        },
    )

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("xiaoming")
    page.get_by_label("密码").fill("kami-refund-2026!")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/cases/{case.public_id}/")
    page.locator("#evidence > summary").click()  # the evidence section is folded below the next step
    page.get_by_role("link", name="识别截图 · 导入聊天记录 · 网页取证").click()
    page.get_by_role("link", name="查看并确认").click()

    expect(page.locator("figure.shot rect")).to_have_count(3)
    expect(page.locator("figure.shot rect.low")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.screenshot(path=shots / "reading.png", full_page=True)

    page.get_by_label("核对无误，写入案件").nth(1).check()  # 收款方全称
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_text("已写入案件：收款方全称")).to_be_visible()
    case.refresh_from_db()
    assert case.platform_merchant_name == "深圳市某某网络科技有限公司"
    assert str(case.amount) == "100.00"
