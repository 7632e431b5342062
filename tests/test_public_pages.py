"""Public complaint pages and the public API: masked copies only, published ones only, never evidence files."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from weiquan.cases.models import Case
from weiquan.evidence.models import Evidence
from weiquan.public import services
from weiquan.public.models import ComplaintReply, PublicComplaint

pytestmark = pytest.mark.django_db

LEAKY = json.loads((Path(__file__).parent / "data" / "leaky-case.json").read_text(encoding="utf-8"))
# Every personal value in tests/data/leaky-case.json, in the forms it appears in and as the case stores it.
RAW = [
    "陈小明",
    "138-1234-5678",
    "13812345678",
    "xiaoming.chen@163.com",
    "123456789",
    "wxid_chen2026",
    "110101199003071234",
    "6222021234567890128",
    "KM20261120001",
    "ABCD-EFGH-1234-5678",
    "886688",
    "广东省深圳市南山区科技园路1号",
]
EVIDENCE_NAME = "支付宝账单-陈小明-secret.png"
EVIDENCE_SHA = "ab" * 32


def assert_clean(body: bytes | str, where: str) -> None:
    text = body.decode() if isinstance(body, bytes) else body
    # JSON escapes nothing here (ensure_ascii=False), HTML escapes nothing in these values; check raw and compact.
    flat = re.sub(r"[\s\-]", "", text)
    for raw in RAW:
        assert raw not in text, (where, raw)
        assert re.sub(r"[\s\-]", "", raw) not in flat, (where, raw)
    assert EVIDENCE_NAME not in text and EVIDENCE_SHA not in text, where


@pytest.fixture
def moderator(django_user_model):
    return django_user_model.objects.create_superuser("mod", password="mod-secret-pw-2026")


@pytest.fixture
def published(alice, moderator):
    case = Case.create_from_case_file(alice, LEAKY)
    Evidence.objects.create(
        case=case, kind="payment_record", original_name=EVIDENCE_NAME, sha256=EVIDENCE_SHA, size=10
    )
    complaint = services.moderate(services.publish(case, alice, pseudonym="小陈"), True, moderator)
    services.create_collective(complaint, alice, title="某某卡盟跑路，陈小明 13812345678 牵头")
    # A platform reply quoting the consumer's phone: masked on display as well.
    ComplaintReply.objects.create(complaint=complaint, author="platform", text="请联系 13812345678 处理")
    return PublicComplaint.objects.get(pk=complaint.pk)


def public_urls(c: PublicComplaint) -> list[str]:
    urls = [
        reverse("public_complaints"),
        reverse("public_complaints") + "?platform=kamen88.com",
        reverse("public_complaints") + f"?platform={c.platform.public_id}",
        reverse("public_complaint", args=[c.public_id]),
        reverse("public_collective", args=[c.collective.public_id]),
        "/api/public/complaints",
        "/api/public/complaints?platform=kamen88.com",
        f"/api/public/complaints?platform={c.platform.public_id}",
        f"/api/public/complaints/{c.public_id}",
        "/api/public/complaints.csv",
        f"/api/public/complaints.csv?platform={c.platform.public_id}",
    ]
    # The registry's pages and API (another module) show complaints too.
    for name, args, query in (
        ("platform_detail", [c.platform.public_id], ""),
        ("sancha", [], "?q=kamen88.com"),
    ):
        with contextlib.suppress(NoReverseMatch):  # the registry's pages, once they exist
            urls.append(reverse(name, args=args) + query)
    urls += [f"/api/public/platforms/{c.platform.public_id}", "/api/public/platforms?q=kamen88.com"]
    return urls


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_no_personal_datum_reaches_any_public_page_api_or_export(published, tmp_path):
    client = Client()  # anonymous
    fetched = 0
    for url in public_urls(published):
        r = client.get(url)
        if r.status_code == 404 and "platforms" in url:
            continue  # the registry's endpoint is not there yet
        assert r.status_code == 200, (url, r.status_code)
        body = content(r)
        assert_clean(body, url)
        fetched += 1
    assert fetched >= 11
    for fmt in ("csv", "json"):
        out = tmp_path / f"export.{fmt}"
        call_command("export_complaints", str(out), format=fmt, stderr=StringIO())
        assert_clean(out.read_text(encoding="utf-8"), f"export {fmt}")


def test_the_complaint_page_shows_the_masked_story_progress_and_replies(published):
    html = Client().get(reverse("public_complaint", args=[published.public_id])).content.decode()
    assert published.title in html and "小陈" in html
    assert "【手机号已隐藏】" in html and "【身份证号已隐藏】" in html and "…0001" in html
    assert "有支付凭证" in html
    assert "平台已回复" not in html or "平台尚未回复" not in html
    assert "消费者尚未确认处理结果" in html
    assert "请联系 【手机号已隐藏】 处理" in html
    assert reverse("public_collective", args=[published.collective.public_id]) in html
    assert "证据文件从不公开" in html
    with contextlib.suppress(NoReverseMatch):
        assert reverse("platform_detail", args=[published.platform.public_id]) in html


def test_pending_rejected_and_withdrawn_complaints_are_not_public(alice, bob, moderator):
    pending = services.publish(Case.create_from_case_file(alice, LEAKY), alice, title="待审核的投诉")
    rejected = services.publish(Case.create_from_case_file(alice, LEAKY), alice, title="被驳回的投诉")
    services.moderate(rejected, False, moderator)
    withdrawn = services.publish(Case.create_from_case_file(bob, LEAKY), bob, title="撤回的投诉")
    services.moderate(withdrawn, True, moderator)
    services.withdraw(withdrawn, bob)
    client = Client()
    for c in (pending, rejected, withdrawn):
        assert client.get(reverse("public_complaint", args=[c.public_id])).status_code == 404
        assert client.get(f"/api/public/complaints/{c.public_id}").status_code == 404
    listing = client.get(reverse("public_complaints")).content.decode()
    api = client.get("/api/public/complaints").json()
    csv_text = content(client.get("/api/public/complaints.csv")).decode()
    for title in ("待审核的投诉", "被驳回的投诉", "撤回的投诉"):
        assert (
            title not in listing
            and title not in json.dumps(api, ensure_ascii=False)
            and title not in csv_text
        )
    assert api["results"] == []
    # The withdrawn one stays in the open data as an anonymous row: the statistics count it.
    rows = csv_text.strip().splitlines()
    assert len(rows) == 2 and ",withdrawn," in rows[1]


def test_the_list_filters_by_platform_newest_first_and_pages(alice, moderator):
    now = timezone.now()
    for i in range(23):
        data = {
            **LEAKY,
            "platform": {"name": "甲卡盟" if i % 2 else "乙卡盟", "domain": "jia.cn" if i % 2 else "yi.cn"},
        }
        c = services.publish(Case.create_from_case_file(alice, data), alice, title=f"投诉{i:02d}")
        services.moderate(c, True, moderator)
        PublicComplaint.objects.filter(pk=c.pk).update(published_at=now - dt.timedelta(hours=23 - i))
    client = Client()
    html = client.get(reverse("public_complaints")).content.decode()
    assert html.index("投诉22") < html.index("投诉21")
    assert "投诉02" not in html and "下一页" in html
    page2 = client.get(reverse("public_complaints"), {"page": 2}).content.decode()
    assert "投诉02" in page2 and "上一页" in page2
    jia = client.get(reverse("public_complaints"), {"platform": "https://www.jia.cn/shop"}).content.decode()
    assert "“甲卡盟”的公开投诉" in jia and "投诉21" in jia and "投诉22" not in jia
    api = client.get("/api/public/complaints", {"platform": "jia.cn"}).json()
    assert api["platform"]["name"] == "甲卡盟" and len(api["results"]) == 11 and not api["has_next"]
    assert [r["title"] for r in api["results"]][:2] == ["投诉21", "投诉19"]
    by_name = client.get("/api/public/complaints", {"platform": "乙卡盟"}).json()
    assert len(by_name["results"]) == 12


def test_an_unknown_platform_is_said_so(client):
    html = client.get(reverse("public_complaints"), {"platform": "nowhere.example"}).content.decode()
    assert "没有找到平台" in html
    r = client.get("/api/public/complaints", {"platform": "nowhere.example"})
    assert r.status_code == 404 and "没有找到这个平台" in r.json()["error"]


def test_the_public_api_needs_no_token_and_answers_json_records(published):
    r = Client().get("/api/public/complaints")
    assert r.status_code == 200
    item = r.json()["results"][0]
    assert item["complaint_id"] == str(published.public_id)
    assert (
        item["platform_name"] == "某某卡盟" and item["amount"] == "100.00" and item["payment_backed"] is True
    )
    assert item["url"].endswith(reverse("public_complaint", args=[published.public_id]))
    detail = Client().get(f"/api/public/complaints/{published.public_id}").json()
    assert detail["replies"][0]["text"] == "请联系 【手机号已隐藏】 处理"


def test_the_list_takes_a_fixed_number_of_queries(alice, moderator, django_assert_max_num_queries):
    for _ in range(5):
        c = services.publish(Case.create_from_case_file(alice, LEAKY), alice)
        services.moderate(c, True, moderator)
    client = Client()
    with django_assert_max_num_queries(3):  # the page (complaints with platforms); no count, no per-row query
        client.get(reverse("public_complaints"))
    with django_assert_max_num_queries(6):  # + the platform's alias, its merged platforms, its collectives
        client.get(reverse("public_complaints"), {"platform": "kamen88.com"})
