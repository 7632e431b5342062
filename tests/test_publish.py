"""Publishing a case: opt-in, masked at publication, moderated before it appears, withdrawn by the consumer only."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse

from weiquan.accounts.models import ApiToken
from weiquan.api.api import api
from weiquan.cases.models import Case
from weiquan.platforms.models import PlatformStats
from weiquan.public import services
from weiquan.public.models import CollectiveComplaint, PublicComplaint
from weiquan.public.signals import complaint_published

pytestmark = pytest.mark.django_db

LEAKY = json.loads((Path(__file__).parent / "data" / "leaky-case.json").read_text(encoding="utf-8"))


@pytest.fixture
def case(alice):
    return Case.create_from_case_file(alice, LEAKY)


@pytest.fixture
def moderator(django_user_model):
    return django_user_model.objects.create_superuser("mod", password="mod-secret-pw-2026")


def stats(complaint: PublicComplaint) -> PlatformStats:
    return PlatformStats.objects.get(platform=complaint.platform)


# --- publish ---------------------------------------------------------------------------------------------------------


def test_nothing_is_public_until_the_consumer_publishes(case, client):
    # The case is linked to the registry (its platform learns the domain), but nothing of the story is public.
    assert not PublicComplaint.objects.exists()
    assert case.description[:10] not in client.get("/complaints/").content.decode()


def test_it_stores_a_masked_copy_as_pending(case, alice):
    complaint = services.publish(case, alice, pseudonym="小陈", title="某某卡盟卡密无效，客服要我的身份证")
    assert complaint.status == "pending" and complaint.published_at is None
    assert complaint.pseudonym == "小陈"
    for raw in ("陈小明", "13812345678", "138-1234-5678", "KM20261120001", "ABCD-EFGH-1234-5678", "886688"):
        assert raw not in complaint.story
    assert "…0001" in complaint.story  # the order number keeps its last four
    assert "100元点卡" in complaint.story and "www.kamen88.com" in complaint.story
    assert complaint.payment_backed  # the case holds a payment record
    assert complaint.amount == 100 and complaint.problem_type == "invalid_code"
    assert complaint.demands == "补发有效卡密、全额退款"
    assert complaint.platform.name == "某某卡盟"
    case.refresh_from_db()
    assert case.platform_id == complaint.platform_id
    event = case.events.order_by("-seq").first()
    assert event.kind == "public_submitted" and event.payload["complaint"] == str(complaint.public_id)


def test_it_gives_a_pseudonym_and_a_title_when_none_is_chosen(case, alice):
    complaint = services.publish(case, alice)
    assert complaint.pseudonym.startswith("消费者") and len(complaint.pseudonym) == 7
    assert complaint.title == "某某卡盟：卡密无效（100元）"


def test_it_refuses_a_pseudonym_that_is_the_consumers_name(case, alice):
    with pytest.raises(services.PublishError, match="化名"):
        services.publish(case, alice, pseudonym="陈小明")
    assert not PublicComplaint.objects.exists()


def test_a_title_with_personal_data_is_masked(case, alice):
    complaint = services.publish(case, alice, title="退款！电话13812345678")
    assert "13812345678" not in complaint.title and "【" in complaint.title


def test_it_cannot_be_published_twice(case, alice):
    services.publish(case, alice)
    with pytest.raises(services.PublishError) as exc:
        services.publish(case, alice)
    assert exc.value.status == 409
    assert PublicComplaint.objects.count() == 1


# --- moderation ------------------------------------------------------------------------------------------------------


def test_approval_publishes_counts_and_signals_after_commit(
    case, alice, moderator, django_capture_on_commit_callbacks
):
    complaint = services.publish(case, alice)
    received = []

    def receiver(sender, complaint, **kwargs):
        received.append(complaint.public_id)

    complaint_published.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.moderate(complaint, True, moderator, note="ok")
        assert received == []  # not before the commit
        for callback in callbacks:
            callback()
    finally:
        complaint_published.disconnect(receiver)
    assert received == [complaint.public_id]
    complaint.refresh_from_db()
    assert complaint.status == "published" and complaint.published_at is not None
    assert complaint.moderated_by == moderator
    assert stats(complaint).complaints == 1 and stats(complaint).payment_backed == 1
    assert case.events.order_by("-seq").first().kind == "public_approved"


def test_rejection_keeps_it_private_and_the_consumer_may_resubmit(case, alice, moderator):
    complaint = services.publish(case, alice)
    services.moderate(complaint, False, moderator, note="请删去客服的名字")
    complaint.refresh_from_db()
    assert complaint.status == "rejected" and complaint.moderation_note == "请删去客服的名字"
    assert not PlatformStats.objects.filter(platform=complaint.platform, complaints__gt=0).exists()
    again = services.publish(case, alice, title="新标题")
    assert again.pk == complaint.pk and again.status == "pending" and again.title == "新标题"


def test_rejecting_a_published_complaint_takes_it_down(case, alice, moderator):
    complaint = services.moderate(services.publish(case, alice), True, moderator)
    services.moderate(complaint, False, moderator, note="漏掉了一个名字")
    complaint.refresh_from_db()
    assert complaint.status == "rejected"
    assert stats(complaint).complaints == 0


def test_only_pending_complaints_can_be_approved(case, alice, moderator):
    complaint = services.moderate(services.publish(case, alice), True, moderator)
    with pytest.raises(services.PublishError):
        services.moderate(complaint, True, moderator)


def test_the_moderation_command_takes_a_case_id_or_a_complaint_id(case, alice):
    complaint = services.publish(case, alice)
    out = StringIO()
    call_command("moderation", "approve", str(case.public_id), note="看过了", stdout=out)
    complaint.refresh_from_db()
    assert complaint.status == "published" and complaint.moderation_note == "看过了"
    assert "已通过" in out.getvalue()
    with pytest.raises(CommandError, match="只能审核待审核的投诉"):
        call_command("moderation", "approve", str(complaint.public_id), stdout=StringIO())
    call_command("moderation", "reject", str(complaint.public_id), note="漏了名字", stdout=out)
    complaint.refresh_from_db()
    assert complaint.status == "rejected" and "已驳回" in out.getvalue()


def test_the_moderation_command_explains_an_unknown_id():
    with pytest.raises(CommandError, match="没有找到"):
        call_command("moderation", "approve", "00000000-0000-0000-0000-000000000000")
    with pytest.raises(CommandError, match="编号格式不对"):
        call_command("moderation", "approve", "abc")


def test_the_admin_moderates_with_actions_and_cannot_delete_or_edit(case, alice, moderator, client):
    complaint = services.publish(case, alice)
    model_admin = admin_site._registry[PublicComplaint]
    request = RequestFactory().get("/")
    request.user = moderator
    assert model_admin.has_delete_permission(request, complaint) is False
    assert model_admin.has_change_permission(request, complaint) is False
    assert "delete_selected" not in model_admin.get_actions(request)
    client.force_login(moderator)
    changelist = reverse("admin:public_publiccomplaint_changelist")
    assert client.get(changelist + "?status__exact=pending").status_code == 200
    r = client.post(changelist, {"action": "approve", "_selected_action": [complaint.pk]})
    assert r.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "published"
    delete_url = reverse("admin:public_publiccomplaint_delete", args=[complaint.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert PublicComplaint.objects.filter(pk=complaint.pk).exists()
    # The change page shows the masked copy, read-only.
    page = client.get(reverse("admin:public_publiccomplaint_change", args=[complaint.pk])).content.decode()
    assert complaint.story in page.replace("&quot;", '"') or "【" in page
    assert "13812345678" not in page


# --- no platform can delete ------------------------------------------------------------------------------------------


def test_no_api_operation_deletes_a_complaint(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, operations in paths.items():
        if "complaint" in path or "publish" in path:
            assert "delete" not in operations, path
    patterns, _app, _ns = api.urls
    assert not [p for p in patterns if "delete" in (p.name or "") and "complaint" in (p.name or "")]


def test_no_site_url_deletes_a_complaint():
    from django.urls import get_resolver

    names = [name for name in get_resolver().reverse_dict if isinstance(name, str)]
    assert not [
        n for n in names if "complaint" in n and ("delete" in n or "remove" in n) and "admin" not in n
    ]


# --- withdraw --------------------------------------------------------------------------------------------------------


def test_withdrawal_erases_the_text_and_keeps_the_anonymous_count(case, alice, moderator, client):
    complaint = services.moderate(services.publish(case, alice), True, moderator)
    services.withdraw(complaint, alice)
    complaint.refresh_from_db()
    assert complaint.status == "withdrawn" and complaint.withdrawn_at is not None
    assert complaint.story == complaint.title == complaint.pseudonym == complaint.demands == ""
    s = stats(complaint)
    assert s.complaints == 1 and s.withdrawn == 1
    assert client.get(reverse("public_complaint", args=[complaint.public_id])).status_code == 404
    assert case.events.order_by("-seq").first().kind == "public_withdrawn"
    with pytest.raises(services.PublishError):
        services.publish(case, alice)  # a withdrawal is final


def test_a_pending_complaint_withdrawn_was_never_counted(case, alice):
    complaint = services.publish(case, alice)
    services.withdraw(complaint, alice)
    assert not PlatformStats.objects.filter(platform=complaint.platform, complaints__gt=0).exists()


def test_only_the_consumer_can_withdraw(case, alice, bob):
    from django.core.exceptions import PermissionDenied

    complaint = services.publish(case, alice)
    with pytest.raises(PermissionDenied):
        services.withdraw(complaint, bob)
    complaint.refresh_from_db()
    assert complaint.status == "pending"


# --- confirmation and collectives ------------------------------------------------------------------------------------


def test_the_consumers_confirmation_counts_as_resolved(case, alice, moderator):
    complaint = services.moderate(services.publish(case, alice), True, moderator)
    services.confirm(complaint, alice, confirmed=True, rating=4)
    complaint.refresh_from_db()
    assert complaint.consumer_confirmed is True and complaint.consumer_rating == 4
    assert stats(complaint).resolved_confirmed == 1
    services.confirm(complaint, alice, confirmed=False)
    assert stats(complaint).resolved_confirmed == 0
    with pytest.raises(services.PublishError):
        services.confirm(complaint, alice, confirmed=True, rating=9)


def test_consumers_join_one_collective_complaint(case, alice, bob, moderator, client):
    first = services.moderate(services.publish(case, alice), True, moderator)
    collective = services.create_collective(
        first, alice, title="某某卡盟11月跑路，联系陈小明 13812345678", description="网站打不开，客服失联"
    )
    assert "13812345678" not in collective.title
    other = Case.create_from_case_file(bob, {**LEAKY, "consumer": {"name": "周杰"}})
    second = services.publish(other, bob)
    services.join_collective(second, collective, bob)
    r = client.get(reverse("public_collective", args=[collective.public_id]))
    html = r.content.decode()
    assert r.status_code == 200
    assert first.pseudonym in html and second.pseudonym not in html  # pending members are not shown
    assert "已公开 1 人" in html


def test_a_collective_with_no_published_member_is_not_public(case, alice, client):
    complaint = services.publish(case, alice)
    collective = services.create_collective(complaint, alice, title="跑路了")
    assert client.get(reverse("public_collective", args=[collective.public_id])).status_code == 404


def test_a_collective_of_another_platform_cannot_be_joined(case, alice, bob):
    complaint = services.publish(case, alice)
    other = Case.create_from_case_file(bob, {**LEAKY, "platform": {"name": "别的卡盟", "domain": "other.cn"}})
    collective = services.create_collective(services.publish(other, bob), bob, title="别的卡盟跑路")
    with pytest.raises(services.PublishError, match="另一个平台"):
        services.join_collective(complaint, collective, alice)
    assert CollectiveComplaint.objects.count() == 1


# --- the consumer's pages --------------------------------------------------------------------------------------------


def test_the_case_page_offers_publishing_with_an_explanation(alice_client, case):
    html = alice_client.get(reverse("case_detail", args=[case.public_id])).content.decode()
    start = html.index('id="public"')
    section = html[start : html.index("</section>", start)]
    assert "公开投诉（可选）" in section
    assert "证据文件" in section and "永远不公开" in section
    assert reverse("case_publish", args=[case.public_id]) in section


def test_the_preview_shows_the_masked_text_before_submitting(alice_client, case):
    r = alice_client.get(
        reverse("case_publish", args=[case.public_id]), {"pseudonym": "小陈", "title": "卡密无效"}
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert "【手机号已隐藏】" in html and "小陈" in html and "卡密无效" in html
    for raw in ("13812345678", "138-1234-5678", "110101199003071234", "陈小明"):
        assert raw not in html
    assert not PublicComplaint.objects.exists()  # previewing publishes nothing


def test_submitting_from_the_page_creates_a_pending_complaint(alice_client, case):
    r = alice_client.post(reverse("case_publish", args=[case.public_id]), {"pseudonym": "小陈", "title": ""})
    assert r.status_code == 302 and r["Location"].endswith("#public")
    complaint = PublicComplaint.objects.get(case=case)
    assert complaint.status == "pending" and complaint.pseudonym == "小陈"
    html = alice_client.get(reverse("case_detail", args=[case.public_id])).content.decode()
    assert "待审核" in html and reverse("case_publish_withdraw", args=[case.public_id]) in html


def test_withdrawing_from_the_page(alice_client, case, alice):
    services.publish(case, alice)
    r = alice_client.post(reverse("case_publish_withdraw", args=[case.public_id]))
    assert r.status_code == 302
    assert PublicComplaint.objects.get(case=case).status == "withdrawn"


def test_confirming_from_the_page(alice_client, case, alice, moderator):
    services.moderate(services.publish(case, alice), True, moderator)
    alice_client.post(
        reverse("case_publish_confirm", args=[case.public_id]), {"confirmed": "yes", "rating": "5"}
    )
    complaint = PublicComplaint.objects.get(case=case)
    assert complaint.consumer_confirmed is True and complaint.consumer_rating == 5


@pytest.mark.parametrize(
    "name", ["case_publish", "case_publish_withdraw", "case_publish_confirm", "case_publish_collective"]
)
def test_another_user_gets_404_on_every_publish_page(bob_client, case, alice, name):
    complaint = services.publish(case, alice)
    url = reverse(name, args=[case.public_id])
    assert bob_client.get(url).status_code in (404, 405)
    assert bob_client.post(url, {"pseudonym": "x", "confirmed": "yes", "title": "t"}).status_code == 404
    complaint.refresh_from_db()
    assert (
        complaint.status == "pending"
        and complaint.consumer_confirmed is None
        and complaint.collective is None
    )


# --- the API ---------------------------------------------------------------------------------------------------------


def test_the_api_publishes_for_the_owner(client, case, alice):
    token = ApiToken.issue(alice)
    r = client.post(
        f"/api/cases/{case.public_id}/publish",
        {"pseudonym": "小陈", "title": "卡密无效"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "pending" and body["pseudonym"] == "小陈"
    assert "13812345678" not in r.content.decode()
    again = client.post(
        f"/api/cases/{case.public_id}/publish",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert again.status_code == 409 and "已经提交过" in again.json()["error"]


def test_the_api_publish_body_is_optional_and_checked(client, case, alice):
    token = ApiToken.issue(alice)
    url = f"/api/cases/{case.public_id}/publish"
    r = client.post(
        url, {"title": "x" * 61}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert r.status_code == 422 and "title" in r.content.decode()
    r = client.post(url, "not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 400
    r = client.generic("POST", url, b"", HTTP_AUTHORIZATION=f"Bearer {token}")  # no body at all
    assert r.status_code == 201


def test_another_user_cannot_publish_through_the_api(client, case, bob):
    token = ApiToken.issue(bob)
    r = client.post(
        f"/api/cases/{case.public_id}/publish",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 404 and r.json() == {"error": "案件不存在"}
    assert not PublicComplaint.objects.exists()


def test_the_case_page_follows_the_complaint_through_its_states(alice_client, case, alice, moderator):
    url = reverse("case_detail", args=[case.public_id])

    def section() -> str:
        html = alice_client.get(url).content.decode()
        start = html.index('id="public"')
        return html[start : html.index("</section>", start)]

    complaint = services.publish(case, alice)
    services.moderate(complaint, False, moderator, note="请删去客服的名字")
    assert "请删去客服的名字" in section() and "预览公开内容" in section()
    complaint = services.publish(case, alice)
    services.moderate(complaint, True, moderator)
    published = section()
    assert "已公开" in published and reverse("public_complaint", args=[complaint.public_id]) in published
    assert reverse("case_publish_confirm", args=[case.public_id]) in published
    assert "发起并加入" in published
    services.withdraw(complaint, alice)
    assert "撤回公开投诉" in section() and "匿名计数" in section()
