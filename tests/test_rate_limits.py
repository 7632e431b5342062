"""Issue 12 point 4: limits that stop guessing without letting anyone lock an owner out (issue 11: counters in
storage that never prunes a live entry). The 40-parallel-requests check runs against the real server in
tests/test_live_server.py."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from weiquan.accounts.counters import DatabaseCounters, RedisCounters, key
from weiquan.accounts.models import ApiToken, RateCounter
from weiquan.accounts.ratelimit import client_ip
from weiquan.cases.models import Case
from weiquan.platforms import webhooks
from weiquan.public.models import PublicComplaint

pytestmark = pytest.mark.django_db

RIGHT = "alice-secret-pw-2026"
LEAKY = json.loads((Path(__file__).parent / "data" / "leaky-case.json").read_text(encoding="utf-8"))


def token(client, password: str, ip: str = "198.51.100.1", username: str = "alice", **extra):
    body = json.dumps({"username": username, "password": password})
    return client.post("/api/auth/token", body, content_type="application/json", REMOTE_ADDR=ip, **extra)


def web_login(client, password: str, ip: str, username: str = "alice"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_lockout_is_per_username_and_ip(client, alice, settings):
    settings.LOGIN_RATE_LIMIT = 5
    for _ in range(5):
        assert token(client, "guess", ip="203.0.113.66").status_code == 401
    # From the guessing address even the right password is not checked now …
    refused = token(client, RIGHT, ip="203.0.113.66")
    assert refused.status_code == 429
    assert refused.json()["error"] == "登录失败次数过多，请 15 分钟后再试"
    # … but the owner, anywhere else, logs in as usual: a stranger cannot lock them out.
    assert token(client, RIGHT, ip="198.51.100.7").status_code == 200
    assert web_login(client, RIGHT, ip="198.51.100.8").status_code == 302


def test_the_web_log_in_page_says_why_it_refuses(client, alice, settings):
    settings.LOGIN_RATE_LIMIT = 2
    for _ in range(2):
        assert web_login(client, "wrong", ip="203.0.113.5").status_code == 200
    page = web_login(client, RIGHT, ip="203.0.113.5")
    assert page.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in page.content.decode()


def test_a_successful_log_in_gives_the_address_its_attempts_back(client, alice, settings):
    settings.LOGIN_RATE_LIMIT = 3
    for _ in range(2):
        token(client, "typo", ip="198.51.100.1")
    assert token(client, RIGHT, ip="198.51.100.1").status_code == 200
    for _ in range(2):
        assert token(client, "typo", ip="198.51.100.1").status_code == 401
    assert token(client, RIGHT, ip="198.51.100.1").status_code == 200


def test_the_username_slow_down_spares_the_owners_known_address(client, alice, settings, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC), tick=False)
    settings.LOGIN_SLOWDOWN_AFTER, settings.LOGIN_SLOWDOWN_SECONDS = 3, 60
    assert token(client, RIGHT, ip="198.51.100.1").status_code == 200  # the owner's usual address
    for i in range(3):  # a botnet: every guess from another address
        assert token(client, "guess", ip=f"203.0.113.{i}").status_code == 401
    assert (
        token(client, "guess", ip="203.0.113.50").status_code == 401
    )  # one check per minute for new addresses
    slowed = token(client, "guess", ip="203.0.113.51")
    assert slowed.status_code == 429
    assert slowed.json()["error"] == "这个账户近期有多次失败的登录尝试，为保护账户，请 60 秒后再试。"
    assert token(client, RIGHT, ip="198.51.100.1").status_code == 200  # the owner is not slowed down at home
    assert token(client, RIGHT, ip="198.51.100.99").status_code == 429  # from a new address: a short wait …
    time_machine.shift(61)
    assert token(client, RIGHT, ip="198.51.100.99").status_code == 200  # … not a lockout


def test_the_window_expires(client, alice, settings, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC), tick=False)
    settings.LOGIN_RATE_LIMIT, settings.LOGIN_RATE_WINDOW = 2, 600
    for _ in range(2):
        token(client, "guess")
    assert token(client, RIGHT).status_code == 429
    time_machine.shift(601)
    assert token(client, RIGHT).status_code == 200


def test_many_user_names_from_one_address_are_limited(client, alice, settings):
    settings.LOGIN_IP_RATE_LIMIT = 4
    for name in ("a1", "a2", "a3", "a4"):
        assert token(client, "guess", ip="203.0.113.9", username=name).status_code == 401
    assert token(client, RIGHT, ip="203.0.113.9").status_code == 429
    assert token(client, RIGHT, ip="203.0.113.10").status_code == 200


def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(settings):
    settings.WEIQUAN_TRUSTED_PROXIES = "10.0.0.0/8, ::1"
    rf = RequestFactory()
    behind = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4, 10.0.0.9")
    assert client_ip(behind) == "198.51.100.4"  # the left-most entry is the client's own claim: ignored
    direct = rf.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert client_ip(direct) == "203.0.113.7"  # not from our proxy: its header counts for nothing
    garbage = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(garbage) == "10.1.2.3"


def test_users_behind_one_proxy_have_their_own_counters(client, alice, settings):
    settings.WEIQUAN_TRUSTED_PROXIES, settings.LOGIN_RATE_LIMIT = "10.0.0.0/8", 3
    for _ in range(3):
        token(client, "guess", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.80")
    assert token(client, RIGHT, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.80").status_code == 429
    assert token(client, RIGHT, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.81").status_code == 200


def test_the_admin_login_is_limited(client, django_user_model, settings):
    django_user_model.objects.create_superuser("root", password="root-secret-pw-2026")
    settings.LOGIN_RATE_LIMIT = 5
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "root", "password": "guess"}, REMOTE_ADDR="203.0.113.3")
    page = client.post(
        url, {"username": "root", "password": "root-secret-pw-2026"}, REMOTE_ADDR="203.0.113.3"
    )
    assert page.status_code == 200 and "_auth_user_id" not in client.session
    assert "登录失败次数过多" in page.content.decode()


def test_sign_up_is_limited_per_address(client, settings):
    settings.SIGNUP_RATE_LIMIT = 2

    def signup(name: str):
        body = json.dumps({"username": name, "password": "signup-secret-pw-2026"})
        return client.post(
            "/api/auth/signup", body, content_type="application/json", REMOTE_ADDR="203.0.113.4"
        )

    assert signup("u1").status_code == 201
    assert signup("u2").status_code == 201
    refused = signup("u3")
    assert refused.status_code == 429
    assert refused.json()["error"] == "这个网络地址一小时内注册的账户太多，请稍后再试。"
    page = client.post(
        reverse("signup"),
        {"username": "u4", "password1": "signup-secret-pw-2026", "password2": "signup-secret-pw-2026"},
        REMOTE_ADDR="203.0.113.4",
    )
    assert page.status_code == 429 and "注册的账户太多" in page.content.decode()


def test_publishing_is_limited_per_user(client, alice, settings):
    settings.PUBLISH_RATE_LIMIT = 1
    first, second, third = (Case.create_from_case_file(alice, LEAKY) for _ in range(3))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(alice)}"}
    url = "/api/cases/{}/publish"
    assert (
        client.post(url.format(first.public_id), "{}", content_type="application/json", **auth).status_code
        == 201
    )
    refused = client.post(url.format(second.public_id), "{}", content_type="application/json", **auth)
    assert refused.status_code == 429
    assert refused.json()["error"] == "24 小时内最多提交 1 次公开投诉，请明天再试。"
    client.force_login(alice)
    page = client.post(reverse("case_publish", args=[third.public_id]), {})
    assert "24 小时内最多提交 1 次公开投诉" in page.content.decode()
    assert not PublicComplaint.objects.filter(case__in=[second, third]).exists()


def test_a_lockout_survives_any_amount_of_other_traffic(client, alice, settings):
    # Django's database cache culls a third of its entries beyond 300; these counters never drop a live one.
    settings.LOGIN_RATE_LIMIT = 2
    for _ in range(2):
        token(client, "guess", ip="203.0.113.66")
    counters = DatabaseCounters()
    for i in range(400):
        counters.take(key("login-pair", f"someone{i}", "198.51.100.2"), 5, 900)
        cache.set(f"filler:{i}", i)
    assert token(client, RIGHT, ip="203.0.113.66").status_code == 429


def test_the_webhook_replay_guard_survives_a_full_cache():
    assert webhooks.first_use("sha256=abc")
    for i in range(400):
        cache.add(f"filler:{i}", i)
    assert not webhooks.first_use("sha256=abc")


@pytest.fixture
def redis_counters():
    redis = pytest.importorskip("redis")
    counters = RedisCounters("redis://127.0.0.1:6379/5")
    try:
        counters.redis.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    counters.redis.flushdb()  # DB 5 is this test module's own
    yield counters
    counters.redis.flushdb()


def test_redis_counters_are_atomic_under_concurrency(redis_counters):
    results: list[bool] = []
    barrier = threading.Barrier(40)

    def hit() -> None:
        barrier.wait()
        results.append(redis_counters.take("test-parallel", 5, 60))

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 5
    assert redis_counters.redis.ttl("test-parallel") > 0  # the window ends: nothing stays locked for ever
    redis_counters.refund("test-parallel")
    redis_counters.clear("test-parallel")
    assert redis_counters.count("test-parallel") == 0


def test_with_redis_url_the_lockout_counts_in_redis(redis_counters, client, alice, settings):
    settings.WEIQUAN_COUNTERS, settings.REDIS_URL, settings.LOGIN_RATE_LIMIT = (
        "redis",
        "redis://127.0.0.1:6379/5",
        2,
    )
    for _ in range(2):
        assert token(client, "guess", ip="203.0.113.70").status_code == 401
    assert token(client, RIGHT, ip="203.0.113.70").status_code == 429
    assert token(client, RIGHT, ip="198.51.100.70").status_code == 200
    assert not RateCounter.objects.exists()  # nothing in the table: every counter is in Redis
    assert any(k.startswith(b"login-pair:") for k in redis_counters.redis.scan_iter())


@pytest.mark.django_db(transaction=True)
def test_database_counters_are_atomic_under_concurrency():
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite's in-memory test database is one connection; tests/test_live_server.py covers SQLite"
        )
    results: list[bool] = []
    barrier = threading.Barrier(40)

    def hit() -> None:
        try:
            barrier.wait()
            results.append(DatabaseCounters().take("test-parallel-db", 5, 60))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 5 and len(results) == 40
