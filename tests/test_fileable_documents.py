"""Fileable as written (issue 7): each document tells the facts exactly as given and the law as it stands.

One test (or a small group) per point of the issue, on case files written for it in tests/data/fileable/. The
assertions are on the text a consumer would sign and file.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import docx
import pytest

from weiquan.domain.calculators import court_fee, punitive_damages
from weiquan.domain.documents import DOCUMENT_KINDS, Document, Table, build_document
from weiquan.domain.escalation import plan
from weiquan.domain.facts import CaseFacts, load_case
from weiquan.domain.render import render_docx, render_pdf, render_txt

CASES = Path(__file__).parent / "data" / "fileable"
TODAY = date(2026, 11, 25)  # after Order 121 took effect (2026-04-15)
COURT = ("small_claims", "payment_order", "evidence_list")


def case(name: str) -> CaseFacts:
    return load_case(CASES / f"{name}.json")


def build(kind: str, name: str, today: date = TODAY) -> Document:
    facts = case(name)
    return build_document(kind, facts, problem_type=plan(facts, today).problem_type, today=today)


def text(kind: str, name: str, today: date = TODAY) -> str:
    return render_txt(build(kind, name, today))


def all_texts(name: str, today: date = TODAY) -> dict[str, str]:
    return {kind: text(kind, name, today) for kind in DOCUMENT_KINDS}


def one_line(s: str) -> str:
    return re.sub(r"\s+", "", s)


# --- 1. a date without a time stays a date ----------------------------------------------------------------------


def test_a_date_given_without_a_time_never_gets_one_in_any_document() -> None:
    for kind, body in all_texts("date-only").items():
        assert re.search(r"\d+时\d\d分", body) is None, (kind, re.search(r".{30}\d+时\d\d分", body))
    police = text("police", "date-only")
    assert "2026年11月20日（具体时间【请填写：几时几分，见支付账单】）" in police
    assert "交易时间：2026年11月20日【请填写：几时几分，见账单详情】" in text("alipay", "date-only")
    assert "2026年11月21日，本人联系平台客服要求发货或退款" in text("12315", "date-only")


def test_a_time_that_was_given_is_kept() -> None:
    assert "于2026年8月10日10时00分在某游戏交易平台" in text("12315", "timelines")


# --- 2. one timeline per channel --------------------------------------------------------------------------------


def test_a_12315_complaint_filed_accepted_and_ended_is_one_complaint_in_one_sentence() -> None:
    for kind in ("12315", "small_claims", "platform_cs"):
        body = one_line(text(kind, "timelines"))
        who = "原告" if kind == "small_claims" else "本人"
        assert (
            f"2026年8月12日，{who}通过全国12315平台投诉，8月18日受理（编号1232026081200001），"
            "9月30日处理结果为“被投诉人不同意调解，终止调解”。"
        ) in body, kind
        assert body.count("12315平台投诉") == 1, kind
        assert body.count("1232026081200001") == 1, kind


def test_payment_channel_and_heimao_complaints_read_as_one_complaint_each_with_the_channel_named_right() -> (
    None
):
    body = one_line(text("12315", "timelines"))
    assert (
        "2026年10月9日，本人通过支付宝对该笔交易发起交易投诉，10月12日投诉被驳回，答复为“商家驳回”。" in body
    )
    assert "2026年10月9日，本人在黑猫投诉平台投诉（编号17351234567），10月20日商家未予答复。" in body
    for kind, doc in all_texts("timelines").items():
        assert "投诉投诉" not in doc and "向支付宝交易投诉" not in doc, kind


def test_a_new_12315_filing_after_a_refusal_is_told_as_a_second_complaint() -> None:
    body = one_line(text("12315", "refiled-12315"))
    assert (
        "2026年11月10日，本人通过全国12315平台投诉，市场监督管理部门不予受理，理由为“被投诉方信息不全”。"
        in body
    )
    assert "2026年11月16日，本人再次通过全国12315平台投诉，受理（编号5102026111600008）。" in body
    # Before the second filing the consumer is told the refusal was for a curable reason.
    first_only = case("refiled-12315")
    first_only = first_only.model_copy(update={"contacts": first_only.contacts[:1]})
    doc = render_txt(build_document("12315", first_only, problem_type="service_shrink", today=TODAY))
    assert "补全被投诉方的名称和地址后，可以再次投诉" in doc


def test_a_different_reference_number_on_the_same_channel_is_another_complaint() -> None:
    facts = case("refiled-12315")
    second = facts.contacts[1].model_copy(update={"reference": "5102026111600009"})
    third = second.model_copy(update={"at": second.at.replace(day=20), "reference": "5102026112000001"})
    facts = facts.model_copy(update={"contacts": [facts.contacts[0], second, third]})
    body = one_line(render_txt(build_document("12315", facts, problem_type="service_shrink", today=TODAY)))
    assert body.count("再次通过全国12315平台投诉") == 2


# --- 3. evidence lists ------------------------------------------------------------------------------------------


def test_a_declared_item_and_its_uploaded_file_are_one_line_with_the_files_hash() -> None:
    doc = build("evidence_list", "merged-evidence")
    table = next(b for b in doc.blocks if isinstance(b, Table))
    rows = [dict(zip(table.header, r, strict=True)) for r in table.rows]
    assert [r["证据名称"] for r in rows] == [
        "订单详情页截图",
        "平台客服聊天记录",
        "支付宝付款凭证（账单详情）",
    ]
    digest = hashlib.sha256((CASES / "evidence" / "order.png").read_bytes()).hexdigest()
    assert rows[0]["SHA-256"] == digest and "order.png" in rows[0]["来源/说明"]
    assert rows[1]["SHA-256"] == "ab" * 32 and "chat.png" in rows[1]["来源/说明"]
    assert rows[2]["来源/说明"] == "支付宝账单详情"


def test_no_document_shows_the_tools_own_wording_for_evidence() -> None:
    for kind, body in all_texts("merged-evidence").items():
        assert "向导" not in body and "勾选：我手上有" not in body, kind


def test_court_documents_say_whether_each_piece_is_an_original_or_a_copy() -> None:
    complaint = text("small_claims", "merged-evidence")
    assert "订单详情页截图：打印件，原始电子数据保存在原手机或账户中，可当庭出示" in complaint
    table = next(b for b in build("evidence_list", "merged-evidence").blocks if isinstance(b, Table))
    assert table.header[2] == "证据形式" and all(r[2] for r in table.rows)


def test_what_a_chat_record_proves_follows_the_record() -> None:
    # The platform promised and then went silent: the chat does not "prove a refusal".
    body = text("small_claims", "date-only")
    assert (
        "平台客服聊天记录：打印件，原始电子数据保存在原手机或账户中，可当庭出示；证明原告已向平台催告，平台客服承诺处理后未兑现、平台客服未予答复"
        in one_line(body)
    )
    assert "拒绝处理" not in body


# --- 4. the law on the day it applies to ------------------------------------------------------------------------


def test_a_12315_complaint_filed_after_2026_04_15_cites_order_121_by_name_and_never_the_repealed_rule() -> (
    None
):
    body = text("12315", "timelines")
    assert "《市场监督管理投诉举报处理办法（国家市场监督管理总局令第121号）》，条文以官方公布文本为准" in body
    for kind, doc in all_texts("timelines").items():
        assert "暂行办法" not in doc and "第20号" not in doc, kind


def test_a_12315_complaint_filed_before_2026_04_15_cites_the_rule_then_in_force() -> None:
    body = text("12315", "timelines", today=date(2026, 4, 1))
    assert "《市场监督管理投诉举报处理暂行办法（总局令第20号）》第九条" in body
    assert "第121号" not in body


@pytest.mark.parametrize("name", [p.stem for p in sorted(CASES.glob("*.json"))])
def test_no_document_carries_internal_notes(name: str) -> None:
    for kind, body in all_texts(name).items():
        for note in ("待核实", "种子文本", "第三部分", "按周末推算", "None"):
            assert note not in body, (name, kind, note)


# --- 5. 民事起诉状 in the 要素式 structure -------------------------------------------------------------------------


def test_the_complaint_follows_the_element_form_for_a_sales_contract() -> None:
    body = text("small_claims", "court-undelivered-fraud")
    headings = [
        h
        for h in (
            "【当事人信息】",
            "【诉讼请求和依据】",
            "【约定管辖和诉讼保全】",
            "【事实与理由】",
            "【证据清单】",
            "【调解意愿】",
        )
    ]
    positions = [body.index(h) for h in headings]
    assert positions == sorted(positions)
    for line in (
        "原告：王五",
        "性别：男",
        "出生日期：1990年5月6日",
        "民族：汉族",
        "住所：浙江省杭州市西湖区某路8号",
        "联系电话：13700000000",
        "送达地址：浙江省杭州市西湖区某路8号3单元（收件人：王五，联系电话：13700000000）",
        "电子送达：同意；电子送达地址：13700000000",
        "被告：杭州某某科技有限公司",
        "统一社会信用代码：91330100MA2XXXXXX1",
        "法定代表人：【请填写：法定代表人姓名（见国家企业信用信息公示系统）】",
        "有无仲裁或管辖约定：",
        "是否申请诉讼保全：",
        "请求依据：",
        "1. 合同的签订情况：",
        "价款支付及标的物交付情况：",
        "违约情况：",
        "催告情况：2026年11月3日10时00分，原告联系平台客服要求发货或退款，对方拒绝处理，答复称“缺货，不退款”。",
        "是否同意先行调解：",
    ):
        assert line in body, line


def test_an_undelivered_order_is_rescinded_first_then_the_price_refunded() -> None:
    body = text("small_claims", "court-undelivered-fraud")
    claims = body.split("【诉讼请求和依据】")[1].split("标的总额")[0]
    assert claims.index("判令解除原告与被告之间的网络购物合同（订单号FK20261102001）") < claims.index(
        "判令被告退还原告货款2000.00元"
    )
    for article in ("第五百六十三条", "第五百六十五条第二款", "第五百六十六条"):
        assert article in body.split("请求依据：")[1].split("\n")[0]


def test_the_court_fee_is_computed_on_everything_claimed_including_the_punitive_claim() -> None:
    body = text("small_claims", "court-undelivered-fraud")
    punitive = punitive_damages(2000, fraud_shown=True).potential_amount  # 6000
    total = 2000 + punitive
    assert "判令被告向原告支付价款三倍的赔偿金6000.00元（人民币陆仟元整）" in body
    assert "标的总额：8000.00元（人民币捌仟元整）" in body
    fee = court_fee(total, "small_claims").fee  # 浙江's limit is above 8,000
    assert f"按标的总额8,000元计算约{fee}元" in body


def test_an_identified_operator_that_vanished_can_still_be_sued_with_service_by_publication() -> None:
    facts = case("court-undelivered-fraud")
    facts = facts.model_copy(update={"platform": facts.platform.model_copy(update={"reachable": False})})
    body = render_txt(build_document("small_claims", facts, problem_type="fake_stock", today=TODAY))
    assert "仍可以按普通程序起诉，法院可以公告送达" in body
    assert "请求适用小额诉讼程序审理" not in body


# --- 6. 支付令 -------------------------------------------------------------------------------------------------------


def test_a_payment_order_without_an_agreed_amount_never_says_the_debt_is_undisputed() -> None:
    for name in ("timelines", "date-only", "court-undelivered-fraud"):
        body = text("payment_order", name)
        assert "没有异议" not in body and "无异议" not in body, name
        assert "没有被申请人同意退还具体金额的记录" in body, name


def test_a_payment_order_on_an_agreed_refund_states_the_amount_and_the_date_of_the_agreement() -> None:
    body = text("payment_order", "agreed-refund")
    assert "给付申请人其同意退还的款项200.00元（人民币贰佰元整）" in body
    assert "2026年11月12日9时00分，被申请人通过平台客服明确同意退还申请人200.00元（人民币贰佰元整）" in body
    assert "对此没有异议" in body


# --- 7. data leaks are a tort -------------------------------------------------------------------------------------


def test_a_data_leak_is_a_personal_information_dispute_in_every_court_document() -> None:
    for kind in COURT:
        assert "个人信息保护纠纷" in text(kind, "data-leak"), kind
        assert "网络购物合同纠纷" not in text(kind, "data-leak"), kind


def test_a_data_leak_complaint_uses_ordinary_procedure_tort_jurisdiction_and_tort_claims() -> None:
    body = text("small_claims", "data-leak")
    assert "按普通程序审理" in body and "请求适用小额诉讼程序" not in body
    assert "《民事诉讼法（2023年修正）》第二十九条" in body and "信息网络侵权" in body
    claims = body.split("【诉讼请求和依据】")[1].split("【约定管辖和诉讼保全】")[0]
    for remedy in ("停止侵害", "删除其保存的原告个人信息", "赔礼道歉", "赔偿原告损失"):
        assert remedy in claims, remedy
    assert "解除" not in claims and "退还原告货款" not in claims
    # The platform that holds the account is the defendant, whoever sold the goods.
    assert "被告：北京某某信息技术有限公司" in body
    assert "小额诉讼" not in body
    assert "不适用督促程序" in text("payment_order", "data-leak")


# --- 8. seller vs platform --------------------------------------------------------------------------------------


def test_a_shop_on_a_marketplace_is_the_defendant_and_the_platforms_liability_is_named() -> None:
    body = text("small_claims", "shop-seller")
    defendant = body.split("被告：")[1].split("【诉讼请求和依据】")[0]
    assert defendant.startswith("南京星光点卡经营部\n")
    assert "统一社会信用代码：92320100MA3XXXXXX2" in defendant
    assert "被告：某某网络科技有限公司" not in body
    assert "《消费者权益保护法》第四十四条" in body and "《电子商务法》第三十八条" in body
    complaint = text("12315", "shop-seller")
    assert "名称：南京星光点卡经营部" in complaint
    assert (
        "所在平台：某游戏交易平台（game-trade.example.com）（平台经营者：某某网络科技有限公司）" in complaint
    )
    assert "被申请人：南京星光点卡经营部" in text("payment_order", "shop-seller")
    assert "致某游戏交易平台“星光点卡店”客服：" in text("platform_cs", "shop-seller")
    assert "投诉对象：某游戏交易平台“星光点卡店”店铺" in text("heimao", "shop-seller")


def test_when_nobody_said_who_sold_it_the_documents_ask_instead_of_guessing() -> None:
    ask = "【请填写：商品由平台自营还是由平台内店铺出售"
    for kind in ("small_claims", "payment_order", "12315"):
        assert ask in text(kind, "seller-unknown"), kind
    assert ask not in text("small_claims", "shop-seller")


# --- 9. the police report -----------------------------------------------------------------------------------------


def test_the_police_report_cites_the_fraud_article_with_the_thresholds_real_sources_and_the_right_to_report() -> (
    None
):
    body = text("police", "police-runaway")
    assert "涉嫌诈骗（《刑法》第二百六十六条）" in body
    assert "法发〔2016〕32号" in body and "二、（一）" in body
    assert "依照《刑事诉讼法》第一百一十条的规定向公安机关报案控告" in body
    small = text("police", "date-only")  # 100 元: below the threshold, the note explains both sources
    assert "法发〔2016〕32号" in small and "3000元至1万元以上，由各省在此幅度内确定" in small
    assert "《关于办理诈骗刑事案件具体应用法律若干问题的解释》第一条" in small


# --- 10. txt, DOCX and PDF say the same -------------------------------------------------------------------------


def _docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    parts += [cell.text for table in d.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_docx_carries_the_same_filing_text_as_the_txt() -> None:
    doc = build("small_claims", "court-undelivered-fraud")
    docx_body = one_line(_docx_text(render_docx(doc)))
    for line in (
        "标的总额：8000.00元（人民币捌仟元整）",
        "判令解除原告与被告之间的网络购物合同",
        "电子送达：同意",
    ):
        assert one_line(line) in docx_body, line


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_carries_the_same_filing_text_as_the_txt(tmp_path: Path) -> None:
    path = tmp_path / "complaint.pdf"
    path.write_bytes(render_pdf(build("small_claims", "court-undelivered-fraud")))
    pdf = one_line(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    )
    for line in ("标的总额", "捌仟元整", "判令解除原告与被告之间的网络购物合同"):
        assert line in pdf, line


# --- the web app's evidence rows make the same merged lines ----------------------------------------------------


@pytest.mark.django_db
def test_a_wizard_declared_item_and_its_upload_are_one_line_in_the_downloaded_evidence_list(
    alice_client, alice_case
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from weiquan.evidence.models import Evidence

    Evidence.objects.create(
        case=alice_case, kind="order_screenshot", description="向导中勾选：我手上有这份材料", declared=True
    )
    data = b"order screenshot uploaded through the web\n"
    url = reverse("evidence_upload", args=[alice_case.public_id])
    alice_client.post(url, {"file": SimpleUploadedFile("订单 截图.txt", data), "kind": "order_screenshot"})
    assert alice_case.evidence.filter(kind="order_screenshot", declared=False).exists()

    doc_url = reverse("case_document", args=[alice_case.public_id, "evidence_list", "txt"])
    body = alice_client.get(doc_url).content.decode("utf-8")
    assert "向导" not in body
    assert body.count("证据名称：订单详情页截图") == 1
    assert hashlib.sha256(data).hexdigest() in body and "文件：订单 截图.txt" in body
