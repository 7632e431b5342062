"""Answering complaints: only a verified representative of the complaint's platform replies or moves its progress
(portal and API); replies are public, masked and append-only; the platform cannot delete anything; only the
consumer's confirmation counts as resolved.

Personas: alice is the consumer (her case is published against 某某卡盟), carol represents 某某卡盟, erin represents
another platform, bob is an outsider.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, get_resolver, reverse
from merchant_support import URLCONF, make_platform, published, verified_claim

from weiquan.accounts.models import ApiToken
from weiquan.cases.models import CaseEvent
from weiquan.platforms import claims, replies
from weiquan.platforms.merchant_api import router as merchant_router
from weiquan.platforms.models import PlatformStats
from weiquan.public.models import ComplaintReply, PublicComplaint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = URLCONF


@pytest.fixture
def platform():
    return make_platform("某某卡盟", "example.com")


@pytest.fixture
def complaint(platform, alice_case):
    return published(platform, case=alice_case)


@pytest.fixture
def carol(django_user_model, platform):
    user = django_user_model.objects.create_user("carol", password="carol-secret-pw-2026")
    verified_claim(user, platform)
    return user


@pytest.fixture
def erin(django_user_model):
    user = django_user_model.objects.create_user("erin", password="erin-secret-pw-2026")
    verified_claim(user, make_platform("另一个卡盟", "another.com"))
    return user


@pytest.fixture
def unverified(django_user_model, platform):
    user = django_user_model.objects.create_user("frank", password="frank-secret-pw-2026")
    claims.start_claim(user, "example.com")  # a claim, token never served
    return user


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def api_post(user, path: str, data) -> object:
    token = ApiToken.issue(user)
    return Client().post(
        path,
        json.dumps(data, ensure_ascii=False),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def reply_url(c: PublicComplaint) -> str:
    return reverse("merchant_reply", args=[c.public_id])


def api_reply_url(c: PublicComplaint) -> str:
    return f"/api/merchant/complaints/{c.public_id}/replies"


def stats(platform) -> PlatformStats:
    return PlatformStats.objects.get(platform=platform)


# --- replying in the portal ----------------------------------------------------------------------------------------


def test_a_verified_representative_replies_in_public_masked(carol, complaint, platform):
    text = "您好，已退款到支付宝 13812345678，订单 KM20261120001，有问题加QQ 123456789"
    r = logged_in(carol).post(reply_url(complaint), {"standard": "refunded", "text": text})

    assert r.status_code == 302 and r["Location"].endswith(f"#c-{complaint.public_id}")
    reply = ComplaintReply.objects.get()
    assert (reply.author, reply.standard, reply.user) == ("platform", "refunded", carol)
    for secret in ("13812345678", "KM20261120001", "123456789"):
        assert secret not in reply.text
    assert "已退款到支付宝" in reply.text
    complaint.refresh_from_db()
    assert complaint.first_reply_at == reply.created_at
    assert stats(platform).replied == 1
    # The consumer's own history records the answer (masked as well).
    event = CaseEvent.objects.filter(kind="platform_reply").get()
    assert event.payload["text"] == reply.text and "actor" not in event.payload


def test_only_the_first_reply_sets_first_reply_at(carol, complaint, platform):
    c = logged_in(carol)
    c.post(reply_url(complaint), {"standard": "need_info"})
    complaint.refresh_from_db()
    first = complaint.first_reply_at
    c.post(reply_url(complaint), {"text": "请提供订单截图"})
    complaint.refresh_from_db()
    assert complaint.first_reply_at == first
    assert ComplaintReply.objects.count() == 2
    s = stats(platform)
    assert (s.replied, s.public_replies) == (1, 2)


def test_an_empty_reply_is_refused_and_nothing_is_stored(carol, complaint):
    r = logged_in(carol).post(reply_url(complaint), {"standard": "", "text": "  "}, follow=True)
    assert "请写回复内容" in r.content.decode()
    assert not ComplaintReply.objects.exists()


def test_the_portal_lists_published_complaints_only(carol, complaint, platform):
    published(platform, title="还在审核的投诉", status="pending", published_at=None)
    published(platform, title="撤回的投诉", status="withdrawn")
    html = logged_in(carol).get(reverse("merchant_portal", args=[platform.public_id])).content.decode()
    assert complaint.title in html and complaint.story in html
    assert "还在审核的投诉" not in html and "撤回的投诉" not in html


def test_the_portal_page_costs_the_same_queries_for_1_or_20_complaints(carol, complaint, platform):
    c = logged_in(carol)
    url = reverse("merchant_portal", args=[platform.public_id])
    replies.add_reply(complaint, text="已处理")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for i in range(19):
        replies.add_reply(published(platform, title=f"投诉{i}"), standard="need_info")
    assert count() == one


# --- who may reply -------------------------------------------------------------------------------------------------


def test_an_unverified_representative_cannot_reply_in_the_portal(unverified, complaint, platform):
    c = logged_in(unverified)
    assert c.post(reply_url(complaint), {"text": "已退款"}).status_code == 404
    assert (
        c.post(reverse("merchant_progress", args=[complaint.public_id]), {"progress": "resolved"}).status_code
        == 404
    )
    assert c.get(reverse("merchant_portal", args=[platform.public_id])).status_code == 404
    assert not ComplaintReply.objects.exists()
    complaint.refresh_from_db()
    assert complaint.progress == "" and complaint.first_reply_at is None


def test_an_unverified_representative_cannot_reply_by_api(unverified, complaint):
    r = api_post(unverified, api_reply_url(complaint), {"text": "已退款"})
    assert r.status_code == 403
    assert "已验证代表" in r.json()["error"]
    r = api_post(
        unverified, f"/api/merchant/complaints/{complaint.public_id}/progress", {"progress": "resolved"}
    )
    assert r.status_code == 403
    assert not ComplaintReply.objects.exists()


def test_a_representative_of_another_platform_cannot_touch_the_complaint(erin, complaint, platform):
    c = logged_in(erin)
    assert c.post(reply_url(complaint), {"text": "x"}).status_code == 404
    assert (
        c.post(reverse("merchant_progress", args=[complaint.public_id]), {"progress": "resolved"}).status_code
        == 404
    )
    assert c.get(reverse("merchant_portal", args=[platform.public_id])).status_code == 404
    assert api_post(erin, api_reply_url(complaint), {"text": "x"}).status_code == 404
    r = api_post(erin, f"/api/merchant/complaints/{complaint.public_id}/progress", {"progress": "resolved"})
    assert r.status_code == 404 and r.json() == {"error": "投诉不存在"}
    # Even a malformed body is 404, not a 422 that would confirm the complaint exists.
    assert api_post(erin, api_reply_url(complaint), {"standard": 5}).status_code == 404
    assert not ComplaintReply.objects.exists()
    complaint.refresh_from_db()
    assert complaint.progress == ""


def test_outsiders_and_anonymous_visitors_get_nothing(bob, complaint, platform):
    assert logged_in(bob).post(reply_url(complaint), {"text": "x"}).status_code == 404
    assert Client().post(reply_url(complaint), {"text": "x"}).status_code == 302  # to log-in
    r = Client().post(api_reply_url(complaint), "{}", content_type="application/json")
    assert r.status_code == 401
    assert not ComplaintReply.objects.exists()


# --- the API -------------------------------------------------------------------------------------------------------


def test_the_api_replies_and_updates_progress(carol, complaint, platform):
    r = api_post(carol, api_reply_url(complaint), {"standard": "reissued", "text": "已补发新卡密，请查收"})
    assert r.status_code == 201
    assert r.json()["standard"] == "reissued" and r.json()["complaint_id"] == str(complaint.public_id)
    r = api_post(
        carol, f"/api/merchant/complaints/{complaint.public_id}/progress", {"progress": "processing"}
    )
    assert r.status_code == 200 and r.json()["progress"] == "processing"
    complaint.refresh_from_db()
    assert complaint.progress == "processing" and complaint.first_reply_at is not None


def test_the_api_lists_the_representatives_complaints(carol, complaint, platform):
    published(make_platform("别家", "elsewhere.com"), title="别家的投诉")
    token = ApiToken.issue(carol)
    r = Client().get("/api/merchant/complaints", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200
    assert [c["id"] for c in r.json()] == [str(complaint.public_id)]


# --- nothing can be deleted, edited or hidden ------------------------------------------------------------------------


def _merchant_patterns() -> list[URLPattern]:
    resolver = get_resolver("weiquan.platforms.portal_urls")
    return [p for p in resolver.url_patterns if isinstance(p, URLPattern)]


def test_there_is_no_url_or_api_to_delete_edit_or_hide_a_complaint():
    names = [p.name for p in _merchant_patterns()]
    assert not [n for n in names if re.search(r"delete|remove|edit|hide|withdraw", n or "")]
    methods = {
        m for view in merchant_router.path_operations.values() for op in view.operations for m in op.methods
    }
    assert methods <= {"GET", "POST"}
    posts = sorted(
        path
        for path, view in merchant_router.path_operations.items()
        if any("POST" in op.methods for op in view.operations)
    )
    assert posts == [
        "/merchant/complaints/{complaint_id}/progress",
        "/merchant/complaints/{complaint_id}/replies",
        "/merchant/platforms/{platform_id}/inbound",
    ]


def test_delete_requests_do_nothing(carol, complaint):
    token = ApiToken.issue(carol)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    replies.add_reply(complaint, text="已处理")
    for path in (f"/api/merchant/complaints/{complaint.public_id}", api_reply_url(complaint)):
        assert Client().delete(path, **auth).status_code in (404, 405)
    assert logged_in(carol).delete(reply_url(complaint)).status_code == 405
    assert PublicComplaint.objects.filter(pk=complaint.pk, status="published").exists()
    assert ComplaintReply.objects.count() == 1


def test_the_portal_page_offers_only_reply_progress_and_integration_forms(carol, complaint, platform):
    html = logged_in(carol).get(reverse("merchant_portal", args=[platform.public_id])).content.decode()
    actions = set(re.findall(r'<form method="post" action="([^"]+)"', html))
    assert actions == {
        reverse("merchant_reply", args=[complaint.public_id]),
        reverse("merchant_progress", args=[complaint.public_id]),
        reverse("merchant_webhook", args=[platform.public_id]),
        reverse("merchant_declare", args=[platform.public_id]),  # 平台自报 operator details (issue 13)
    }


# --- resolved means the consumer says so ----------------------------------------------------------------------------


def test_the_platforms_resolved_does_not_count_the_consumers_confirmation_does(
    carol, complaint, platform, alice_client, alice_case
):
    r = logged_in(carol).post(
        reverse("merchant_progress", args=[complaint.public_id]), {"progress": "resolved"}
    )
    assert r.status_code == 302
    complaint.refresh_from_db()
    assert complaint.progress == "resolved" and complaint.consumer_confirmed is None
    assert stats(platform).resolved_confirmed == 0

    r = alice_client.post(
        reverse("case_publish_confirm", args=[alice_case.public_id]), {"confirmed": "yes", "rating": "4"}
    )
    assert r.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.consumer_confirmed, complaint.consumer_rating) == (True, 4)
    assert stats(platform).resolved_confirmed == 1


def test_only_the_consumer_can_confirm(carol, bob_client, complaint, alice_case):
    url = reverse("case_publish_confirm", args=[alice_case.public_id])
    assert bob_client.post(url, {"confirmed": "yes", "rating": "5"}).status_code == 404
    assert logged_in(carol).post(url, {"confirmed": "yes", "rating": "5"}).status_code == 404
    complaint.refresh_from_db()
    assert complaint.consumer_confirmed is None


def test_the_confirm_include_shows_only_to_the_complaints_consumer(complaint, alice, bob, carol):
    mine = render_to_string("merchant/_confirm.html", {"complaint": complaint, "user": alice})
    assert "问题解决了吗？" in mine
    assert reverse("case_publish_confirm", args=[complaint.case.public_id]) in mine
    for other in (bob, carol):
        assert (
            render_to_string("merchant/_confirm.html", {"complaint": complaint, "user": other}).strip() == ""
        )
    assert render_to_string("merchant/_confirm.html", {"complaint": None, "user": alice}).strip() == ""


def test_an_unknown_complaint_is_404_for_a_representative(carol):
    assert (
        logged_in(carol).post(reverse("merchant_reply", args=[uuid.uuid4()]), {"text": "x"}).status_code
        == 404
    )
