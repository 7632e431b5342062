"""Another user's case is 404 on every API path and method, and stays exactly as it was.

The paths are read from the API itself, so an endpoint added later is covered without editing this file.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from weiquan.accounts.models import ApiToken
from weiquan.api.api import api
from weiquan.cases.models import Case, Contact

pytestmark = pytest.mark.django_db

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
# Bodies that would succeed for the owner, so a 404 for bob is the ownership check and not a validation error.
JSON_BODIES = {
    "events": {"at": "2026-11-23T10:00:00+08:00", "channel": "12315", "response": "pending"},
    "close": {"outcome_channel": "12315", "recovered_amount": "100"},
    "captures": {"url": "http://93.184.215.14/rules"},  # a public address literal: no DNS needed
    "<contact_id>": {"promise": "3个工作日内处理"},  # a correction of the case's first contact
}
CHAT = "2026-11-20 10:30:00 我\n请退款\n2026-11-20 10:31:00 客服\n概不退换\n".encode()


def case_routes() -> list[str]:
    patterns, _app, _namespace = api.urls
    routes = [str(p.pattern) for p in patterns if "<case_id>" in str(p.pattern)]
    assert len(routes) >= 6  # detail, plan, events, close, evidence, bundle
    return routes


def png() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buf, "PNG")
    buf.seek(0)
    buf.name = "shot.png"
    return buf


def first_contact_id(case_id: str) -> str:
    contact = Contact.objects.filter(case__public_id=case_id).first() if len(case_id) == 36 else None
    return str(contact.public_id) if contact else "00000000-0000-4000-8000-000000000000"


def call(client: Client, method: str, route: str, case_id: str, token: str | None) -> Any:
    path = "/api/" + route.replace("<case_id>", case_id).replace("<contact_id>", first_contact_id(case_id))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    last = route.rsplit("/", 1)[-1]
    if method == "POST" and last == "evidence":
        return client.post(path, {"file": png(), "kind": "cs_chat"}, **headers)
    if method == "POST" and last == "chat":
        return client.post(path, {"file": io.BytesIO(CHAT)}, **headers)
    body = json.dumps(JSON_BODIES.get(last, {}))
    return client.generic(method, path, body, content_type="application/json", **headers)


def snapshot(case: Case) -> dict[str, Any]:
    case = Case.objects.get(pk=case.pk)
    return {
        "row": {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields},
        "case_file": case.to_case_file(),
        "events": list(case.events.values_list("seq", "hash")),
        "evidence": list(case.evidence.values_list("public_id", flat=True)),
        "reminders": list(case.reminders_sent.values_list("key", flat=True)),
    }


@pytest.fixture
def bob_token(bob) -> str:
    return ApiToken.issue(bob)


def test_every_case_path_is_enumerated(client):
    # The documented operations and the routed paths are the same set: nothing hides from case_routes().
    documented = {p for p in client.get("/api/openapi.json").json()["paths"] if "{case_id}" in p}
    routed = {
        "/api/" + r.replace("<case_id>", "{case_id}").replace("<contact_id>", "{contact_id}")
        for r in case_routes()
    }
    assert documented == routed


@pytest.mark.parametrize("method", METHODS)
def test_another_users_case_is_404_on_every_path(client, alice_case, bob_token, method):
    before = snapshot(alice_case)
    for route in case_routes():
        r = call(client, method, route, str(alice_case.public_id), bob_token)
        assert r.status_code == 404, (method, route, r.content)
        if method != "HEAD":
            assert r.json() == {"error": "案件不存在"}
    assert snapshot(alice_case) == before


@pytest.mark.parametrize("method", METHODS)
def test_a_non_uuid_id_is_404_on_every_path(client, alice_case, alice, method):
    token = ApiToken.issue(alice)
    for route in case_routes():
        for bad in ("1", "not-a-uuid", str(alice_case.public_id)[:-1]):
            assert call(client, method, route, bad, token).status_code == 404, (method, route, bad)


@pytest.mark.parametrize("method", METHODS)
def test_no_token_is_401_on_every_path(client, alice_case, method):
    before = snapshot(alice_case)
    for route in case_routes():
        r = call(client, method, route, str(alice_case.public_id), None)
        assert r.status_code == 401, (method, route)
    assert snapshot(alice_case) == before


def test_the_owner_reaches_every_documented_operation(client, alice_case, alice):
    # The 404s above are not an artefact of wrong paths: the same calls work for the owner.
    token = ApiToken.issue(alice)
    operations = client.get("/api/openapi.json").json()["paths"]
    routes = {
        "/api/" + r.replace("<case_id>", "{case_id}").replace("<contact_id>", "{contact_id}"): r
        for r in case_routes()
    }
    # Close last: it is the one call after which others could legitimately refuse.
    ordered = sorted(routes.items(), key=lambda item: item[1].endswith("/close"))
    for documented, route in ordered:
        for method in operations[documented]:
            r = call(client, method.upper(), route, str(alice_case.public_id), token)
            assert r.status_code in (200, 201), (method, route, r.content)
