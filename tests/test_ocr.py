"""Reading screenshots offline: a 支付宝 bill, a 微信支付 bill, a 卡盟 order page and an error screen, drawn by the
tests (tests/screenshots.py) and read once per module with one shared OCR engine; the field rules on hand-made boxes;
agreement across evidence."""

from __future__ import annotations

import json

import pytest
from screenshots import alipay_bill, error_screen, order_page, wechat_bill

from weiquan.cli import main
from weiquan.domain.agreement import case_source, chat_source, check_agreement, reading_source
from weiquan.domain.ocr_fields import OcrLine, extract, parse_amount, parse_time


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shots")
    return {
        "alipay": alipay_bill(folder / "alipay.png"),
        "wechat": wechat_bill(folder / "wechat.png"),
        "order": order_page(folder / "order.jpg"),
        "error": error_screen(folder / "error.png"),
    }


@pytest.fixture(scope="module")
def readings(shots):
    from weiquan.evidence.reader import read_file

    # Four OCR runs in the whole module: the two bills here, the error screen through the CLI, the order page
    # through the API.
    return {name: read_file(shots[name]) for name in ("alipay", "wechat")}


def values(reading):
    return {k: v.value for k, v in reading.fields.items()}


def test_alipay_bill_gives_amount_time_payee_and_both_order_numbers(readings):
    r = readings["alipay"]
    assert r.kind == "payment_record"
    assert values(r) == {
        "amount": 1299.0,
        "paid_at": "2026-11-20T10:00:05+08:00",
        "order_no": "2026112022001412345678",
        "merchant_order_no": "KM20261120001",
        "merchant_name": "深圳市某某网络科技有限公司",
        "item": "1299元游戏点卡",
        "payment_method": "alipay",
    }
    box = r.fields["merchant_name"].box
    assert box[0] > 300 and 990 <= box[1] < box[3] <= 1050  # the value's box, right of its label
    assert r.fields["amount"].confidence > 0.9


def test_wechat_bill_reads_chinese_date_and_merchant_number(readings):
    v = values(readings["wechat"])
    assert v["amount"] == 100.0
    assert v["paid_at"] == "2026-11-20T10:00:05+08:00"
    assert v["merchant_name"] == "广州某某贸易有限公司"
    assert v["merchant_order_no"] == "KM20261120002"
    assert v["order_no"] == "4200001234202611201234"
    assert v["payment_method"] == "wechat_pay"


def test_cli_read_json_has_kind_text_and_fields_with_boxes(shots, capsys):
    assert main(["read", str(shots["error"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "code_failure_screenshot"
    assert "该卡密已被使用" in out["text"]
    assert {k: v["value"] for k, v in out["fields"].items()} == {"error_text": "该卡密已被使用"}
    field = out["fields"]["error_text"]
    assert set(field) >= {"value", "confidence", "box"} and len(field["box"]) == 4


def test_cli_read_refuses_a_file_that_is_not_an_image(tmp_path, capsys):
    f = tmp_path / "note.png"
    f.write_text("not an image")
    assert main(["read", str(f)]) == 2
    assert "不是可以识别的图片" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("-1,299.00", 1299.0),
        ("¥100.00", 100.0),
        ("￥1，299.00", 1299.0),
        ("-1.299.00", 1299.0),
        ("50元", 50.0),
    ],
)
def test_amounts_never_lose_a_comma_or_a_yen_sign(text, amount):
    assert parse_amount(text) == amount


def test_times_in_both_formats_are_iso_in_beijing_time():
    assert parse_time("2026年11月20日 10:00:05") == "2026-11-20T10:00:05+08:00"
    assert parse_time("2026/11/20 9:05") == "2026-11-20T09:05:00+08:00"
    assert parse_time("２０２６－１１－２０") == "2026-11-20"


def line(text, x0, y0, x1, y1, score=0.99):
    return OcrLine(text, (x0, y0, x1, y1), score)


def test_full_width_labels_and_a_wrapped_order_number_are_read_after_nfkc():
    r = extract(
        [
            line("账单详情", 440, 70, 630, 120),
            line("收款方全称", 55, 300, 260, 345),
            line("深圳市某某科技有限公司", 330, 300, 800, 345),
            line("订单号", 55, 400, 180, 445),
            line("20261120220014123456", 330, 400, 800, 445),
            line("78901234", 330, 455, 520, 500),
            line("商家订单号：ＫＭ２０２６", 55, 560, 520, 600, 0.8),
        ]
    )
    assert r.fields["order_no"].value == "2026112022001412345678901234"
    assert r.fields["order_no"].box == (330, 400, 800, 500)
    assert r.fields["merchant_order_no"].value == "KM2026"
    assert r.fields["merchant_order_no"].confidence == 0.8
    assert r.fields["merchant_name"].value == "深圳市某某科技有限公司"


def test_order_page_with_value_under_its_label():
    r = extract(
        [
            line("实付金额", 40, 100, 200, 140),
            line("¥ 88.50", 40, 160, 200, 200),
            line("订单编号", 40, 230, 200, 270),
            line("A12345678", 40, 290, 300, 330),
        ]
    )
    assert r.fields["amount"].value == 88.5
    assert r.fields["order_no"].value == "A12345678"


def test_agreement_names_each_disagreement_with_how_to_fix_it():
    order = reading_source(
        "订单截图",
        "order_screenshot",
        {"amount": 100.0, "order_no": "KM1001", "paid_at": "2026-11-20T09:59:00+08:00"},
    )
    bill = reading_source(
        "支付宝账单",
        "payment_record",
        {
            "amount": 99.0,
            "order_no": "2026112022001",
            "merchant_order_no": "KM1002",
            "paid_at": "2026-11-21T10:00:00+08:00",
        },
    )
    chat = chat_source(["我的订单号：KM1001，卡密用不了"])
    gaps = check_agreement([order, bill, chat])
    fields = [g.field for g in gaps]
    assert fields.count("amount") == 1 and "100.00元" in gaps[0].message and "99.00元" in gaps[0].message
    assert ("订单截图", "支付宝账单") in [g.sources for g in gaps if g.field == "order_no"]
    assert ("订单截图", "客服聊天记录") not in [g.sources for g in gaps if g.field == "order_no"]
    assert "time" in fields
    assert all(g.how for g in gaps)


def test_matching_evidence_has_no_gap():
    order = reading_source(
        "订单截图",
        "order_screenshot",
        {"amount": 1299.0, "order_no": "KM20261120001", "paid_at": "2026-11-20T09:59:30+08:00"},
    )
    bill = reading_source(
        "支付宝账单",
        "payment_record",
        {
            "amount": 1299.0,
            "order_no": "2026112022001",
            "merchant_order_no": "km-20261120001",
            "paid_at": "2026-11-20T10:00:05+08:00",
        },
    )
    case = case_source({"amount": 1299, "order_no": "KM20261120001", "paid_at": "2026-11-20"})
    assert check_agreement([order, bill, case]) == []


# --- the web API: read a stored screenshot, confirm into the case ------------------------------------------------


@pytest.mark.django_db
def test_api_reads_an_order_page_and_only_confirmed_values_enter_the_case(client, alice_case, bob, shots):
    from weiquan.accounts.models import ApiToken

    alice_api = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(alice_case.owner)}"}
    bob_api = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(bob)}"}
    with open(shots["order"], "rb") as fh:
        r = client.post(
            f"/api/cases/{alice_case.public_id}/evidence",
            {"file": fh, "kind": "order_screenshot"},
            **alice_api,
        )
    assert r.status_code == 201, r.content
    evidence_id = r.json()["id"]
    assert client.get(f"/api/evidence/{evidence_id}/reading", **bob_api).status_code == 404

    r = client.get(f"/api/evidence/{evidence_id}/reading", **alice_api)
    assert r.status_code == 200, r.content
    reading = r.json()
    assert reading["kind"] == "order_screenshot"
    assert {k: v["value"] for k, v in reading["fields"].items()} == {
        "amount": 1299.0,
        "paid_at": "2026-11-20T09:59:30+08:00",
        "order_no": "KM20261120001",
        "item": "1299元游戏点卡",
        "payment_method": "alipay",
    }
    alice_case.refresh_from_db()
    assert str(alice_case.amount) == "100.00"  # read, not yet confirmed: the case is unchanged

    r = client.post(
        f"/api/evidence/{evidence_id}/reading/confirm",
        {"fields": {"amount": "1,299.00", "order_no": "KM20261120001"}},
        content_type="application/json",
        **alice_api,
    )
    assert r.status_code == 200, r.content
    alice_case.refresh_from_db()
    assert str(alice_case.amount) == "1299.00" and alice_case.order_no == "KM20261120001"
    assert alice_case.item == "100元游戏点卡"  # not confirmed, not changed
    assert alice_case.events.filter(kind="reading_confirmed").exists()

    r = client.post(
        f"/api/evidence/{evidence_id}/reading/confirm",
        {"fields": {"amount": "很多"}},
        content_type="application/json",
        **alice_api,
    )
    assert r.status_code == 422 and "金额" in r.json()["error"]


def test_a_long_payee_wrapped_under_a_right_aligned_value_is_joined():
    r = extract(
        [
            line("商户全称", 55, 935, 225, 985),
            line("广州市某某某网络信息技术", 500, 935, 1030, 985),
            line("有限公司", 850, 995, 1030, 1040),
            line("支付方式", 55, 1060, 225, 1110),
            line("零钱", 950, 1060, 1030, 1110),
        ]
    )
    assert r.fields["merchant_name"].value == "广州市某某某网络信息技术有限公司"
    assert r.fields["payment_method"].value == "wechat_pay"


def test_error_screen_with_an_invalid_code_message():
    r = extract([line("兑换", 400, 60, 600, 110), line("激活码无效，请检查后重试", 200, 700, 880, 760)])
    assert r.kind == "code_failure_screenshot"
    assert r.fields["error_text"].value == "激活码无效，请检查后重试"  # as shown, not normalised


def test_a_registered_name_keeps_its_full_width_brackets():
    r = extract(
        [
            line("收款方全称：某某（深圳）网络科技有限公司", 55, 300, 900, 345),
            line("商家订单号", 55, 400, 260, 445),
            line("ＫＭ１２３４５６", 330, 400, 600, 445),
        ]
    )
    assert r.fields["merchant_name"].value == "某某（深圳）网络科技有限公司"
    assert r.fields["merchant_order_no"].value == "KM123456"


def test_order_page_labels_that_start_like_another_label():
    r = extract(
        [
            line("商品名称：100元点卡", 40, 100, 500, 140),
            line("商品单价：¥50.00", 40, 160, 500, 200),
            line("购买数量：2", 40, 220, 500, 260),
            line("优惠金额：¥5.00", 40, 280, 500, 320),
            line("商品金额：¥95.00", 40, 340, 500, 380),
            line("订单号：A20261120", 40, 400, 500, 440),
        ]
    )
    assert r.fields["item"].value == "100元点卡"
    assert r.fields["amount"].value == 95.0
