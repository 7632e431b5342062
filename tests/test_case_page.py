"""The case page and the case list: next action first, the ladder, evidence, documents, recording what happened."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from weiquan.cases.models import Case
from weiquan.domain.facts import CHINA_TZ

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, tzinfo=CHINA_TZ), tick=False):
        yield


def page(client, case) -> str:
    r = client.get(reverse("case_detail", args=[case.public_id]))
    assert r.status_code == 200
    return r.content.decode()


def section(html: str, section_id: str) -> str:
    """The part of the page with that id: a <section>, or a folded <details> (everything below the next step)."""
    start = html.index(f'id="{section_id}"')
    tag = "details" if html.rfind("<details", 0, start) > html.rfind("<section", 0, start) else "section"
    depth = 1
    for m in re.compile(rf"<{tag}[\s>]|</{tag}>").finditer(html, start):
        depth += -1 if m.group(0).startswith("</") else 1
        if depth == 0:
            return html[start : m.start()]
    raise ValueError(section_id)


def test_the_next_action_for_the_seed_case_is_12315(alice_client, alice_case):
    html = page(alice_client, alice_case)
    nxt = section(html, "next")
    assert "全国12315平台" in nxt
    assert "平台客服拒绝了你的诉求" in nxt  # the reason
    assert "记下投诉编号" in nxt  # the how
    assert reverse("case_document", args=[alice_case.public_id, "12315", "txt"]) in nxt
    # The next action comes before the ladder.
    assert html.index('id="next"') < html.index('id="ladder"')


def test_the_ladder_shows_12315_and_heimao_as_do_it_now(alice_client, alice_case):
    ladder = section(page(alice_client, alice_case), "ladder")
    now = re.findall(r'<span class="badge status-now">现在就做</span><h3>([^<]+)</h3>', ladder)
    # The operator is untraceable (no company, no ICP record): the payment channel, the industry body and
    # identifying the operator are current steps too (seed §二, issue 7).
    assert now == ["全国12315平台", "黑猫投诉", "支付宝", "向行业组织反映", "查明经营者"]
    assert "已完成" in ladder and "法律依据" in ladder


def test_the_evidence_checklist_shows_the_gap_and_how_to_fill_it(alice_client, alice_case):
    evidence = section(page(alice_client, alice_case), "evidence")
    assert "缺：错误页面录屏" in evidence
    assert "已有：订单截图、支付记录" in evidence
    assert "为什么要" in evidence and "怎么补" in evidence
    try:
        upload = reverse("evidence_upload", args=[alice_case.public_id])
    except NoReverseMatch:
        pytest.skip("the evidence app (evidence_upload) is not installed in this tree")
    assert f'action="{upload}"' in evidence
    assert 'accept="image/*,video/*,audio/*,.pdf,.txt"' in evidence
    assert 'capture="environment"' in evidence


def test_the_page_lists_every_relevant_document_in_three_formats(alice_client, alice_case):
    docs = section(page(alice_client, alice_case), "documents")
    for kind in ("12315", "heimao", "alipay", "evidence_list"):
        for fmt in ("txt", "docx", "pdf"):
            assert reverse("case_document", args=[alice_case.public_id, kind, fmt]) in docs


def test_the_page_ends_with_the_not_legal_advice_line(alice_client, alice_case):
    assert "不构成法律意见" in page(alice_client, alice_case)


def test_documents_download_in_three_formats(alice_client, alice_case):
    def get(fmt):
        r = alice_client.get(reverse("case_document", args=[alice_case.public_id, "12315", fmt]))
        assert r.status_code == 200
        assert r["Content-Disposition"] == f'attachment; filename="12315.{fmt}"'
        return r

    txt = get("txt")
    assert txt["Content-Type"] == "text/plain; charset=utf-8"
    assert "某某卡盟" in txt.content.decode() and "KM20261120001" in txt.content.decode()
    assert get("docx").content[:2] == b"PK"
    assert get("pdf").content[:5] == b"%PDF-"


def test_an_unknown_document_is_404(alice_client, alice_case):
    assert alice_client.get(f"/cases/{alice_case.public_id}/documents/nonsense.txt").status_code == 404
    assert alice_client.get(f"/cases/{alice_case.public_id}/documents/12315.exe").status_code == 404


def test_recording_a_12315_complaint_moves_the_plan(alice_client, alice_case):
    r = alice_client.post(
        reverse("case_record", args=[alice_case.public_id]),
        {
            "event": "contacted",
            "channel": "12315",
            "at_date": "2026-11-25",
            "at_time": "09:00",
            "reference": "1234567",
        },
    )
    assert r.status_code == 302
    contact = alice_case.contacts.get(channel="12315")
    assert (contact.response, contact.reference) == ("pending", "1234567")
    assert alice_case.events.last().kind == "contact"
    step = next(
        s for s in alice_case.plan(dt.date(2026, 11, 25)).to_dict()["steps"] if s["channel"] == "12315"
    )
    assert step["status"] == "waiting"
    ladder = section(page(alice_client, alice_case), "ladder")
    assert '<span class="badge status-waiting">等待答复</span><h3>全国12315平台</h3>' in ladder
    assert "怎么算的" in ladder and "个工作日" in ladder


def test_a_promise_needs_its_wording_or_date(alice_client, alice_case):
    r = alice_client.post(
        reverse("case_record", args=[alice_case.public_id]),
        {"event": "promised", "channel": "platform_cs", "at_date": "2026-11-25"},
    )
    assert r.status_code == 400
    assert "对方答应了什么" in r.content.decode()
    assert alice_case.contacts.count() == 1


def test_a_future_date_is_refused(alice_client, alice_case):
    r = alice_client.post(
        reverse("case_record", args=[alice_case.public_id]),
        {"event": "refused", "channel": "12315", "at_date": "2026-12-25"},
    )
    assert r.status_code == 400
    assert "日期不能晚于今天" in r.content.decode()


def test_a_refund_closes_the_case_with_its_outcome(alice_client, alice_case):
    r = alice_client.post(
        reverse("case_record", args=[alice_case.public_id]),
        {"event": "refunded", "channel": "heimao", "at_date": "2026-11-25", "recovered_amount": "100"},
    )
    assert r.status_code == 302
    alice_case.refresh_from_db()
    assert alice_case.status == "closed"
    assert (alice_case.outcome_channel, alice_case.recovered_amount) == ("heimao", Decimal("100.00"))
    assert alice_case.contacts.filter(channel="heimao", response="resolved").exists()
    html = page(alice_client, alice_case)
    assert "已结案" in html and "追回 100.00 元" in html and "用时 5 天" in html
    assert 'id="record"' not in html


def test_closing_records_no_contact(alice_client, alice_case):
    alice_client.post(
        reverse("case_record", args=[alice_case.public_id]),
        {"event": "closed", "channel": "platform_cs", "at_date": "2026-11-25", "recovered_amount": "0"},
    )
    alice_case.refresh_from_db()
    assert alice_case.status == "closed"
    assert alice_case.contacts.count() == 1


def test_a_closed_case_takes_no_more_events(alice_client, alice_case):
    alice_case.close(None, outcome_channel="12315", recovered_amount=Decimal("100"))
    r = alice_client.post(
        reverse("case_record", args=[alice_case.public_id]),
        {"event": "refused", "channel": "12315", "at_date": "2026-11-25"},
    )
    assert r.status_code == 302
    assert alice_case.contacts.count() == 1


def test_the_case_list_shows_next_action_and_nearest_deadline(alice_client, alice_case):
    alice_case.add_contact(
        at=dt.datetime(2026, 11, 23, 10, tzinfo=CHINA_TZ), channel="12315", response="pending", reference="1"
    )
    html = alice_client.get(reverse("case_list")).content.decode()
    assert "某某卡盟 · 100.00 元" in html
    assert "下一步：" in html
    assert "2026年12月2日" in html  # 12315's seven working days from 11-23
    assert "还剩" in html


def test_the_case_page_and_list_do_not_query_per_row(alice_client, alice, seed_case_file):
    Case.create_from_case_file(alice, seed_case_file)
    with CaptureQueriesContext(connection) as one:
        alice_client.get(reverse("case_list"))
    for _ in range(3):
        Case.create_from_case_file(alice, seed_case_file)
    with CaptureQueriesContext(connection) as four:
        alice_client.get(reverse("case_list"))
    assert len(four) == len(one)
    case = Case.objects.first()
    with CaptureQueriesContext(connection) as detail:
        alice_client.get(reverse("case_detail", args=[case.public_id]))
    assert len(detail) <= 6, [q["sql"] for q in detail]


def test_pages_need_a_log_in(client, alice_case):
    r = client.get(reverse("case_detail", args=[alice_case.public_id]))
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))


def test_a_kept_page_still_gets_this_requests_csrf_token_and_messages(alice, alice_case):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = reverse("case_detail", args=[alice_case.public_id])
    client.get(url)  # rendered and kept
    html = client.get(url).content.decode()  # served from the kept page
    assert "weiquanCsrfTokenSlot" not in html and "<!--weiquan:messages-->" not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    r = client.post(
        reverse("case_record", args=[alice_case.public_id]),
        {"csrfmiddlewaretoken": token, "event": "contacted", "channel": "12315", "at_date": "2026-11-25"},
    )
    assert r.status_code == 302
    html = client.get(url).content.decode()
    assert "已记录。计划已按最新进展更新。" in html
    assert '<span class="badge status-waiting">等待答复</span><h3>全国12315平台</h3>' in html
    assert "已记录。" not in client.get(url).content.decode()  # a message is shown once


def test_an_event_recorded_without_a_time_stays_a_day(alice_client, alice_case):
    r = alice_client.post(
        reverse("case_record", args=[alice_case.public_id]),
        {"event": "contacted", "channel": "12315", "at_date": "2026-11-23", "reference": "7654321"},
    )
    assert r.status_code == 302
    contact = alice_case.contacts.get(channel="12315")
    assert contact.at_time_known is False
    assert alice_case.facts().contacts[-1].at_time_known is False


def test_the_history_shows_a_day_without_an_invented_time(alice_client, alice_case):
    alice_client.post(
        reverse("case_record", args=[alice_case.public_id]),
        {"event": "contacted", "channel": "12315", "at_date": "2026-11-23"},
    )
    html = section(page(alice_client, alice_case), "history")
    assert '<time datetime="2026-11-23">11月23日</time>' in html


def test_with_a_shared_cache_the_page_is_rendered_once_for_every_server_and_moves_with_the_case(
    alice_client, alice_case, settings
):
    # REDIS_URL in production: here an in-memory "pages" cache stands for the cache every worker and machine share.
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    from django.core.cache import caches

    from weiquan import pagecache

    url = reverse("case_detail", args=[alice_case.public_id])
    alice_client.get(url)
    kept = caches["pages"].get(pagecache.key(alice_case, dt.date(2026, 11, 25)))
    assert kept is not None and pagecache.CSRF_SLOT in kept  # kept without this visitor's token
    with CaptureQueriesContext(connection) as served:
        html = alice_client.get(url).content.decode()
    assert len(served) == 3  # session, user, the case's key columns: no plan, no contacts, no evidence
    assert pagecache.CSRF_SLOT not in html and "csrfmiddlewaretoken" in html
    alice_case.add_contact(
        at=dt.datetime(2026, 11, 24, 9, tzinfo=CHINA_TZ), channel="12315", response="pending", reference="A1"
    )
    assert "A1" in alice_client.get(url).content.decode()
