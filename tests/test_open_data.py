"""Open data: the CSV/JSON export's stable columns, and importing historical complaints (idempotent, bad rows kept out)."""

from __future__ import annotations

import csv
import io
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from weiquan.cases.models import Case
from weiquan.domain.facts import CHINA_TZ
from weiquan.platforms.models import Platform, PlatformAlias, PlatformStats
from weiquan.public import opendata, services
from weiquan.public.models import PublicComplaint

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).parent.parent
LEAKY = json.loads((Path(__file__).parent / "data" / "leaky-case.json").read_text(encoding="utf-8"))
COLUMNS = [
    "complaint_id",
    "date_published",
    "status",
    "platform_id",
    "platform_name",
    "problem_type",
    "problem_type_label",
    "amount",
    "payment_backed",
    "title",
    "narrative",
    "demands",
    "platform_progress",
    "platform_replied",
    "date_first_reply",
    "consumer_confirmed",
    "consumer_rating",
    "collective_id",
    "source",
]

CSV_ROWS = """source_id,platform_name,platform_domain,text,amount,date,problem_type,title
h1,某某卡盟,https://www.kamen88.com/shop,买的卡密无效，客服电话13900001111不接，订单号KM99887766554,"¥1,299.00",2025-06-01,invalid_code,
h2,速充卡盟,,付款后一直不发货，我的QQ 55667788,50,2025/06/02,延迟发货,不发货
h3,,,没有平台的一行,10,2025-06-03,,
h4,速充卡盟,,金额坏了,abc,2025-06-04,,
h5,速充卡盟,,日期坏了,10,昨天,,
h6,速充卡盟,,类型坏了,10,2025-06-05,not_a_type,
h7,速充卡盟,,,10,2025-06-05,,
h2,速充卡盟,,同一编号的第二行：跳过,50,2025-06-02,,
h8,跑路卡盟,paolu.cn,网站打不开了，客服失联，卡密：ZXCV-BNMA-SDFG-HJKL,200,2025年6月6日,fraud_runaway,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_import(path: Path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_complaints", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def csv_of(client: Client, url: str = "/api/public/complaints.csv") -> list[dict[str, str]]:
    r = client.get(url)
    assert r["Content-Type"].startswith("text/csv")
    text = b"".join(r.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


# --- export --------------------------------------------------------------------------------------------------------


def test_the_csv_has_the_documented_stable_columns(client):
    r = client.get("/api/public/complaints.csv")
    header = b"".join(r.streaming_content).decode().splitlines()[0]
    assert header.split(",") == COLUMNS == opendata.FIELDNAMES
    docs = (ROOT / "docs" / "open-data.md").read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"| `{column}` |" in docs, column


def test_the_csv_has_one_row_per_published_complaint(client, alice, django_user_model):
    moderator = django_user_model.objects.create_superuser("mod", password="mod-secret-pw-2026")
    complaint = services.moderate(
        services.publish(Case.create_from_case_file(alice, LEAKY), alice), True, moderator
    )
    services.publish(Case.create_from_case_file(alice, LEAKY), alice)  # pending: not in the data
    rows = csv_of(client)
    assert len(rows) == 1
    row = rows[0]
    assert row["complaint_id"] == str(complaint.public_id)
    assert row["status"] == "published" and row["platform_name"] == "某某卡盟"
    assert row["problem_type"] == "invalid_code" and row["problem_type_label"] == "卡密无效"
    assert row["amount"] == "100.00" and row["payment_backed"] == "true"
    assert row["platform_replied"] == "false" and row["consumer_confirmed"] == "" and row["source"] == ""
    assert "【手机号已隐藏】" in row["narrative"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date_published"])


def test_the_json_export_has_the_same_records(tmp_path, client):
    run_import(write(tmp_path, "h.csv", CSV_ROWS), "--source", "heimao", "--no-progress")
    out = tmp_path / "out.json"
    call_command("export_complaints", str(out), format="json", stderr=StringIO())
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data) == 3 and list(data[0]) == COLUMNS
    assert {r["complaint_id"] for r in data} == {r["complaint_id"] for r in csv_of(client)}
    assert all(r["status"] == "published" and r["source"] == "heimao" for r in data)


# --- import --------------------------------------------------------------------------------------------------------


def test_import_keeps_good_rows_and_reports_bad_ones_by_line(tmp_path):
    Platform.objects.create(name="某某卡盟").aliases.create(kind="domain", value="kamen88.com")
    out, err = run_import(write(tmp_path, "h.csv", CSV_ROWS), "--source", "heimao", "--no-progress")
    assert PublicComplaint.objects.count() == 3
    assert "第 4 行：缺少平台名称或域名" in err
    assert "第 5 行：金额不是有效数字：abc" in err
    assert "第 6 行：日期无效：昨天" in err
    assert "第 7 行：问题类型无效：not_a_type" in err
    assert "第 8 行：缺少投诉内容" in err
    assert "新增 3 条" in out and "已存在 1 条" in out and "错误 5 行" in out


def test_imported_complaints_are_masked_published_and_linked(tmp_path):
    known = Platform.objects.create(name="某某卡盟")
    known.aliases.create(kind="domain", value="kamen88.com")
    run_import(write(tmp_path, "h.csv", CSV_ROWS), "--source", "heimao", "--no-progress")
    h1 = PublicComplaint.objects.get(source="heimao", source_id="h1")
    assert h1.platform == known  # matched by domain (https://www.… normalised)
    assert (
        h1.status == "published" and h1.published_at.astimezone(CHINA_TZ).date().isoformat() == "2025-06-01"
    )
    assert "13900001111" not in h1.story and "KM99887766554" not in h1.story and "…6554" in h1.story
    assert h1.amount == 1299 and h1.problem_type == "invalid_code" and not h1.payment_backed
    assert h1.title.startswith("买的卡密无效")
    h2 = PublicComplaint.objects.get(source_id="h2")
    assert "55667788" not in h2.story and h2.problem_type == "delayed_delivery" and h2.title == "不发货"
    assert h2.platform.name == "速充卡盟"
    h8 = PublicComplaint.objects.get(source_id="h8")
    assert "ZXCV-BNMA-SDFG-HJKL" not in h8.story
    assert PlatformAlias.objects.filter(kind="domain", value="paolu.cn", platform=h8.platform).exists()


def test_import_is_idempotent(tmp_path):
    path = write(tmp_path, "h.csv", CSV_ROWS)
    run_import(path, "--source", "heimao", "--no-progress")
    ids = set(PublicComplaint.objects.values_list("public_id", flat=True))
    platforms = Platform.objects.count()
    out, _err = run_import(path, "--source", "heimao", "--no-progress")
    assert set(PublicComplaint.objects.values_list("public_id", flat=True)) == ids
    assert Platform.objects.count() == platforms
    assert "新增 0 条" in out and "已存在 4 条" in out


def test_import_updates_the_platform_statistics(tmp_path):
    run_import(write(tmp_path, "h.csv", CSV_ROWS), "--source", "heimao", "--no-progress")
    paolu = PublicComplaint.objects.get(source_id="h8").platform
    s = PlatformStats.objects.get(platform=paolu)
    assert s.complaints == 1 and s.runaway == 1 and s.amount_total == 200
    speed = PlatformStats.objects.get(platform=PublicComplaint.objects.get(source_id="h2").platform)
    assert speed.complaints == 1


def test_import_reads_json_lines_with_their_source(tmp_path):
    lines = [
        {
            "source": "12315",
            "source_id": "a1",
            "platform": "某某卡盟",
            "text": "卡密无效，身份证 110101199003071234",
            "date": "2025-01-02T10:00:00+08:00",
            "amount": 30,
        },
        "{not json",
        {
            "source": "12315",
            "source_id": "a2",
            "platform_domain": "not a domain",
            "text": "x",
            "date": "2025-01-02",
        },
        ["not", "an", "object"],
    ]
    text = (
        "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines)
        + "\n"
    )
    out, err = run_import(write(tmp_path, "h.jsonl", text), "--no-progress")
    assert "新增 1 条" in out
    assert "第 2 行：不是有效的 JSON" in err
    assert "第 3 行：域名无效" in err
    assert "第 4 行：不是一个 JSON 对象" in err
    a1 = PublicComplaint.objects.get(source="12315", source_id="a1")
    assert "110101199003071234" not in a1.story


def test_a_file_without_a_source_needs_one(tmp_path):
    out, err = run_import(write(tmp_path, "h.csv", CSV_ROWS), "--no-progress")
    assert "缺少来源" in err and PublicComplaint.objects.count() == 0


def test_import_shows_a_progress_bar_on_stderr(tmp_path):
    _out, err = run_import(write(tmp_path, "h.csv", CSV_ROWS), "--source", "heimao", "--batch-size", "2")
    assert "100%" in err and "行/秒" in err


def test_imported_complaints_are_public(tmp_path, client):
    run_import(write(tmp_path, "h.csv", CSV_ROWS), "--source", "heimao", "--no-progress")
    api = client.get("/api/public/complaints", {"platform": "paolu.cn"}).json()
    assert [r["source"] for r in api["results"]] == ["heimao"]
    assert len(csv_of(client)) == 3


def test_import_statistics_agree_with_a_recomputation(tmp_path, alice, django_user_model):
    from weiquan.platforms import stats

    # A platform that already has a consumer's complaint, then an import on top of it.
    moderator = django_user_model.objects.create_superuser("mod", password="mod-secret-pw-2026")
    services.moderate(services.publish(Case.create_from_case_file(alice, LEAKY), alice), True, moderator)
    more = CSV_ROWS + "h9,某某卡盟,kamen88.com,又一笔跑路,88,2025-06-07,fraud_runaway,\n"
    run_import(write(tmp_path, "h.csv", more), "--source", "heimao", "--no-progress")
    for platform in Platform.objects.filter(complaints__isnull=False).distinct():
        stored = PlatformStats.objects.get(platform=platform)
        assert stats.differences(stored, stats.compute(platform)) == {}, platform.name


def test_a_rerun_after_an_interrupted_import_repairs_the_statistics(tmp_path):
    from weiquan.platforms import stats

    path = write(tmp_path, "h.csv", CSV_ROWS)
    run_import(path, "--source", "heimao", "--no-progress")
    PlatformStats.objects.all().delete()  # as if the import had stopped before writing them
    run_import(path, "--source", "heimao", "--no-progress")
    for platform in Platform.objects.filter(complaints__isnull=False).distinct():
        stored = PlatformStats.objects.filter(platform=platform).first()
        assert stored is not None and stats.differences(stored, stats.compute(platform)) == {}


def test_worker_processes_parse_the_same_way(tmp_path):
    report = opendata.import_file(
        write(tmp_path, "h.csv", CSV_ROWS), source="heimao", progress=False, workers=1
    )
    assert report.created == 3 and [line for line, _reason in report.bad] == [4, 5, 6, 7, 8]
    assert "13900001111" not in PublicComplaint.objects.get(source_id="h1").story


def test_a_title_that_looks_like_a_formula_is_quoted_in_the_csv(tmp_path, client):
    rows = 'source_id,platform_name,text,date,title\nf1,某某卡盟,经过,2025-01-01,"=HYPERLINK(""http://x"")"\n'
    run_import(write(tmp_path, "f.csv", rows), "--source", "x", "--no-progress")
    assert csv_of(client)[0]["title"].startswith("'=HYPERLINK")
    assert client.get("/api/public/complaints").json()["results"][0]["title"].startswith("=HYPERLINK")
