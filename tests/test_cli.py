"""The `weiquan` command as a consumer uses it: plan, classify, docs, workdays."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from weiquan.cli import main

SEED = str(Path(__file__).parent.parent / "examples" / "seed-invalid-code.json")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_prints_a_readable_chinese_plan(capsys):
    code, out, _ = run(capsys, "plan", SEED, "--today", "2026-11-25")
    assert code == 0
    assert "下一步：全国12315平台" in out
    assert "卡密无效" in out
    assert "不构成法律意见" in out


def test_plan_json_has_the_documented_fields(capsys):
    code, out, _ = run(capsys, "plan", SEED, "--today", "2026-11-25", "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["problem"]["type"] == "invalid_code"
    assert plan["problem"]["category"] == "quality"
    assert plan["next_action"]["channel"] == "12315"
    assert plan["next_action"]["reason"]
    for step in plan["steps"]:
        assert {"channel", "status", "deadline", "basis"} <= step.keys()
        assert step["status"] in ("done", "now", "waiting", "next", "not_applicable")
    assert [m["kind"] for m in plan["evidence"]["missing"]]
    assert plan["warnings"]


def test_a_bad_case_file_names_the_field_in_chinese_and_exits_2(capsys, tmp_path):
    bad = json.loads(Path(SEED).read_text(encoding="utf-8"))
    bad["amount"] = "一百块"
    bad["contacts"][0]["channel"] = "wechat"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(capsys, "plan", str(path))
    assert code == 2
    assert out == ""
    assert "amount（金额）" in err and "必须是数字" in err
    assert "contacts[0].channel" in err


def test_broken_json_is_reported_with_its_line(capsys, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"amount": 100,\n "paid_at": }', encoding="utf-8")
    code, _, err = run(capsys, "plan", str(path))
    assert code == 2
    assert "第 2 行" in err


def test_a_bad_today_is_a_chinese_usage_error(capsys):
    code, _, err = run(capsys, "plan", SEED, "--today", "25/11/2026")
    assert code == 2
    assert "YYYY-MM-DD" in err


def test_classify_json(capsys):
    code, out, _ = run(
        capsys,
        "classify",
        "昨天在XX卡盟买了100元点卡,卡密显示已被使用,客服说不退",
        "--json",
        "--today",
        "2026-11-25",
    )
    assert code == 0
    result = json.loads(out)
    assert result["type"] == "invalid_code"
    assert result["category"] == "quality"
    assert result["candidates"][0]["signals"]
    assert result["extracted"]["amount"] == 100
    assert result["extracted"]["dates"] == ["2026-11-24"]


def test_classify_batch_writes_one_line_per_input_with_its_id(capsys, tmp_path):
    lines = [
        {"id": "a", "text": "网站打不开了，客服把我拉黑，卷款跑路"},
        {"id": "b", "text": "今天天气不错"},
        "not json",
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x for x in lines))
    code, out, _ = run(capsys, "classify", "--batch", str(path))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r.get("id") for r in rows[:2]] == ["a", "b"]
    assert rows[0]["type"] == "fraud_runaway"
    assert rows[1]["type"] == "other"
    assert "error" in rows[2]


@pytest.mark.parametrize("fmt", ["txt", "docx", "pdf"])
def test_docs_writes_one_file_per_document_named_by_channel(capsys, tmp_path, fmt):
    code, out, _ = run(capsys, "docs", SEED, "--out", str(tmp_path), "--format", fmt, "--today", "2026-11-25")
    assert code == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {f"12315.{fmt}", f"heimao.{fmt}", f"evidence-list.{fmt}"} <= names
    assert all(p.stat().st_size > 0 for p in tmp_path.iterdir())


def test_docs_rejects_an_unknown_format(capsys, tmp_path):
    code, _, err = run(capsys, "docs", SEED, "--out", str(tmp_path), "--format", "odt")
    assert code == 2
    assert "odt" in err
    assert not any(tmp_path.iterdir())


def test_docs_writes_the_other_formats_and_says_why_when_a_pdf_cannot_be_made(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pylopdf_fonts_zh_cn", None)  # the font package missing: no PDF here
    code, out, err = run(
        capsys, "docs", SEED, "--out", str(tmp_path), "--format", "txt,pdf", "--today", "2026-11-25"
    )
    assert code == 2
    names = {p.name for p in tmp_path.iterdir()}
    assert {"12315.txt", "heimao.txt", "evidence-list.txt"} <= names
    assert not [n for n in names if n.endswith(".pdf")]  # no half-written PDF left behind
    assert str(tmp_path / "12315.txt") in out.splitlines()
    first = err.splitlines()[0]  # one line for one reason, naming each file it stopped
    assert first.startswith("未生成「") and "「12315.pdf」" in first and "「heimao.pdf」" in first
    assert first.endswith(
        "：这台电脑上暂时无法生成 PDF 文件（Python 包 pylopdf-fonts-zh-cn 未安装或缺少 Noto SC 字体文件）"
    )
    assert "个文件已写出" in err
    assert "Traceback" not in err and "Error" not in err


def test_docs_names_a_document_too_long_for_a_pdf_and_writes_the_rest(capsys, tmp_path, monkeypatch):
    from weiquan.domain import render

    monkeypatch.setattr(render, "PDF_MAX_CHARS", 300)  # the seed's 12315 text is longer than this
    code, out, err = run(
        capsys, "docs", SEED, "--out", str(tmp_path), "--format", "txt,pdf", "--today", "2026-11-25"
    )
    assert code == 2
    assert (tmp_path / "12315.txt").stat().st_size > 0
    assert not (tmp_path / "12315.pdf").exists()
    assert "「12315.pdf」" in err and "超过了 PDF 版本的上限 300 字" in err
    assert "Traceback" not in err


def test_docs_asked_only_for_pdfs_that_cannot_be_made_points_to_the_other_formats(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.setitem(sys.modules, "pylopdf_fonts_zh_cn", None)
    code, out, err = run(
        capsys, "docs", SEED, "--out", str(tmp_path), "--format", "pdf", "--today", "2026-11-25"
    )
    assert code == 2 and out == ""
    assert "没有写出任何文件" in err and "--format txt,docx" in err


def test_workdays_add_across_national_day(capsys):
    code, out, _ = run(capsys, "workdays", "add", "2026-09-28", "7")
    assert code == 0
    assert out.splitlines()[0] == "2026-10-13"
    assert "国庆" in out
