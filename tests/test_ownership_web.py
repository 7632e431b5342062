"""A second user gets 404 on every web URL that takes a case or evidence id of the first; so does a wrong id.

The URL patterns are enumerated from the resolver, so a new case or evidence view cannot be forgotten here: any
pattern with a UUID parameter is tried with alice's case id and with her evidence id, by GET and by POST, as bob.
(The JSON API under /api/ authenticates by bearer token and has its own test_api_ownership.py.)
"""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter

pytestmark = pytest.mark.django_db

SAMPLE = {"kind": "12315", "fmt": "txt", "step": 1}
# Every page-level URL that takes an id; the enumeration must find at least these.
KNOWN = {"case_detail", "case_record", "case_document", "evidence_upload", "evidence_download", "case_bundle"}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace in ("admin", "api") or str(p.pattern).startswith(("admin/", "api/")):
                continue
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield p


def id_patterns() -> list[URLPattern]:
    return [
        p
        for p in _walk(get_resolver().url_patterns)
        if any(isinstance(c, UUIDConverter) for c in p.pattern.converters.values())
    ]


# A case's contact, for URLs that take both (the correction form): case id -> its first contact's id.
CONTACTS: dict[uuid.UUID, uuid.UUID] = {}


def urls_for(pattern: URLPattern, ids: list[uuid.UUID]) -> list[str]:
    urls = []
    for public_id in ids:
        kwargs = {
            name: (CONTACTS.get(public_id, public_id) if name == "contact_id" else public_id)
            if isinstance(conv, UUIDConverter)
            else SAMPLE.get(name, "x")
            for name, conv in pattern.pattern.converters.items()
        }
        urls.append(reverse(pattern.name, kwargs=kwargs))
    return urls


@pytest.fixture
def alice_ids(alice_case):
    from weiquan.evidence.services import store_upload

    png = SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    try:
        evidence = store_upload(alice_case, png, kind="order_screenshot", description="订单截图")
    except Exception:  # the locker may refuse a fake PNG; a declared row still has an evidence id
        evidence = alice_case.evidence.first()
    CONTACTS.clear()
    CONTACTS[alice_case.public_id] = alice_case.contacts.first().public_id
    return [alice_case.public_id, evidence.public_id]


def test_the_enumeration_finds_every_known_id_url():
    assert {p.name for p in id_patterns()} >= KNOWN


def test_an_outsider_gets_404_on_every_id_url(bob_client, alice_ids):
    # A method the view does not take is refused (405) before anything is loaded, for any id: that leaks nothing.
    # With the method it takes, the answer must be 404.
    checked = []
    for pattern in id_patterns():
        for url in urls_for(pattern, alice_ids):
            codes = {m: getattr(bob_client, m)(url).status_code for m in ("get", "post")}
            assert set(codes.values()) <= {404, 405} and 404 in codes.values(), (pattern.name, url, codes)
            checked.append(url)
    assert len(checked) >= 2 * len(KNOWN)


def test_a_refused_method_does_not_depend_on_the_id(bob_client, alice_ids):
    for pattern in id_patterns():
        for url, random_url in zip(
            urls_for(pattern, alice_ids), urls_for(pattern, [uuid.uuid4()] * 2), strict=True
        ):
            for m in ("get", "post"):
                assert (
                    getattr(bob_client, m)(url).status_code == getattr(bob_client, m)(random_url).status_code
                )


# Pages keyed by a consumer's case or evidence id. Other id pages are public (a platform, a published complaint) or
# belong to another role (a platform's representative); for them alice's case id is simply an unknown id.
PRIVATE_PREFIXES = ("cases/", "evidence/")


def test_the_owner_reaches_each_of_them(alice_client, alice_ids):
    # Guards the test above: a 404 for bob means nothing if the URL 404s for everyone.
    private = [p for p in id_patterns() if str(p.pattern).startswith(PRIVATE_PREFIXES)]
    assert {p.name for p in private} >= KNOWN
    for pattern in private:
        codes = {alice_client.get(u).status_code for u in urls_for(pattern, alice_ids)}
        codes |= {alice_client.post(u).status_code for u in urls_for(pattern, alice_ids)}
        assert codes - {404}, (pattern.name, codes)


def test_an_unknown_id_is_404_for_the_owner_too(alice_client, alice_case):
    for pattern in id_patterns():
        for url in urls_for(pattern, [uuid.uuid4()]):
            assert alice_client.get(url).status_code in (404, 405), (pattern.name, url)


def test_an_anonymous_visitor_sees_nothing(client, alice_ids):
    for pattern in id_patterns():
        for url in urls_for(pattern, alice_ids):
            r = client.get(url)
            assert r.status_code in (302, 404, 405), (pattern.name, url, r.status_code)
            if r.status_code == 302:
                assert r["Location"].startswith(reverse("login"))


def test_no_personal_data_in_case_urls(alice_client, alice_case):
    html = alice_client.get(reverse("case_detail", args=[alice_case.public_id])).content.decode()
    for href in (h.split('"')[0] for h in html.split('href="')[1:]):
        assert "KM20261120001" not in href and "alice" not in href
