"""Claiming a platform: the token served at the well-known URL on one of its domains proves control; nothing else does.

Personas: carol represents 某某卡盟 (example.com, and a local test server standing in for its site); dave is
another user; alice is a consumer.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from merchant_support import URLCONF, local_site, make_platform, published, verified_claim

from weiquan.platforms import claims, outbound
from weiquan.platforms.models import Platform, PlatformAlias, PlatformClaim
from weiquan.public.models import PublicComplaint

pytestmark = pytest.mark.django_db

PATH = "/.well-known/weiquan-verification.txt"


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = URLCONF
    settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION = True
    cache.clear()  # the claim check's own rate limit
    yield
    cache.clear()


@pytest.fixture
def site():
    with local_site() as s:
        yield s


@pytest.fixture
def carol(django_user_model):
    return django_user_model.objects.create_user("carol", password="carol-secret-pw-2026")


@pytest.fixture
def dave(django_user_model):
    return django_user_model.objects.create_user("dave", password="dave-secret-pw-2026")


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def platform():
    # Aliases never carry a port; the claim names the port the site answers on (127.0.0.1:<port>).
    return make_platform("某某卡盟", "example.com", "127.0.0.1")


def merge(source: Platform, target: Platform) -> None:
    """What an operator's merge does to the rows this module reads (weiquan.platforms.linking.merge, which also
    recomputes statistics): aliases and complaints move to the target, the source points at it."""
    PlatformAlias.objects.filter(platform=source).update(platform=target)
    PublicComplaint.objects.filter(platform=source).update(platform=target)
    Platform.objects.filter(pk=source.pk).update(merged_into=target)


def start(client: Client, domain: str):
    return client.post(reverse("merchant_claim_start"), {"domain": domain})


# --- starting a claim ----------------------------------------------------------------------------------------------


def test_starting_a_claim_gives_a_token_and_the_url_to_serve_it_at(carol, platform):
    c = logged_in(carol)
    r = start(c, "https://www.Example.com/shop")
    assert r.status_code == 302 and r["Location"] == reverse("merchant_claim", args=[platform.public_id])
    claim = PlatformClaim.objects.get(user=carol)
    assert (claim.platform, claim.domain, claim.verified) == (platform, "example.com", False)
    page = c.get(r["Location"]).content.decode()
    assert claim.token in page
    assert f"https://example.com{PATH}" in page and f"http://example.com{PATH}" in page


def test_a_domain_the_platform_does_not_have_is_refused(carol, platform):
    r = start(logged_in(carol), "other-shop.com")
    assert r.status_code == 400
    assert "登记的平台里没有域名 other-shop.com" in r.content.decode()
    assert not PlatformClaim.objects.exists()


def test_asking_again_with_another_domain_keeps_one_claim_and_its_token(carol, platform):
    c = logged_in(carol)
    start(c, "example.com")
    token = PlatformClaim.objects.get().token
    start(c, "127.0.0.1:8080")
    claim = PlatformClaim.objects.get()
    assert (claim.domain, claim.token) == ("127.0.0.1:8080", token)


def test_the_claim_page_and_its_token_are_only_for_their_user(carol, dave, platform):
    start(logged_in(carol), "example.com")
    d = logged_in(dave)
    assert d.get(reverse("merchant_claim", args=[platform.public_id])).status_code == 404
    assert d.post(reverse("merchant_claim_verify", args=[platform.public_id])).status_code == 404
    assert Client().get(reverse("merchant_claim", args=[platform.public_id])).status_code == 302  # to log-in


# --- verifying ---------------------------------------------------------------------------------------------------


def test_the_token_served_by_the_site_verifies_the_claim(carol, platform, site):
    c = logged_in(carol)
    start(c, site.host)
    claim = PlatformClaim.objects.get()
    site.serve(PATH, claim.token + "\n")  # a trailing newline, as editors save it

    r = c.post(reverse("merchant_claim_verify", args=[platform.public_id]))

    assert r.status_code == 302 and r["Location"] == reverse("merchant_portal", args=[platform.public_id])
    claim.refresh_from_db()
    assert claim.verified
    assert [(q.method, q.path) for q in site.received] == [("GET", PATH)]  # HTTPS failed, HTTP answered
    assert claims.represented_ids(carol) == {platform.pk}
    assert c.get(r["Location"]).status_code == 200


def test_a_wrong_token_does_not_verify(carol, platform, site):
    c = logged_in(carol)
    start(c, site.host)
    site.serve(PATH, "someone-elses-token")

    r = c.post(reverse("merchant_claim_verify", args=[platform.public_id]), follow=True)

    assert not PlatformClaim.objects.get().verified
    assert "文件内容与令牌不一致" in r.content.decode()
    assert claims.represented_ids(carol) == set()
    assert c.get(reverse("merchant_portal", args=[platform.public_id])).status_code == 404


def test_a_missing_file_does_not_verify(carol, platform, site):
    claim = claims.start_claim(carol, site.host)
    with pytest.raises(claims.ClaimError, match="返回状态 404"):
        claims.verify_claim(claim)


def test_a_redirect_to_another_host_is_not_followed(carol, platform, site):
    claim = claims.start_claim(carol, site.host)
    site.serve(PATH, "", status=302, Location=f"http://localhost:{site.port}/token.txt")
    site.serve("/token.txt", claim.token)
    with pytest.raises(claims.ClaimError, match="重定向到了其他网站"):
        claims.verify_claim(claim)
    assert [q.path for q in site.received] == [PATH]


def test_a_redirect_on_the_same_host_is_followed(carol, platform, site):
    claim = claims.start_claim(carol, site.host)
    site.serve(PATH, "", status=301, Location="/static/token.txt")
    site.serve("/static/token.txt", claim.token)
    assert claims.verify_claim(claim).verified


def test_a_file_over_1_kb_is_refused(carol, platform, site):
    claim = claims.start_claim(carol, site.host)
    site.serve(PATH, claim.token + " " * 2000)
    with pytest.raises(claims.ClaimError, match="超过 1024 字节"):
        claims.verify_claim(claim)


def test_a_site_that_does_not_answer_in_time_fails(carol, platform, site, monkeypatch):
    monkeypatch.setattr(claims, "TIMEOUT", 0.3)
    claim = claims.start_claim(carol, site.host)
    site.serve(PATH, claim.token)
    site.delay = 1.5
    # Under load the watchdog may fire while connecting or while reading: either way the claim fails as a timeout.
    with pytest.raises(claims.ClaimError, match="秒内没有完成|TimeoutError"):
        claims.verify_claim(claim)


def test_private_and_loopback_addresses_are_refused_in_production(carol, platform, site, settings):
    settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION = False
    claim = claims.start_claim(carol, site.host)
    site.serve(PATH, claim.token)
    with pytest.raises(claims.ClaimError, match="内网或本机地址"):
        claims.verify_claim(claim)
    assert site.received == []  # refused before connecting
    assert not outbound.is_public("10.0.0.8") and not outbound.is_public("::ffff:192.168.1.1")
    assert not outbound.is_public("169.254.169.254") and outbound.is_public("8.8.8.8")


def test_a_domain_removed_from_the_platform_cannot_be_verified_and_ends_the_claim(carol, platform, site):
    claim = claims.start_claim(carol, site.host)
    site.serve(PATH, claim.token)
    PlatformAlias.objects.filter(value="127.0.0.1").delete()
    with pytest.raises(claims.ClaimError, match="已不是该平台登记的域名"):
        claims.verify_claim(claim)
    verified_claim(carol, platform, "example.com")
    assert claims.represented_ids(carol) == {platform.pk}
    PlatformAlias.objects.filter(value="example.com").delete()
    assert claims.represented_ids(carol) == set()


# --- who acts for whom -------------------------------------------------------------------------------------------


def test_an_unverified_representative_sees_no_portal(carol, platform):
    claims.start_claim(carol, "example.com")
    assert logged_in(carol).get(reverse("merchant_portal", args=[platform.public_id])).status_code == 404


def test_after_a_merge_the_surviving_platforms_representative_answers_for_both(carol, dave, platform):
    other = make_platform("某某卡盟二号站", "example.net")
    complaint = published(other)
    verified_claim(carol, platform, "example.com")
    verified_claim(dave, other, "example.net")

    merge(other, platform)

    assert claims.complaint_for_representative(carol, complaint.public_id) == complaint
    # dave proved control of example.net, which is now an alias of the surviving platform.
    assert claims.represented_ids(dave) >= {platform.pk, other.pk}
    r = logged_in(dave).get(reverse("merchant_portal", args=[other.public_id]))
    assert r.status_code == 302 and r["Location"] == reverse("merchant_portal", args=[platform.public_id])


def test_a_claim_started_on_a_merged_away_domain_claims_the_survivor(carol, platform):
    other = make_platform("旧站", "old-example.com")
    merge(other, platform)
    assert claims.start_claim(carol, "old-example.com").platform == platform


def test_the_portal_home_lists_what_the_user_represents_and_what_waits(carol, platform):
    other = make_platform("另一个卡盟", "another.com")
    verified_claim(carol, platform)
    claims.start_claim(carol, "another.com")
    html = logged_in(carol).get(reverse("merchant_home")).content.decode()
    assert reverse("merchant_portal", args=[platform.public_id]) in html
    assert reverse("merchant_claim", args=[other.public_id]) in html


def test_a_claim_is_not_checked_again_within_seconds(carol, platform, site):
    claim = claims.start_claim(carol, site.host)
    with pytest.raises(claims.ClaimError, match="返回状态 404"):
        claims.verify_claim(claim)
    site.serve(PATH, claim.token)
    with pytest.raises(claims.ClaimError, match="秒后再试"):
        claims.verify_claim(claim)
    assert len(site.received) == 1
