"""The `weiquan` command as a consumer uses it: plan, classify, docs, workdays."""

from __future__ import annotations

import json
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
        capsys, "classify", "昨天在XX卡盟买了100元点卡,卡密显示已被使用,客服说不退", "--json", "--today", "2026-11-25"
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


def test_workdays_add_across_national_day(capsys):
    code, out, _ = run(capsys, "workdays", "add", "2026-09-28", "7")
    assert code == 0
    assert out.splitlines()[0] == "2026-10-13"
    assert "国庆" in out
