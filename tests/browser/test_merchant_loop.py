"""Issue 13 end to end, on a 390×844 phone in Chromium: a platform's representative claims the platform (its site is
a local HTTP server), replies in public with the consumer's real name in the text; the consumer sees the reply
masked on the public page and as the platform's words on their case page, then confirms 已退款 and closes the case.

Screenshots of the case page with the reply and of the platform page with its verified badge go to
$WEIQUAN_SCREENSHOTS (or a temp folder).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from merchant_support import local_site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "王小明"
VALID_USCC = "91110108MA01KP2T5U"


def as_user(browser, browser_context_args, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(**browser_context_args)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context.new_page()


@pytest.fixture
def published_case(django_user_model, seed_case_file):
    from weiquan.cases.models import Case
    from weiquan.platforms.models import PlatformAlias
    from weiquan.public import services

    alice = django_user_model.objects.create_user(
        "alice", password="alice-secret-pw-2026", email="a@example.com"
    )
    data = {**seed_case_file, "contacts": [], "description": f"我叫{NAME}，" + seed_case_file["description"]}
    case = Case.create_from_case_file(alice, data)
    PlatformAlias.objects.create(platform=case.platform, kind="domain", value="127.0.0.1", label="127.0.0.1")
    complaint = services.moderate(services.publish(case, alice), True)
    return alice, case, complaint


def test_a_platform_reply_reaches_the_consumers_case_masked_and_the_consumer_closes_it(
    browser, browser_context_args, live_server, shots, settings, django_user_model, published_case
):
    from playwright.sync_api import expect

    settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION = True
    cache.clear()
    alice, case, complaint = published_case
    carol = django_user_model.objects.create_user("carol", password="carol-secret-pw-2026")

    # The representative claims the platform: the token is served by the platform's own (local) site.
    rep = as_user(browser, browser_context_args, live_server, carol)
    with local_site() as site:
        rep.goto(live_server.url + "/merchant/")
        rep.get_by_label("平台的域名").fill(site.host)
        rep.get_by_role("button", name="开始认领").click()
        token = rep.locator("#claim-token").inner_text().strip()
        expect(rep.get_by_role("button", name="复制")).to_be_visible()
        box = rep.locator("#claim-token").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390  # the whole token fits on the phone
        rep.screenshot(path=str(shots / "claim-token.png"), full_page=True)
        site.serve("/.well-known/weiquan-verification.txt", token)
        rep.get_by_role("button", name="验证").click()
        expect(rep.get_by_text("验证成功")).to_be_visible()

    # It replies in public, quoting the consumer's real name, and states who runs the site.
    article = rep.locator(f"#c-{complaint.public_id}")
    article.get_by_label("已退款").check()
    article.get_by_label("回复内容（公开显示）").fill(f"{NAME}您好，已核实订单，款项已原路退回，请查收。")
    article.get_by_role("button", name="发出公开回复").click()
    expect(rep.get_by_text("回复已公开")).to_be_visible()
    declare = rep.locator("#declare")
    declare.get_by_label("经营者全称").fill("某某网络科技有限公司")
    declare.get_by_label("统一社会信用代码").fill(VALID_USCC)
    declare.get_by_role("button", name="保存").click()
    expect(rep.get_by_text("平台自报").first).to_be_visible()

    # Anyone: the public page shows the reply, without the name.
    public = browser.new_context(**browser_context_args).new_page()
    public.goto(f"{live_server.url}/complaints/{complaint.public_id}/")
    expect(public.get_by_text("款项已原路退回")).to_be_visible()
    assert NAME not in public.content()

    # The platform page: the verified badge and what the platform says about itself.
    public.goto(f"{live_server.url}/platforms/{case.platform.public_id}/")
    expect(public.get_by_text("平台已认证代表")).to_be_visible()
    expect(public.get_by_text("某某网络科技有限公司", exact=True)).to_be_visible()
    expect(public.get_by_text("经营者只有平台自报")).to_be_visible()
    public.screenshot(path=str(shots / "platform-badge.png"), full_page=True)

    # The consumer: the reply on the case page as the platform's words, and the question it raises.
    me = as_user(browser, browser_context_args, live_server, alice)
    me.goto(f"{live_server.url}/cases/{case.public_id}/")
    ask = me.locator("#platform-says")
    expect(ask).to_be_visible()
    expect(ask.get_by_text("款项已原路退回")).to_be_visible()
    expect(me.locator("#history").get_by_text("平台的原话")).to_be_visible()
    assert NAME not in me.locator("#history").inner_text()
    me.screenshot(path=str(shots / "case-platform-reply.png"), full_page=True)

    # One tap: refunded, case closed, reminders stopped.
    ask.get_by_role("button", name="已退款，结案").click()
    expect(me.get_by_role("heading", name="已结案")).to_be_visible()
    expect(me.get_by_text("不会再发期限提醒")).to_be_visible()
    case.refresh_from_db()
    assert case.status == "closed" and case.next_reminder_at is None
    me.screenshot(path=str(shots / "case-closed.png"), full_page=True)
