"""Complaint documents: every kind from the seed case in text, DOCX and PDF, with the facts each must carry."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pytest

from weiquan.domain import documents, render
from weiquan.domain.documents import (
    DOCUMENT_KINDS,
    Document,
    Field,
    Heading,
    ItemList,
    Note,
    Paragraph,
    Table,
    build_document,
)
from weiquan.domain.facts import CaseFacts, EvidenceItem, load_case, parse_case
from weiquan.domain.render import render_docx, render_txt, write_documents
from weiquan.domain.taxonomy import OTHER, TYPE_IDS

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "seed-invalid-code.json"
TODAY = date(2026, 11, 25)
REPLY_BY = date(2026, 11, 30)
PRIVATE_USE = ("\ue000", "\ue001", "\ue002")


@pytest.fixture(scope="module")
def seed() -> CaseFacts:
    return load_case(SEED)


def build(kind: str, facts: CaseFacts, problem_type: str = "invalid_code", **kw: Any) -> Document:
    return build_document(kind, facts, problem_type=problem_type, today=TODAY, reply_by=REPLY_BY, **kw)


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    parts += [cell.text for table in d.tables for row in table.rows for cell in row.cells]
    parts += [p.text for section in d.sections for p in section.footer.paragraphs]
    return "\n".join(parts)


def with_evidence(facts: CaseFacts, *items: EvidenceItem) -> CaseFacts:
    return facts.model_copy(update={"evidence": list(items)})


def minimal_case() -> CaseFacts:
    return parse_case(
        {
            "description": "付款后一直不发货",
            "amount": 50,
            "paid_at": "2026-11-01 09:00",
            "platform": {"domain": "km.example.cn"},
        }
    )


def fraud_case(seed: CaseFacts) -> CaseFacts:
    return seed.model_copy(
        update={
            "fraud_shown": True,
            "platform": seed.platform.model_copy(
                update={
                    "company": "某某网络科技有限公司",
                    "address": "江苏省南京市某区某路1号",
                    "merchant_name": "南京某某网络科技有限公司",
                    "reachable": False,
                }
            ),
            "consumer": seed.consumer.model_copy(
                update={
                    "name": "张三",
                    "phone": "13812345678",
                    "id_number": "11010519491231002X",
                    "address": "苏州",
                }
            ),
        }
    )


# --- every kind, every format ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DOCUMENT_KINDS))
def test_each_kind_renders_in_all_three_formats(seed: CaseFacts, kind: str, tmp_path: Path) -> None:
    doc = build(kind, seed)
    paths = write_documents([doc], tmp_path, ["txt", "docx", "pdf"])

    assert [p.name for p in paths] == [f"{DOCUMENT_KINDS[kind].stem}.{ext}" for ext in ("txt", "docx", "pdf")]
    text = paths[0].read_text(encoding="utf-8")
    assert doc.title in text and "weiquan" in text and "不构成法律意见" in text
    assert doc.title in docx_text(paths[1].read_bytes())
    pdf = paths[2].read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")


def test_files_are_named_after_the_kind(seed: CaseFacts, tmp_path: Path) -> None:
    docs = [build(k, seed) for k in ("12315", "heimao", "evidence_list")]
    names = {p.name for p in write_documents(docs, tmp_path, ["txt", "pdf", "docx"])}
    assert {"12315.txt", "heimao.pdf", "evidence-list.docx"} <= names


def test_an_unknown_format_is_refused(seed: CaseFacts, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="未知的文件格式"):
        write_documents([build("12315", seed)], tmp_path, ["odt"])


def test_an_unknown_kind_or_problem_type_is_refused(seed: CaseFacts) -> None:
    with pytest.raises(KeyError, match="未知的文书种类"):
        build("fax", seed)
    with pytest.raises(ValueError, match="未知的问题类型"):
        build("12315", seed, problem_type="weather")


# --- what each document says ----------------------------------------------------------------------------------


def test_the_12315_complaint_has_the_seeds_facts(seed: CaseFacts) -> None:
    text = render_txt(build("12315", seed))
    for needle in ("KM20261120001", "100", "卡密", "某某卡盟", "example.com", "客服", "拒绝处理"):
        assert needle in text
    # the seed's sentence: 于X月X日在XX卡盟购买100元游戏点卡，卡密激活失败，客服拒绝处理，订单号XXX，附…
    assert "于2026年11月20日10时00分在某某卡盟（example.com）购买100元游戏点卡" in text
    assert "附订单详情页截图、支付宝付款凭证（账单详情）与平台客服聊天记录" in text


def test_the_12315_complaint_marks_an_unknown_operator_and_says_how_to_find_it(seed: CaseFacts) -> None:
    doc = build("12315", seed)
    fields = {b.label: b.value for b in doc.blocks if isinstance(b, Field)}
    assert fields["名称"].startswith("【待补充")
    hint = " ".join(b.text for b in doc.blocks if isinstance(b, Note))
    assert "营业执照" in hint and "ICP备案" in hint and "收款商户" in hint


def test_the_12315_complaint_asks_for_the_complainants_contact_details(seed: CaseFacts) -> None:
    fields = {b.label: b.value for b in build("12315", seed).blocks if isinstance(b, Field)}
    # 暂行办法 Art. 9: name, phone and address of the complainant
    assert {"姓名", "联系电话", "通讯地址"} <= fields.keys()
    assert fields["姓名"] == "【请填写：投诉人姓名】"


def test_the_letter_to_customer_service_sets_the_answer_date_and_names_12315(seed: CaseFacts) -> None:
    text = render_txt(build("platform_cs", seed))
    assert "请于2026年11月30日前以书面形式" in text
    assert "12315" in text
    assert "《消费者权益保护法》第二十六条" in text  # “卡密发出后概不退换” is a void standard term


def test_the_heimao_title_is_short(seed: CaseFacts) -> None:
    doc = build("heimao", seed)
    title = next(b.value for b in doc.blocks if isinstance(b, Field) and b.label == "标题")
    assert title == "某某卡盟卡密无效拒不退款"

    long_name = seed.model_copy(update={"platform": seed.platform.model_copy(update={"name": "超" * 60})})
    long_title = next(
        b.value for b in build("heimao", long_name).blocks if isinstance(b, Field) and b.label == "标题"
    )
    assert len(long_title) <= 30 and long_title.endswith("卡密无效拒不退款")


def test_the_heimao_complaint_publishes_no_personal_data(seed: CaseFacts) -> None:
    facts = fraud_case(seed).model_copy(
        update={"description": "我的手机号13812345678，身份证11010519491231002X"}
    )
    text = render_txt(build("heimao", facts, problem_type="fraud_runaway"))
    assert "张三" not in text and "13812345678" not in text and "11010519491231002X" not in text
    assert (
        "【手机号已隐藏】" in text and "【身份证号已隐藏】" in text
    )  # the one public masking (masking.mask)
    assert "KM20261120001" not in text and "尾号0001" in text


def test_the_small_claims_complaint_writes_the_amount_in_words(seed: CaseFacts) -> None:
    text = render_txt(build("small_claims", seed))
    assert "判令被告退还原告货款100.00元（人民币壹佰元整）" in text
    assert "本案诉讼费用由被告负担" in text
    assert "三倍" not in text.split("【事实与理由】")[0].replace("如能证明被告欺诈", "")
    assert "此致" in text and "【请填写：人民法院名称】" in text
    assert "买受人住所地" in text  # SPC interpretation Art. 20


def test_the_small_claims_complaint_claims_punitive_damages_when_fraud_is_shown(seed: CaseFacts) -> None:
    text = render_txt(build("small_claims", fraud_case(seed), court="苏州市姑苏区人民法院"))
    # 消法 Art. 55: 3 × 100 is below the 500 floor
    assert "判令被告向原告支付价款三倍的赔偿金500.00元（人民币伍佰元整）" in text
    assert "标的总额：600.00元（人民币陆佰元整）" in text
    assert "苏州市姑苏区人民法院" in text
    assert "原告：张三\n性别：女\n出生日期：1949年12月31日" in text


def test_the_payment_order_application_states_the_amount_in_words(seed: CaseFacts) -> None:
    text = render_txt(build("payment_order", seed))
    assert "给付申请人货款100.00元（人民币壹佰元整）" in text
    assert "对被申请人不负有对待给付义务" in text
    assert "没有异议" not in text  # the seed's platform refused: no agreed refund on record


def test_the_police_report_cites_the_fraud_article_and_asks_for_a_case(seed: CaseFacts) -> None:
    text = render_txt(build("police", fraud_case(seed), problem_type="fraud_runaway"))
    assert "《刑法》第二百六十六条" in text
    assert "立案侦查" in text
    assert "100.00元（人民币壹佰元整）" in text
    assert "南京某某网络科技有限公司" in text  # the payee is the lead the police follow
    assert "2026年11月20日10时00分" in text


def test_payment_complaints_ask_for_a_freeze_when_fraud_is_suspected(seed: CaseFacts) -> None:
    fraud = render_txt(build("alipay", fraud_case(seed), problem_type="fraud_runaway"))
    assert "涉嫌欺诈" in fraud and "冻结" in fraud and "追回" in fraud
    plain = render_txt(build("alipay", seed))
    assert "冻结" not in plain and "退还货款100.00元" in plain
    wrong_channel = render_txt(build("wechat_pay", seed))
    assert "不是微信支付" in wrong_channel  # the seed paid with Alipay


# --- the evidence list ----------------------------------------------------------------------------------------


def test_the_evidence_list_shows_the_sha256_of_a_file(seed: CaseFacts, tmp_path: Path) -> None:
    video = tmp_path / "激活失败录屏.mp4"
    video.write_bytes(b"\x00\x01" * 700_000)  # more than one 1 MB chunk
    digest = hashlib.sha256(video.read_bytes()).hexdigest()
    doc = build("evidence_list", with_evidence(seed, EvidenceItem(kind="error_recording", file=str(video))))

    table = next(b for b in doc.blocks if isinstance(b, Table))
    assert table.header == (
        "序号",
        "证据名称",
        "证据形式",
        "证明内容",
        "来源/说明",
        "时间",
        "SHA-256",
        "页数/备注",
    )
    row = dict(zip(table.header, table.rows[0], strict=True))
    assert row["SHA-256"] == digest
    assert row["证据形式"].startswith("视频文件")
    assert row["证明内容"] == "卡密未被使用、首次激活即失败"
    assert "激活失败录屏.mp4" in row["来源/说明"] and str(tmp_path) not in row["来源/说明"]
    assert digest in docx_text(render_docx(doc))


def test_the_evidence_list_flags_a_hash_that_does_not_match_the_file(seed: CaseFacts, tmp_path: Path) -> None:
    shot = tmp_path / "pay.png"
    shot.write_bytes(b"receipt")
    actual = hashlib.sha256(b"receipt").hexdigest()
    doc = build(
        "evidence_list",
        with_evidence(seed, EvidenceItem(kind="payment_record", file=str(shot), sha256="0" * 64)),
    )

    notes = [b.text for b in doc.blocks if isinstance(b, Note)]
    assert any("不一致" in n and "第1项" in n for n in notes)
    row = next(b for b in doc.blocks if isinstance(b, Table)).rows[0]
    assert "【不一致】" in row[6] and actual in row[6] and "0" * 64 in row[6]
    assert "哈希不一致" in row[7]


def test_the_evidence_list_uses_the_registered_hash_or_says_there_is_no_file(seed: CaseFacts) -> None:
    given = "ab" * 32
    facts = with_evidence(
        seed,
        EvidenceItem(kind="cs_chat", sha256=given),
        EvidenceItem(kind="order_screenshot"),
        EvidenceItem(kind="payment_record", file="/nonexistent/pay.png"),
    )
    rows = next(b for b in build("evidence_list", facts).blocks if isinstance(b, Table)).rows
    assert rows[0][6] == given
    assert rows[1][6] == "未提供文件"
    assert "文件未找到" in rows[2][6] and "pay.png" in rows[2][7]


def test_files_are_hashed_in_chunks(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(bytes(range(256)) * 10)
    assert documents.sha256_file(f, chunk_size=7) == hashlib.sha256(f.read_bytes()).hexdigest()


def test_documents_other_than_the_evidence_list_do_not_read_files(seed: CaseFacts) -> None:
    facts = with_evidence(seed, EvidenceItem(kind="payment_record", file="/nonexistent/pay.png"))
    assert "文件未找到" not in render_txt(build("12315", facts))


# --- nothing leaks ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("problem_type", [*TYPE_IDS, OTHER])
def test_no_document_prints_none_or_markup_sentinels(seed: CaseFacts, problem_type: str) -> None:
    for facts in (seed, minimal_case(), fraud_case(seed)):
        for kind in DOCUMENT_KINDS:
            text = render_txt(build(kind, facts, problem_type=problem_type))
            assert "None" not in text, (kind, problem_type)
            assert not any(c in text for c in PRIVATE_USE), (kind, problem_type)


def test_no_docx_prints_none(seed: CaseFacts) -> None:
    for kind in DOCUMENT_KINDS:
        text = docx_text(render_docx(build(kind, minimal_case(), problem_type="delayed_delivery")))
        assert "None" not in text, kind


def test_missing_facts_show_as_placeholders(seed: CaseFacts) -> None:
    text = render_txt(build("small_claims", minimal_case(), problem_type="delayed_delivery"))
    assert "【请填写：订单号】" in text and "【请填写：所购商品，如100元游戏点卡】" in text


def test_a_consumers_text_cannot_become_markup(seed: CaseFacts) -> None:
    facts = seed.model_copy(update={"description": "# 不是标题\n- 不是列表 | 不是表格\n姓名：不是字段"})
    doc = build("12315", facts)
    assert not any(isinstance(b, Heading) and "不是标题" in b.text for b in doc.blocks)
    assert not any(isinstance(b, ItemList) and any("不是列表" in i for i in b.items) for b in doc.blocks)
    story = next(b for b in doc.blocks if isinstance(b, Paragraph) and b.text.startswith("具体经过："))
    assert story.text == "具体经过：# 不是标题\n- 不是列表 | 不是表格\n姓名：不是字段"


def test_the_markup_parser_reads_each_block_kind() -> None:
    title, blocks, footer = documents._parse(
        "= 标题\n# 小节\n姓名：张三\n1. 甲\n1. 乙\n- 丙\n| 列 | 行 |\n| --- | --- |\n| a | b |\n> 提示\n"
        ">> 签名\n< 法院\n\\标签：不是字段\n~ 草稿\n"
    )
    assert title == "标题" and footer == "草稿"
    assert blocks == [
        Heading("小节"),
        Field("姓名", "张三"),
        ItemList(("甲", "乙"), numbered=True),
        ItemList(("丙",), numbered=False),
        Table(("列", "行"), (("a", "b"),)),
        Note("提示"),
        documents.Signature(("签名",)),
        Paragraph("法院", indent=False),
        Paragraph("标签：不是字段"),
    ]


# --- DOCX (the PDF checks are in test_render_pdf.py) -------------------------------------------------------


def test_the_docx_sets_an_east_asian_font_a_grid_table_and_a_landscape_evidence_list(seed: CaseFacts) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn

    d = docx.Document(io.BytesIO(render_docx(build("evidence_list", seed))))
    rfonts = d.styles["Normal"].element.rPr.rFonts
    assert rfonts.get(qn("w:eastAsia")) == render.DOCX_BODY_FONT
    assert d.tables[0].style.name == "Table Grid"
    assert d.sections[0].orientation == WD_ORIENT.LANDSCAPE
    assert d.paragraphs[0].style.name == "Title" and d.paragraphs[0].text == "证据清单"


def test_amounts_in_words_follow_the_calculator(seed: CaseFacts) -> None:
    facts = seed.model_copy(update={"amount": Decimal("10010.01")})
    assert "10010.01元（人民币壹万零壹拾元零壹分）" in render_txt(build("payment_order", facts))
