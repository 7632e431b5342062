"""The JSON API: sign-up, tokens, cases, plans, events, evidence — and Chinese errors that store nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from weiquan.accounts.models import ApiToken
from weiquan.cases.models import Case, CaseEvent, Contact
from weiquan.domain.escalation import plan
from weiquan.domain.facts import load_case, parse_case

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()  # the log-in rate limiter counts in the cache
    yield
    cache.clear()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=BEIJING), tick=False)
    return time_machine


class Api:
    """A test client that speaks JSON and carries a bearer token."""

    def __init__(self, client: Client, token: str | None = None):
        self.client, self.token = client, token

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **extra: Any) -> Any:
        return self.client.get(path, **self._headers(), **extra)

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:
        if isinstance(data, str | bytes) or data is None:
            body = data or ""
        else:
            body = json.dumps(data, ensure_ascii=False)
        return self.client.post(path, body, content_type="application/json", **self._headers(), **extra)

    def upload(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(path, data, **self._headers())


def png(name: str = "卡密失效.png") -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    buf.seek(0)
    buf.name = name
    return buf


def assert_chinese_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert CHINESE.search(body["error"]), body
    return body


@pytest.fixture
def alice_api(client, alice) -> Api:
    return Api(client, ApiToken.issue(alice))


# --- the whole journey ----------------------------------------------------------------------------------------


def test_it_takes_a_consumer_from_signup_to_an_evidence_bundle(client, seed_case_file, clock):
    anon = Api(client)
    r = anon.post("/api/auth/signup", {"username": "xiaoming", "password": "kami-wuxiao-2026"})
    assert r.status_code == 201
    assert r.json()["username"] == "xiaoming"

    r = anon.post("/api/auth/token", {"username": "xiaoming", "password": "kami-wuxiao-2026"})
    assert r.status_code == 200
    me = Api(client, r.json()["token"])

    r = me.post("/api/cases", seed_case_file)
    assert r.status_code == 201
    created = r.json()
    case_id = created["id"]
    assert created["next_action"]["channel"] == "12315"
    assert created["plan_url"] == f"/api/cases/{case_id}/plan"

    p = me.get(created["plan_url"]).json()
    steps = {s["channel"]: s for s in p["steps"]}
    assert p["next_action"]["channel"] == "12315"
    assert steps["12315"]["status"] == "now"
    assert steps["heimao"]["status"] == "now"

    submitted = {
        "at": "2026-11-23T10:00:00+08:00",
        "channel": "12315",
        "response": "pending",
        "reference": "T1",
    }
    r = me.post(f"/api/cases/{case_id}/events", submitted)
    assert r.status_code == 201
    assert r.json()["event"]["channel"] == "12315"
    assert r.json()["event"]["reference"] == "T1"
    assert r.json()["next_action"]["channel"] == "heimao"

    steps = {s["channel"]: s for s in me.get(f"/api/cases/{case_id}/plan").json()["steps"]}
    assert steps["12315"]["status"] == "waiting"
    assert steps["12315"]["deadline"] == "2026-12-02"  # seven working days after 23 November

    r = me.upload(f"/api/cases/{case_id}/evidence", {"file": png(), "kind": "code_failure_screenshot"})
    assert r.status_code == 201, r.content
    evidence = r.json()
    assert evidence["kind"] == "code_failure_screenshot"
    assert evidence["original_name"] == "卡密失效.png"
    assert re.fullmatch(r"[0-9a-f]{64}", evidence["sha256"])
    assert evidence["size"] > 0

    r = me.get(f"/api/cases/{case_id}/bundle")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/zip"
    assert zipfile.is_zipfile(io.BytesIO(b"".join(r.streaming_content)))


# --- accounts -------------------------------------------------------------------------------------------------


def test_signup_gives_a_working_token(client):
    r = Api(client).post("/api/auth/signup", {"username": "carol", "password": "carol-secret-pw-2026"})
    assert r.status_code == 201
    assert Api(client, r.json()["token"]).get("/api/cases").json() == []


def test_signup_explains_a_weak_password_in_chinese(client, django_user_model):
    body = assert_chinese_error(
        Api(client).post("/api/auth/signup", {"username": "carol", "password": "1234"}), 422
    )
    assert {p["field"] for p in body["problems"]} == {"password"}
    assert "8" in body["error"]
    assert not django_user_model.objects.filter(username="carol").exists()


def test_signup_refuses_a_taken_username_whatever_its_case(client, alice):
    r = Api(client).post("/api/auth/signup", {"username": "Alice", "password": "another-secret-pw-2026"})
    assert_chinese_error(r, 409)


def test_signup_needs_both_fields(client):
    body = assert_chinese_error(Api(client).post("/api/auth/signup", {"username": "carol"}), 422)
    assert body["problems"] == [{"field": "password", "message": "缺少必填字段"}]


def test_a_token_is_issued_for_the_right_password(client, alice):
    r = Api(client).post("/api/auth/token", {"username": "alice", "password": "alice-secret-pw-2026"})
    assert r.status_code == 200
    assert ApiToken.objects.filter(user=alice, key_hash=ApiToken.hash(r.json()["token"])).exists()


def test_a_wrong_password_gets_401(client, alice):
    r = Api(client).post("/api/auth/token", {"username": "alice", "password": "guess"})
    assert r.status_code == 401
    assert r.json() == {"error": "用户名或密码错误"}


# --- authentication -------------------------------------------------------------------------------------------


def test_it_requires_a_token(client):
    r = client.get("/api/cases")
    assert r.status_code == 401
    assert r.json() == {"error": "请先登录：Authorization: Bearer <token>"}


def test_it_rejects_an_unknown_token(client):
    assert_chinese_error(Api(client, "not-a-real-token").get("/api/cases"), 401)


def test_it_records_when_a_token_was_last_used(alice_api):
    alice_api.get("/api/cases")
    assert ApiToken.objects.get(key_hash=ApiToken.hash(alice_api.token)).last_used_at is not None


# --- cases ----------------------------------------------------------------------------------------------------


def test_it_creates_a_case_from_the_cli_case_file(alice_api, alice, seed_case_file):
    r = alice_api.post("/api/cases", seed_case_file)
    assert r.status_code == 201
    case = Case.objects.get(public_id=r.json()["id"])
    assert case.owner == alice
    assert case.contacts.count() == 1
    assert r.json()["amount"] == "100.00"


def test_a_bad_field_names_the_field_in_chinese_and_stores_nothing(alice_api, seed_case_file):
    r = alice_api.post("/api/cases", {**seed_case_file, "amount": "一百", "ammount": 1})
    body = assert_chinese_error(r, 422)
    assert body["error"].startswith("案件文件有误：amount（金额）：必须是数字")
    fields = {p["field"] for p in body["problems"]}
    assert fields == {"amount", "ammount"}
    assert Case.objects.count() == 0


def test_malformed_json_gets_a_chinese_error_and_stores_nothing(alice_api):
    assert_chinese_error(alice_api.post("/api/cases", '{"amount": 100,'), 400)
    assert_chinese_error(alice_api.post("/api/cases", "[1, 2]"), 422)
    assert Case.objects.count() == 0


def test_it_lists_only_the_callers_cases(client, alice_case, bob):
    bob_case = Case.create_from_case_file(bob, alice_case.to_case_file())
    r = Api(client, ApiToken.issue(bob)).get("/api/cases")
    assert [c["id"] for c in r.json()] == [str(bob_case.public_id)]


def test_it_returns_the_case_file_with_id_and_status(alice_api, alice_case):
    r = alice_api.get(f"/api/cases/{alice_case.public_id}")
    body = r.json()
    assert body["id"] == str(alice_case.public_id)
    assert body["status"] == "open"
    assert body["created_at"]
    server_only = {
        "id",
        "status",
        "created_at",
        "closed_at",
        "outcome_channel",
        "recovered_amount",
        "plan_url",
    }
    # What is left is a case file the CLI accepts.
    facts = parse_case({k: v for k, v in body.items() if k not in server_only})
    assert facts.platform.name == "某某卡盟"


def test_the_plan_is_the_cli_plan(alice_api, alice_case):
    r = alice_api.get(f"/api/cases/{alice_case.public_id}/plan?today=2026-11-25")
    cli = plan(load_case("examples/seed-invalid-code.json"), dt.date(2026, 11, 25)).to_dict()
    api = r.json()
    assert api["today"] == "2026-11-25"
    assert api["next_action"] == cli["next_action"]
    assert api["steps"] == cli["steps"]
    assert api["deadlines"] == cli["deadlines"]


def test_the_plan_loads_the_case_once(alice_api, alice_case):
    with CaptureQueriesContext(connection) as queries:
        assert alice_api.get(f"/api/cases/{alice_case.public_id}/plan").status_code == 200
    case_loads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "cases_case"."id"')]
    assert len(case_loads) == 1, case_loads


def test_a_bad_date_for_the_plan_is_explained(alice_api, alice_case):
    body = assert_chinese_error(
        alice_api.get(f"/api/cases/{alice_case.public_id}/plan?today=2026-13-01"), 422
    )
    assert body["problems"][0]["field"] == "today"


def test_a_non_uuid_id_is_404(alice_api):
    assert_chinese_error(alice_api.get("/api/cases/12"), 404)


# --- events ---------------------------------------------------------------------------------------------------


def test_an_event_is_recorded_in_the_case_log(alice_api, alice_case, clock):
    event = {"at": "2026-11-23 10:00", "channel": "heimao", "response": "pending", "asked": "退款"}
    r = alice_api.post(f"/api/cases/{alice_case.public_id}/events", event)
    assert r.status_code == 201
    assert r.json()["event"]["at"] == "2026-11-23T10:00:00+08:00"  # no offset given: Beijing time
    assert r.json()["next_action"]["channel"] == "12315"
    contact = alice_case.contacts.get(channel="heimao")
    assert str(contact.public_id) == r.json()["event"]["id"]
    assert [e.kind for e in alice_case.events.all()] == ["created", "contact"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"at": "2026-11-23T10:00:00+08:00", "channel": "12316"}, "channel"),
        ({"at": "昨天", "channel": "12315"}, "at"),
        ({"channel": "12315"}, "at"),
        ({"at": "2026-11-23T10:00:00+08:00", "channel": "12315", "respnse": "pending"}, "respnse"),
        ({"at": "2026-11-23T10:00:00+08:00", "channel": "12315", "response": "maybe"}, "response"),
    ],
)
def test_a_bad_event_is_explained_and_not_stored(alice_api, alice_case, body, field):
    r = alice_api.post(f"/api/cases/{alice_case.public_id}/events", body)
    problems = assert_chinese_error(r, 422)["problems"]
    assert field in {p["field"] for p in problems}
    assert alice_case.contacts.count() == 1
    assert CaseEvent.objects.filter(case=alice_case).count() == 1


def test_a_malformed_event_body_is_explained_and_not_stored(alice_api, alice_case):
    for body in ('{"at": ', "", "[]"):
        r = alice_api.post(f"/api/cases/{alice_case.public_id}/events", body)
        assert r.status_code in (400, 422)
        assert CHINESE.search(r.json()["error"])
    assert Contact.objects.count() == 1


# --- closing --------------------------------------------------------------------------------------------------


def test_it_closes_a_case(alice_api, alice_case):
    r = alice_api.post(
        f"/api/cases/{alice_case.public_id}/close", {"outcome_channel": "12315", "recovered_amount": 100}
    )
    assert r.status_code == 200
    assert r.json()["status"] == "closed"
    assert r.json()["recovered_amount"] == "100.00"
    alice_case.refresh_from_db()
    assert (alice_case.status, alice_case.outcome_channel) == ("closed", "12315")
    assert alice_case.events.last().kind == "closed"


def test_a_closed_case_cannot_be_closed_again(alice_api, alice_case):
    alice_api.post(f"/api/cases/{alice_case.public_id}/close", {"outcome_channel": "12315"})
    assert_chinese_error(alice_api.post(f"/api/cases/{alice_case.public_id}/close", {}), 409)
    assert alice_case.events.filter(kind="closed").count() == 1


def test_a_bad_recovered_amount_is_explained(alice_api, alice_case):
    r = alice_api.post(f"/api/cases/{alice_case.public_id}/close", {"recovered_amount": "很多"})
    assert assert_chinese_error(r, 422)["problems"][0]["field"] == "recovered_amount"
    alice_case.refresh_from_db()
    assert alice_case.status == "open"


# --- evidence -------------------------------------------------------------------------------------------------


def test_an_upload_needs_a_known_kind(alice_api, alice_case):
    r = alice_api.upload(f"/api/cases/{alice_case.public_id}/evidence", {"file": png(), "kind": "selfie"})
    assert "selfie" in assert_chinese_error(r, 422)["error"]
    assert alice_case.evidence.count() == 3  # the three declared in the case file
    assert alice_case.events.count() == 1


def test_an_upload_needs_a_file(alice_api, alice_case):
    r = alice_api.upload(f"/api/cases/{alice_case.public_id}/evidence", {"kind": "cs_chat"})
    assert_chinese_error(r, 422)
    assert alice_case.evidence.count() == 3


def test_an_upload_is_logged_and_listed_in_the_case_file(alice_api, alice_case):
    r = alice_api.upload(
        f"/api/cases/{alice_case.public_id}/evidence",
        {"file": png("拒绝截图.png"), "kind": "cs_chat", "description": "客服拒绝退款"},
    )
    assert r.status_code == 201
    assert r.json()["content_type"] == "image/png"
    assert alice_case.events.last().kind == "evidence_uploaded"
    case_file = alice_api.get(f"/api/cases/{alice_case.public_id}").json()
    assert r.json()["sha256"] in {e["sha256"] for e in case_file["evidence"]}


# --- the API surface ------------------------------------------------------------------------------------------


def test_the_docs_are_served(client):
    assert client.get("/api/docs").status_code == 200
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/cases/{case_id}/plan" in paths


def test_a_wrong_method_is_a_json_405(alice_api, alice_case):
    r = alice_api.client.delete(f"/api/cases/{alice_case.public_id}/plan", **alice_api._headers())
    body = assert_chinese_error(r, 405)
    assert "GET" in body["error"]
    assert r["Allow"] == "GET"


def test_it_needs_no_csrf_token(alice, seed_case_file):
    # Bearer tokens are not sent by browsers on their own, so there is nothing for CSRF to forge.
    client = Client(enforce_csrf_checks=True)
    r = client.post(
        "/api/auth/token",
        {"username": "alice", "password": "alice-secret-pw-2026"},
        content_type="application/json",
    )
    assert r.status_code == 200
    assert Api(client, r.json()["token"]).post("/api/cases", seed_case_file).status_code == 201


def test_an_oversized_body_is_refused(alice_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert_chinese_error(alice_api.post("/api/cases", {"description": "很长" * 1000}), 413)
    assert Case.objects.count() == 0


def test_the_case_list_takes_a_fixed_number_of_queries(
    alice_api, alice, seed_case_file, django_assert_num_queries
):
    for _ in range(5):
        Case.create_from_case_file(alice, seed_case_file)
    alice_api.get("/api/cases")  # the token's last_used_at is written once a minute at most
    with django_assert_num_queries(2):  # the token with its user, the cases
        assert len(alice_api.get("/api/cases").json()) == 5


def test_an_unknown_path_is_a_json_404(client):
    assert_chinese_error(client.get("/api/nothing/here"), 404)
