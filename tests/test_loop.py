"""Issue 13 — closing the loop between what the platform says, what the consumer uploads and what the case shows."""

from __future__ import annotations

import datetime as dt
import io
import re

import merchant_support
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from weiquan.cases import reminders
from weiquan.cases.models import Case
from weiquan.platforms import replies

pytestmark = pytest.mark.django_db


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, "PNG")
    return buf.getvalue()


def not_uploaded_line(html: str) -> str:
    m = re.search(r"你说手上有，但还没上传：(.*?)。", html)
    return m.group(1) if m else ""


def test_5_an_uploaded_payment_record_is_no_longer_listed_as_not_uploaded(alice_client, alice_case):
    page = alice_client.get(reverse("case_detail", args=[alice_case.public_id])).content.decode()
    assert "支付记录" in not_uploaded_line(page)  # the seed case declares its Alipay bill

    url = reverse("evidence_upload", args=[alice_case.public_id])
    alice_client.post(url, {"file": SimpleUploadedFile("账单.png", png()), "kind": "payment_record"})

    page = alice_client.get(reverse("case_detail", args=[alice_case.public_id])).content.decode()
    assert "支付记录" not in not_uploaded_line(page)
    assert "订单截图" in not_uploaded_line(page) or "订单" in not_uploaded_line(page)


# --- points 2 and 3: the platform's answer reaches the case, and the case follows the consumer's confirmation -----


@pytest.fixture
def _merchant_urls(settings):
    settings.ROOT_URLCONF = merchant_support.URLCONF


@pytest.fixture
def fresh_case(alice, seed_case_file):
    """The seed case before anyone contacted the platform's customer service, with alice's name in the story."""
    alice.email = "alice@example.com"
    alice.save()
    data = {**seed_case_file, "contacts": []}
    data["description"] = "我叫王小明，" + data["description"]
    return Case.create_from_case_file(alice, data)


@pytest.fixture
def fresh_complaint(fresh_case):
    return merchant_support.published(fresh_case.platform, case=fresh_case)  # linked when the case was saved


def step(case: Case, channel: str) -> dict:
    return next(s for s in case.plan().to_dict()["steps"] if s["channel"] == channel)


def test_3_a_refusal_in_a_platform_reply_moves_the_ladder_to_12315_and_emails_the_consumer(
    fresh_case, fresh_complaint, django_capture_on_commit_callbacks, mailoutbox
):
    assert step(fresh_case, "12315")["status"] != "now"
    with django_capture_on_commit_callbacks(execute=True):
        replies.add_reply(fresh_complaint, text="王小明您好，经核实卡密已发放，不予退款。")

    fresh_case.refresh_from_db()
    contact = fresh_case.contacts.get()
    assert (contact.channel, contact.response) == ("platform_cs", "refused")
    assert "王小明" not in contact.answer and "不予退款" in contact.answer
    assert step(fresh_case, "12315")["status"] == "now"
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["alice@example.com"] and "拒绝" in mail.subject
    assert "不予退款" in mail.body and "王小明" not in mail.body and "12315" in mail.body


def test_3_a_promise_in_a_platform_reply_gets_a_deadline(fresh_case, fresh_complaint):
    replies.add_reply(fresh_complaint, text="您好，已核实订单，我们会在3个工作日内为您退款。")
    cs = step(fresh_case, "platform_cs")
    assert cs["status"] == "waiting"
    assert cs["deadline"] and "3个工作日" in cs["deadline_label"]
    # The reply time counts: three working days after the reply, not after the purchase.
    contact = fresh_case.contacts.get()
    assert contact.response == "promised" and "3个工作日内" in contact.promise
    assert cs["deadline"] > contact.at.date().isoformat()


def test_3_the_case_page_shows_the_platforms_words_masked(alice_client, fresh_case, fresh_complaint):
    replies.add_reply(fresh_complaint, text="王小明您好，请提供付款截图，我们马上处理。")
    replies.set_progress(fresh_complaint, "processing")
    page = alice_client.get(reverse("case_detail", args=[fresh_case.public_id])).content.decode()
    history = page[page.index('id="history"') :]
    assert history.count("平台的原话") == 2
    assert "请提供付款截图" in history and "处理进度：处理中" in history
    assert "王小明" not in history


def test_3_the_api_case_detail_and_plan_list_the_platforms_answer(client, alice, fresh_case, fresh_complaint):
    from weiquan.accounts.models import ApiToken

    replies.add_reply(fresh_complaint, text="不能退款，卡密已被使用。")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(alice)}"}
    detail = client.get(f"/api/cases/{fresh_case.public_id}", **auth).json()
    assert [(c["channel"], c["response"]) for c in detail["contacts"]] == [("platform_cs", "refused")]
    assert "不能退款" in detail["contacts"][0]["answer"]
    plan = client.get(f"/api/cases/{fresh_case.public_id}/plan", **auth).json()
    assert [(r["kind"], r["counted_as"]) for r in plan["platform_replies"]] == [("reply", "refused")]
    assert step(fresh_case, "12315")["status"] == "now"


def test_3_progress_repeated_is_not_another_answer(fresh_case, fresh_complaint):
    replies.set_progress(fresh_complaint, "accepted")
    replies.set_progress(fresh_complaint, "accepted")
    assert fresh_case.contacts.count() == 1


def test_2_the_platforms_resolved_asks_the_consumer_and_closes_nothing(
    alice_client, fresh_case, fresh_complaint, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        replies.set_progress(fresh_complaint, "resolved")
    fresh_case.refresh_from_db()
    assert fresh_case.status == "open" and fresh_case.contacts.get().response == "promised"
    page = alice_client.get(reverse("case_detail", args=[fresh_case.public_id])).content.decode()
    assert 'id="platform-says"' in page and "已退款，结案" in page and "已补发，结案" in page
    assert "请确认" in mailoutbox[0].subject and "#platform-says" in mailoutbox[0].body


def test_2_confirming_refunded_closes_the_case_in_one_tap_and_stops_reminders(
    alice_client, fresh_case, fresh_complaint, mailoutbox
):
    replies.add_reply(fresh_complaint, standard="refunded")
    url = reverse("case_publish_confirm", args=[fresh_case.public_id])
    alice_client.post(url, {"outcome": "refunded"})

    fresh_case.refresh_from_db()
    fresh_complaint.refresh_from_db()
    assert fresh_complaint.consumer_confirmed is True
    assert fresh_case.status == "closed" and fresh_case.recovered_amount == fresh_case.amount
    assert fresh_case.next_reminder_at is None
    plan = fresh_case.plan().to_dict()
    assert not [s for s in plan["steps"] if s["status"] in ("now", "waiting")]
    assert plan["next_action"]["channel"] is None and "黑猫" not in str(plan["next_action"])
    assert reminders.process_one(timezone.now() + dt.timedelta(days=30)) is None
    assert mailoutbox == []
    page = alice_client.get(reverse("case_detail", args=[fresh_case.public_id])).content.decode()
    assert "已结案" in page and 'id="platform-says"' not in page and "不会再发期限提醒" in page


def test_2_confirming_reissued_closes_without_a_refund(alice_client, fresh_case, fresh_complaint):
    alice_client.post(reverse("case_publish_confirm", args=[fresh_case.public_id]), {"outcome": "reissued"})
    fresh_case.refresh_from_db()
    assert fresh_case.status == "closed" and fresh_case.recovered_amount is None
    assert fresh_case.contacts.get().answer == "你确认：已补发"


def test_2_not_resolved_moves_the_ladder_on(alice_client, fresh_case, fresh_complaint):
    replies.set_progress(fresh_complaint, "resolved")
    alice_client.post(reverse("case_publish_confirm", args=[fresh_case.public_id]), {"outcome": "no"})
    fresh_case.refresh_from_db()
    assert fresh_case.status == "open"
    assert step(fresh_case, "12315")["status"] == "now"
    page = alice_client.get(reverse("case_detail", args=[fresh_case.public_id])).content.decode()
    assert 'id="platform-says"' not in page


# --- point 4: each reminder says what to do about the deadline that fell due --------------------------------------

FILED_12315 = dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def due_mail(case: Case, when: dt.datetime, mailoutbox) -> object:
    case.refresh_reminder(when - dt.timedelta(days=20))
    while reminders.process_one(when) is not None:
        pass
    return mailoutbox[-1]


def test_4_the_12315_acceptance_reminder_says_how_to_ask_and_never_sends_to_heimao(
    alice, seed_case_file, mailoutbox
):
    alice.email = "alice@example.com"
    alice.save()
    case = Case.create_from_case_file(alice, seed_case_file)
    case.add_contact(at=FILED_12315, channel="12315", response="pending")
    # Due Wednesday 2026-12-02 (seven working days); the day-of reminder at 09:00.
    mail = due_mail(case, dt.datetime(2026, 12, 2, 9, 5, tzinfo=FILED_12315.tzinfo), mailoutbox)
    html = mail.alternatives[0][0]
    for body in (mail.body, html):
        assert "12315受理决定期限" in body
        assert "查询投诉进度" in body and "12315热线" in body  # how to ask
        assert "不予受理的，问清楚理由" in body and "调解" in body  # what comes next
        assert "黑猫" not in body


def test_4_after_acceptance_the_reminder_is_about_mediation(alice, seed_case_file, mailoutbox):
    alice.email = "alice@example.com"
    alice.save()
    case = Case.create_from_case_file(alice, seed_case_file)
    case.add_contact(at=FILED_12315, channel="12315", response="pending")
    case.add_contact(at=FILED_12315 + dt.timedelta(days=2), channel="12315", response="accepted")
    deadline = next(t for t in case.plan(dt.date(2026, 12, 1)).deadlines if t.id == "12315").deadline.date
    when = dt.datetime.combine(deadline, dt.time(9, 5), FILED_12315.tzinfo)
    mail = due_mail(case, when, mailoutbox)
    assert "调解期限到了" in mail.body and "黑猫" not in mail.body


def test_4_a_customer_service_promise_reminder_offers_the_one_tap_close(alice, seed_case_file, mailoutbox):
    alice.email = "alice@example.com"
    alice.save()
    data = {**seed_case_file, "contacts": []}
    case = Case.create_from_case_file(alice, data)
    case.add_contact(at=FILED_12315, channel="platform_cs", response="promised", promise="3个工作日内退款")
    mail = due_mail(case, dt.datetime(2026, 11, 26, 9, 5, tzinfo=FILED_12315.tzinfo), mailoutbox)
    assert "客服答应的期限到了" in mail.body and "已退款，结案" in mail.body


# --- point 6: the platform side is findable and explains itself ------------------------------------------------------


def test_6_every_page_links_the_platform_entrance_and_the_guide_is_a_page(client, fresh_complaint):
    for url in (
        reverse("public_complaints"),
        reverse("public_complaint", args=[fresh_complaint.public_id]),
        reverse("platform_detail", args=[fresh_complaint.platform.public_id]),
        "/",
    ):
        html = client.get(url).content.decode()
        assert 'href="/merchant/"' in html, url
    guide = client.get(reverse("merchant_guide"))
    assert guide.status_code == 200
    html = guide.content.decode()
    assert "<h1>平台接入说明" in html and "weiquan-verification.txt" in html and "<pre><code" in html
    assert 'href="/merchant/guide/"' in client.get("/").content.decode()


def test_6_the_guide_never_passes_raw_html_through():
    from markdown_it import MarkdownIt

    from weiquan.platforms import portal_views

    assert "<script>" not in portal_views.guide_html()
    md = MarkdownIt("commonmark", {"html": False})
    assert "&lt;script&gt;" in md.render("<script>alert(1)</script>")


@pytest.mark.usefixtures("_merchant_urls")
def test_6_the_claim_token_has_a_copy_button_and_wraps_on_a_phone(client, django_user_model, fresh_complaint):
    from weiquan.platforms import claims

    rep = django_user_model.objects.create_user("carol", password="carol-secret-pw-2026")
    claim = claims.start_claim(rep, "example.com")
    client.force_login(rep)
    html = client.get(reverse("merchant_claim", args=[claim.platform.public_id])).content.decode()
    assert re.search(rf'<code class="mono token[^"]*" id="claim-token">{claim.token}</code>', html)
    assert 'data-copy="claim-token"' in html and "js/copy.js" in html and "data-copy-status" in html
    css = (settings_static() / "css" / "app.css").read_text(encoding="utf-8")
    assert re.search(r"\.token \{[^}]*overflow-wrap: anywhere", css)


def settings_static():
    from pathlib import Path

    import weiquan

    return Path(weiquan.__file__).parent / "static"


@pytest.mark.usefixtures("_merchant_urls")
@pytest.mark.parametrize(
    ("path", "body", "names"),
    [
        ("replies", {"standard": "bogus", "text": "x"}, "不选（自由回复）、已退款、已补发、需要更多信息"),
        ("progress", {"progress": "done"}, "已受理、处理中、已解决"),
    ],
)
def test_6_merchant_api_422_names_every_choice_in_chinese(
    client, django_user_model, fresh_complaint, path, body, names
):
    import json

    from weiquan.accounts.models import ApiToken

    rep = django_user_model.objects.create_user("carol", password="carol-secret-pw-2026")
    merchant_support.verified_claim(rep, fresh_complaint.platform)
    r = client.post(
        f"/api/merchant/complaints/{fresh_complaint.public_id}/{path}",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(rep)}",
    )
    assert r.status_code == 422
    message = r.json()["problems"][0]["message"]
    assert f"可选：{names}" in message
    assert not re.search(r"[a-z_]{4,}", message.replace("/api/docs", "")) and "：、" not in message


# --- point 7: verified badge and what the platform says about itself -------------------------------------------------

VALID_USCC = "91110108MA01KP2T5U"  # check digit computed with python-stdnum (stdnum.cn.uscc)


def test_7_credit_code_fixture_is_valid():
    from stdnum.cn import uscc

    assert uscc.is_valid(VALID_USCC) and not uscc.is_valid(VALID_USCC[:-1] + "0")


@pytest.mark.usefixtures("_merchant_urls")
def test_7_a_verified_representative_declares_the_operator_shown_as_self_declared(
    client, django_user_model, fresh_case, fresh_complaint
):
    platform = fresh_complaint.platform
    page = client.get(reverse("platform_detail", args=[platform.public_id])).content.decode()
    assert "平台已认证代表" not in page

    rep = django_user_model.objects.create_user("carol", password="carol-secret-pw-2026")
    merchant_support.verified_claim(rep, platform)
    client.force_login(rep)
    url = reverse("merchant_declare", args=[platform.public_id])
    bad = client.post(url, {"company": "某某网络科技有限公司", "credit_code": VALID_USCC[:-1] + "0"})
    assert bad.status_code == 400 and "统一社会信用代码校验位不对" in bad.content.decode()
    platform.refresh_from_db()
    assert platform.declared_at is None

    ok = client.post(
        url,
        {"company": "某某网络科技有限公司", "credit_code": VALID_USCC.lower(), "icp": "粤ICP备12345678号-1"},
    )
    assert ok.status_code == 302
    platform.refresh_from_db()
    assert (platform.declared_company, platform.declared_credit_code) == ("某某网络科技有限公司", VALID_USCC)
    assert platform.company == "" and platform.credit_code == ""  # the registry's own values untouched
    fresh_case.refresh_from_db()
    assert (
        fresh_case.platform_company == "" and fresh_case.platform_credit_code == ""
    )  # nor the consumer's case

    client.logout()
    for html in (
        client.get(reverse("platform_detail", args=[platform.public_id])).content.decode(),
        client.get(reverse("sancha"), {"q": "example.com"}).content.decode(),
    ):
        assert "平台已认证代表" in html
        assert "平台自报" in html and "某某网络科技有限公司" in html and VALID_USCC in html
        assert "粤ICP备12345678号-1" in html


@pytest.mark.usefixtures("_merchant_urls")
def test_7_only_a_verified_representative_can_declare(client, django_user_model, fresh_complaint, bob_client):
    from weiquan.platforms import claims

    url = reverse("merchant_declare", args=[fresh_complaint.platform.public_id])
    assert bob_client.post(url, {"company": "冒充公司"}).status_code == 404
    rep = django_user_model.objects.create_user("frank", password="frank-secret-pw-2026")
    claims.start_claim(rep, "example.com")  # never verified
    client.force_login(rep)
    assert client.post(url, {"company": "冒充公司"}).status_code == 404
    fresh_complaint.platform.refresh_from_db()
    assert fresh_complaint.platform.declared_company == ""


# --- ODR: 12315's 绿色通道 for ODR companies --------------------------------------------------------------------------


def odr_case(alice, seed_case_file, odr):
    data = {**seed_case_file, "platform": {**seed_case_file["platform"], "odr": odr}}
    return Case.create_from_case_file(alice, data)


def test_odr_the_plan_shows_the_green_channel_and_a_ten_working_day_deadline(alice, seed_case_file):
    case = odr_case(alice, seed_case_file, True)
    before = step(case, "12315")
    assert "绿色通道" in before["action"] and "十个工作日" in before["action"]
    assert any(b["id"] == "samr_odr_green_channel" for b in before["basis"])

    case.add_contact(at=FILED_12315, channel="12315", response="pending")  # Monday 2026-11-23
    plan = case.plan(dt.date(2026, 11, 24)).to_dict()
    odr = next(d for d in plan["deadlines"] if d["id"] == "12315_odr")
    # Ten working days after Monday 2026-11-23: Monday 2026-12-07, counted like the other deadlines.
    assert odr["date"] == "2026-12-07" and "工作日" in odr["explain"]
    s12315 = next(s for s in plan["steps"] if s["channel"] == "12315")
    assert any("2026-12-07前联系你协商" in w and "市场监管部门" in w for w in s12315["warnings"])


def test_odr_nothing_for_a_platform_not_known_to_be_odr(alice, seed_case_file):
    case = odr_case(alice, seed_case_file, None)
    case.add_contact(at=FILED_12315, channel="12315", response="pending")
    plan = case.plan(dt.date(2026, 11, 24)).to_dict()
    assert not [d for d in plan["deadlines"] if d["id"] == "12315_odr"]
    assert "绿色通道" not in str(plan["steps"])


def test_odr_declared_by_the_verified_representative_counts_unless_the_consumer_said_no(
    alice, seed_case_file
):
    unknown = odr_case(alice, seed_case_file, None)
    said_no = odr_case(alice, seed_case_file, False)
    platform = unknown.platform
    assert said_no.platform_id == platform.pk
    platform.declared_odr, platform.declared_at = True, timezone.now()
    platform.save()
    unknown.refresh_from_db()
    said_no.refresh_from_db()
    assert "绿色通道" in step(unknown, "12315")["action"]
    assert "绿色通道" not in step(said_no, "12315")["action"]
    assert unknown.to_case_file()["platform"]["odr"] is None  # the consumer's case file itself is unchanged


def test_odr_reminder_says_what_to_do(alice, seed_case_file, mailoutbox):
    alice.email = "alice@example.com"
    alice.save()
    case = odr_case(alice, seed_case_file, True)
    case.add_contact(at=FILED_12315, channel="12315", response="pending")
    mail = due_mail(case, dt.datetime(2026, 12, 7, 9, 5, tzinfo=FILED_12315.tzinfo), mailoutbox)
    assert "ODR企业联系你协商的期限" in mail.body and "十个工作日内联系你协商" in mail.body
    assert "黑猫" not in mail.body


def test_7_the_no_operator_warning_says_what_the_platform_declared(fresh_complaint):
    from weiquan.platforms import checks

    platform = fresh_complaint.platform
    flags = {f.id: f for f in checks.report(platform).flags}
    assert flags["no_operator"].title == "不知道背后的经营者"
    platform.declared_company, platform.declared_at = "某某网络科技有限公司", timezone.now()
    platform.save()
    flag = {f.id: f for f in checks.report(platform).flags}["no_operator"]
    assert (
        flag.title == "经营者只有平台自报" and "某某网络科技有限公司" in flag.detail and "核对" in flag.detail
    )
    assert platform.company == ""
