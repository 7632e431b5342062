"""What a consumer reads is for a consumer (issue 8): no working notes on any page, a neutral word for what this site
does not know, Chinese 404 and 500 pages, a 忘记密码 path by e-mail, the calendar link with a copy button."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from weiquan.cases.views import for_consumer
from weiquan.platforms.models import Platform, PlatformAlias

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[1] / "weiquan" / "templates"
INTERNAL = ("种子文本", "待核实", "尚未核实", "DOMAIN.md", "原文未找到", "确定）。")


def test_no_template_carries_a_working_note():
    for path in TEMPLATES.rglob("*.html"):
        text = re.sub(
            r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}",
            "",
            path.read_text(encoding="utf-8"),
            flags=re.S,
        )
        for word in INTERNAL:
            assert word not in text, (path, word)


def test_the_case_page_shows_no_working_note(alice_client, alice_case):
    html = alice_client.get(reverse("case_detail", args=[alice_case.public_id])).content.decode()
    for word in INTERNAL:
        assert word not in html, word
    # the engine's reason keeps its meaning without the source note
    assert "12315与黑猫投诉同时提交" in html


def test_working_notes_are_taken_out_but_the_law_stays():
    assert (
        for_consumer("要求整改（种子文本第三部分；个人信息保护法第六十五条）。")
        == "要求整改（个人信息保护法第六十五条）。"
    )
    assert for_consumer("适用新规。调解期限为六十日，条文待核实。") == "适用新规。"
    assert for_consumer({"a": ["联合施压（种子文本第三部分）。"]}) == {"a": ["联合施压。"]}
    trace = "适用规则：市场监督管理投诉举报处理办法（总局令第121号）（按2026-11-25确定）。投诉须写明被投诉方名称。"
    assert for_consumer(trace) == "投诉须写明被投诉方名称。"


def test_a_site_we_know_nothing_about_gets_a_neutral_word(client):
    platform = Platform.objects.create(name="某某卡盟")
    PlatformAlias.objects.create(platform=platform, kind="domain", value="example.com", label="example.com")
    html = client.get(reverse("platform_detail", args=[platform.public_id])).content.decode()
    assert "本站尚无该平台的备案信息" in html
    assert "没有登记ICP备案号" not in html


def test_the_404_page_is_chinese(client, settings):
    settings.DEBUG = False
    r = client.get("/no-such-page/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "找不到这个页面" in html and "回到首页" in html


def test_the_500_page_is_chinese():
    html = render_to_string("500.html")
    assert "出错了" in html and 'lang="zh-Hans"' in html
    from django.views.defaults import server_error

    r = server_error(RequestFactory().get("/"))
    assert r.status_code == 500 and "出错了" in r.content.decode()


def test_a_forgotten_password_is_reset_by_e_mail(client, django_user_model):
    django_user_model.objects.create_user("xiaoming", email="xm@example.com", password="old-secret-pw-2026")
    login = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in login and "忘记密码" in login
    page = client.get(reverse("password_reset")).content.decode()
    assert "注册时填的邮箱" in page
    r = client.post(reverse("password_reset"), {"email": "xm@example.com"})
    assert r["Location"] == reverse("password_reset_done")
    assert "请查收邮件" in client.get(r["Location"]).content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "卡盟维权助手：重设密码" and "xiaoming，你好" in message.body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    page = client.get(form_url).content.decode()
    assert "新密码" in page and "再输一遍新密码" in page
    bad = client.post(form_url, {"new_password1": "new-secret-pw-2026", "new_password2": "other-pw-2026x"})
    assert "两次输入的密码不一样" in bad.content.decode()
    r = client.post(form_url, {"new_password1": "new-secret-pw-2026", "new_password2": "new-secret-pw-2026"})
    assert r["Location"] == reverse("password_reset_complete")
    assert client.login(username="xiaoming", password="new-secret-pw-2026")


def test_an_unknown_e_mail_gets_the_same_answer(client):
    r = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert r["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 0


def test_the_calendar_link_has_a_copy_button_and_no_inline_script(alice_client):
    html = alice_client.get(reverse("account")).content.decode()
    assert 'data-copy="ics-url"' in html and "js/copy.js" in html
    assert "onfocus" not in html and "<script>" not in html
