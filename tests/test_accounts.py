"""Sign-up, log-in with its attempt limit, log-out, and the account page (reminder e-mail, calendar link)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from weiquan.accounts.models import Profile

pytestmark = pytest.mark.django_db

STRONG = "kami-refund-2026!"


@pytest.mark.production_hasher
def test_it_signs_up_and_logs_in(client):
    r = client.post(
        reverse("signup"),
        {"username": "carol", "email": "carol@example.com", "password1": STRONG, "password2": STRONG},
    )
    assert r.status_code == 302
    assert r["Location"] == reverse("case_list")
    user = get_user_model().objects.get(username="carol")
    assert user.email == "carol@example.com"
    assert user.password.startswith("argon2")
    assert Profile.objects.filter(user=user).exists()  # created by the post_save signal
    assert client.get(reverse("case_list")).status_code == 200


def test_sign_up_errors_are_chinese_and_next_to_the_field(client):
    r = client.post(
        reverse("signup"), {"username": "carol", "password1": STRONG, "password2": "other-pw-2026"}
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="id_password2_error"' in html
    assert "输入的两个密码不一致" in html
    assert not get_user_model().objects.filter(username="carol").exists()


def test_it_logs_in(client, alice):
    r = client.post(reverse("login"), {"username": "alice", "password": "alice-secret-pw-2026"})
    assert r.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_wrong_password_gets_a_chinese_message(client, alice):
    r = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert r.status_code == 200
    assert "用户名或密码不对" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_ignores_an_offsite_next(client, alice):
    r = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": "alice", "password": "alice-secret-pw-2026"},
    )
    assert r["Location"] == reverse("case_list")


def test_log_out_needs_post(alice_client):
    assert alice_client.get(reverse("logout")).status_code == 405
    r = alice_client.post(reverse("logout"))
    assert r.status_code == 302
    assert "_auth_user_id" not in alice_client.session


def test_the_account_page_needs_a_log_in(client):
    r = client.get(reverse("account"))
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("login"))


def test_the_account_page_saves_the_reminder_email(alice_client, alice):
    r = alice_client.post(reverse("account"), {"email": "alice@example.com"})
    assert r.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_the_account_page_rejects_a_bad_email(alice_client):
    r = alice_client.post(reverse("account"), {"email": "not-an-email"})
    assert "邮箱格式不对" in r.content.decode()


def test_the_account_page_shows_the_calendar_feed(alice_client, alice):
    html = alice_client.get(reverse("account")).content.decode()
    try:
        url = reverse("ics_feed", args=[alice.profile.ics_token])
    except NoReverseMatch:
        pytest.skip("the reminders app (ics_feed) is not installed in this tree")
    assert url in html
