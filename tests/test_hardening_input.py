"""Issue 12: no input breaks a case. One test per failure the probe found (points 1, 2, 6 and 9), named after it.

Values that got in before the bounds existed are stored straight into the rows (as an old database would hold
them); everything else goes through the ways a consumer uses: the API, the case page's forms and the CLI.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from PIL import Image

from weiquan.accounts.models import ApiToken, Profile
from weiquan.cases.canonical import event_hash, event_time
from weiquan.cases.models import Case, CaseEvent, Contact
from weiquan.cli import main
from weiquan.domain.documents import DOCUMENT_KINDS
from weiquan.domain.escalation import plan
from weiquan.domain.facts import CHINA_TZ, MAX_CONTACTS, MAX_LENGTH, CaseFileError, parse_case
from weiquan.evidence.models import Evidence
from weiquan.evidence.verify import verify_bundle

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
BEIJING = dt.timezone(dt.timedelta(hours=8))
EXAMPLES = Path(__file__).parent.parent / "examples"
SEED = str(EXAMPLES / "seed-invalid-code.json")


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


class Api:
    def __init__(self, client: Client, token: str):
        self.client, self.headers = client, {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, path: str) -> Any:
        return self.client.get(path, **self.headers)

    def send(self, method: str, path: str, body: Any, content_type: str = "application/json") -> Any:
        raw = body if isinstance(body, str | bytes) else json.dumps(body, ensure_ascii=False)
        return self.client.generic(method, path, raw, content_type=content_type, **self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.send("POST", path, body)


@pytest.fixture
def api(client, alice) -> Api:
    return Api(client, ApiToken.issue(alice))


def chinese_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert CHINESE.search(body["error"]), body
    return body


def fields_named(body: dict[str, Any]) -> set[str]:
    return {p["field"] for p in body.get("problems") or []}


def stored(case: Case) -> tuple[int, int, int]:
    return case.contacts.count(), case.events.count(), case.evidence.count()


def png() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    buf.seek(0)
    buf.name = "截图.png"
    return buf


def old_row_contact(case: Case, **fields: Any) -> Contact:
    """A contact as a database from before the bounds may hold it: written to the row, no validation."""
    row = {
        "at": dt.datetime(2026, 11, 21, 10, tzinfo=BEIJING),
        "channel": "platform_cs",
        "response": "promised",
    }
    return Contact.objects.create(case=case, **{**row, **fields})


def every_page_answers(client: Client, case: Case) -> None:
    """The case page, the plan, every document, the evidence bundle and the owner's calendar feed."""
    assert client.get(f"/cases/{case.public_id}/").status_code == 200
    for kind in DOCUMENT_KINDS:
        r = client.get(f"/cases/{case.public_id}/documents/{kind}.txt")
        assert r.status_code == 200, kind
    r = client.get(f"/cases/{case.public_id}/bundle.zip")
    assert r.status_code == 200
    assert zipfile.is_zipfile(io.BytesIO(b"".join(r.streaming_content)))
    profile, _ = Profile.objects.get_or_create(user=case.owner)
    assert client.get(f"/calendar/{profile.ics_token}.ics").status_code == 200
    assert client.get("/cases/").status_code == 200


# --- 1. one bad value breaks a case permanently -------------------------------------------------------------


def test_contact_dated_9999_does_not_break_the_case(alice_client, alice_case, api):
    old_row_contact(alice_case, at=dt.datetime(9999, 12, 31, tzinfo=dt.UTC), promise="3个工作日内")
    every_page_answers(alice_client, alice_case)
    page = alice_client.get(f"/cases/{alice_case.public_id}/").content.decode()
    assert "日期超出合理范围" in page and "请在联系记录里点“更正”修改" in page

    p = api.get(f"/api/cases/{alice_case.public_id}/plan").json()
    to_correct = [w for w in p["warnings"] if w["code"] == "fact_to_correct"]
    assert len(to_correct) == 1
    assert "第2条联系记录" in to_correct[0]["message"]
    assert api.get(f"/api/cases/{alice_case.public_id}").status_code == 200


def test_knew_harm_at_9999_does_not_break_the_case(alice_client, alice_case, api):
    Case.objects.filter(pk=alice_case.pk).update(knew_harm_at=dt.date(9999, 12, 31))
    every_page_answers(alice_client, alice_case)
    p = api.get(f"/api/cases/{alice_case.public_id}/plan").json()
    assert any("知道权益受损的日期" in w["message"] for w in p["warnings"] if w["code"] == "fact_to_correct")
    # the limitation period is counted from the payment instead
    assert any(d["id"] == "limitation" and d["date"].startswith("2029") for d in p["deadlines"])


def test_a_value_to_correct_is_told_at_the_top_of_the_case_page_next_to_the_next_step(
    alice_client, alice_case
):
    old_row_contact(alice_case, at=dt.datetime(9999, 12, 31, tzinfo=dt.UTC), promise="3个工作日内")
    page = alice_client.get(f"/cases/{alice_case.public_id}/").content.decode()
    top = page[page.index('id="to-correct"') : page.index('id="next"')]  # above the next step, not folded
    assert "<details" not in top
    assert "第2条联系记录" in top and "日期超出合理范围" in top and "请在联系记录里点“更正”修改" in top
    assert 'href="#history"' in top  # one tap to the contact list where 更正 is
    assert page.index('id="to-correct"') < page.index('id="next"') < page.index('id="warnings"')


def test_a_case_with_nothing_to_correct_has_no_correction_box(alice_client, alice_case):
    page = alice_client.get(f"/cases/{alice_case.public_id}/").content.decode()
    assert 'id="to-correct"' not in page and "先更正这些信息" not in page


@pytest.mark.parametrize("promise", ["9999999个工作日内", "99999999999999999999小时内", "九百九十九个月内"])
def test_a_stored_absurd_promise_does_not_break_the_case(alice_client, alice_case, api, promise):
    old_row_contact(alice_case, promise=promise)
    every_page_answers(alice_client, alice_case)
    p = api.get(f"/api/cases/{alice_case.public_id}/plan").json()
    assert any("承诺的期限太长" in w["message"] for w in p["warnings"])


@pytest.mark.parametrize("promise", ["9999999个工作日内", "99999999999999999999小时内"])
def test_an_absurd_promise_on_the_record_form_is_refused_and_nothing_stored(
    alice_client, alice_case, promise
):
    before = stored(alice_case)
    r = alice_client.post(
        f"/cases/{alice_case.public_id}/record/",
        {"event": "promised", "channel": "platform_cs", "at_date": "2026-11-21", "promise": promise},
    )
    assert r.status_code == 400
    assert "承诺的期限太长" in r.content.decode()
    assert stored(alice_case) == before


@pytest.mark.parametrize("promise", ["9999999个工作日内", "99999999999999999999小时内"])
def test_an_absurd_promise_through_the_api_is_422_and_nothing_stored(api, alice_case, promise):
    before = stored(alice_case)
    r = api.post(
        f"/api/cases/{alice_case.public_id}/events",
        {
            "at": "2026-11-21T10:00:00+08:00",
            "channel": "platform_cs",
            "response": "promised",
            "promise": promise,
        },
    )
    body = chinese_error(r, 422)
    assert "promise" in fields_named(body)
    assert stored(alice_case) == before


def test_a_contact_dated_9999_through_the_api_is_422_naming_the_field(api, alice_case):
    before = stored(alice_case)
    r = api.post(
        f"/api/cases/{alice_case.public_id}/events", {"at": "9999-12-31T00:00:00+08:00", "channel": "12315"}
    )
    body = chinese_error(r, 422)
    assert "at" in fields_named(body)
    assert "2000-01-01" in body["error"]
    assert stored(alice_case) == before


def test_an_evidence_upload_to_a_case_with_a_bad_stored_contact_is_201_once(api, alice_case):
    old_row_contact(alice_case, at=dt.datetime(9999, 12, 31, tzinfo=dt.UTC))
    r = api.client.post(
        f"/api/cases/{alice_case.public_id}/evidence", {"file": png(), "kind": "cs_chat"}, **api.headers
    )
    assert r.status_code == 201, r.content
    assert alice_case.evidence.filter(declared=False).count() == 1


def test_a_request_that_fails_stores_nothing(api, alice_case, monkeypatch):
    # Whatever fails after the contact row is written (here: the answer about the next step), nothing stays.
    before = stored(alice_case)

    def broken(self, today=None):
        raise RuntimeError("plan failed")

    monkeypatch.setattr(Case, "plan", broken)
    r = api.post(
        f"/api/cases/{alice_case.public_id}/events", {"at": "2026-11-23T10:00:00+08:00", "channel": "12315"}
    )
    assert r.status_code == 500
    assert stored(alice_case) == before
    cases = Case.objects.count()
    r = api.post("/api/cases", json.loads(Path(SEED).read_text(encoding="utf-8")))
    assert r.status_code == 500
    assert Case.objects.count() == cases


def test_the_owner_corrects_a_contact_and_the_log_keeps_both(api, alice_case):
    bad = old_row_contact(alice_case, promise="9999999个工作日内")
    r = api.send(
        "PATCH", f"/api/cases/{alice_case.public_id}/contacts/{bad.public_id}", {"promise": "3个工作日内"}
    )
    assert r.status_code == 200, r.content
    assert r.json()["event"]["promise"] == "3个工作日内"
    bad.refresh_from_db()
    assert bad.promise == "3个工作日内"

    entry = alice_case.events.order_by("-seq").first()
    assert entry.kind == "contact_corrected"
    assert entry.payload["before"]["promise"] == "9999999个工作日内"
    assert entry.payload["after"]["promise"] == "3个工作日内"
    # the log is append-only and its chain still holds
    prev = ""
    for e in CaseEvent.objects.filter(case=alice_case).order_by("seq"):
        assert e.prev_hash == prev
        assert e.hash == event_hash(
            seq=e.seq, at=event_time(e.at), kind=e.kind, payload=e.payload, prev_hash=e.prev_hash
        )
        prev = e.hash
    p = api.get(f"/api/cases/{alice_case.public_id}/plan").json()
    assert not [w for w in p["warnings"] if w["code"] == "fact_to_correct"]
    cs = next(s for s in p["steps"] if s["channel"] == "platform_cs")
    assert "3个工作日内" in json.dumps(cs, ensure_ascii=False) or cs["deadline"]


def test_a_correction_is_checked_like_a_new_contact(api, alice_case):
    contact = alice_case.contacts.first()
    url = f"/api/cases/{alice_case.public_id}/contacts/{contact.public_id}"
    body = chinese_error(api.send("PATCH", url, {"at": "9999-12-31T00:00:00+08:00"}), 422)
    assert "at" in fields_named(body)
    assert chinese_error(api.send("PATCH", url, {}), 422)
    assert (
        api.send(
            "PATCH",
            url.replace(str(contact.public_id), "00000000-0000-4000-8000-000000000000"),
            {"promise": "明天"},
        ).status_code
        == 404
    )
    assert alice_case.events.filter(kind="contact_corrected").count() == 0


def test_the_owner_corrects_a_contact_on_the_web_form(alice_client, alice_case):
    bad = old_row_contact(alice_case, at=dt.datetime(9999, 12, 31, tzinfo=dt.UTC))
    url = f"/cases/{alice_case.public_id}/contacts/{bad.public_id}/correct/"
    page = alice_client.get(url)
    assert page.status_code == 200
    assert "日期超出合理范围" in page.content.decode()
    assert url in alice_client.get(f"/cases/{alice_case.public_id}/").content.decode()

    r = alice_client.post(url, {"at_date": "2026-11-21", "channel": "platform_cs", "response": "refused"})
    assert r.status_code == 302
    bad.refresh_from_db()
    assert bad.at.astimezone(CHINA_TZ).date() == dt.date(2026, 11, 21) and bad.response == "refused"
    assert bad.at_time_known is False  # a day without a time stays a day
    assert alice_case.events.filter(kind="contact_corrected").count() == 1
    assert "日期超出合理范围" not in alice_client.get(f"/cases/{alice_case.public_id}/").content.decode()


def test_another_user_cannot_reach_the_correction_form(alice_case, bob_client):
    contact = alice_case.contacts.first()
    url = f"/cases/{alice_case.public_id}/contacts/{contact.public_id}/correct/"
    assert bob_client.get(url).status_code == 404
    assert (
        bob_client.post(url, {"at_date": "2026-11-21", "channel": "12315", "response": "pending"}).status_code
        == 404
    )
    assert alice_case.events.filter(kind="contact_corrected").count() == 0


# --- 2. field and list limits, 10,000 contacts --------------------------------------------------------------


def test_a_1mb_order_no_is_refused_naming_the_field(api, seed_case_file):
    cases = Case.objects.count()
    body = chinese_error(api.post("/api/cases", {**seed_case_file, "order_no": "1" * 1_000_000}), 422)
    assert "order_no" in fields_named(body)
    assert "最多 128 个字" in body["error"]
    assert Case.objects.count() == cases


def test_the_case_file_limits_are_the_django_models_limits():
    models = {
        **{
            f"platform.{f[9:]}": f
            for f in (
                "platform_name",
                "platform_domain",
                "platform_company",
                "platform_credit_code",
                "platform_icp",
                "platform_address",
                "platform_merchant_name",
                "platform_contact",
            )
        },
        **{
            f"consumer.{f[9:]}": f
            for f in (
                "consumer_name",
                "consumer_phone",
                "consumer_address",
                "consumer_id_number",
                "consumer_ethnicity",
                "consumer_service_address",
                "consumer_e_service_address",
            )
        },
        "order_no": "order_no",
        "item": "item",
        "province": "province",
    }
    for key, field in models.items():
        assert Case._meta.get_field(field).max_length == MAX_LENGTH[key], key
    for key in ("asked", "promise", "reference"):
        assert Contact._meta.get_field(key).max_length == MAX_LENGTH[f"contact.{key}"]
    assert Evidence._meta.get_field("description").max_length == MAX_LENGTH["evidence.description"]
    assert Case._meta.get_field("consumer_email").max_length == MAX_LENGTH["consumer.email"]


def test_every_text_field_of_a_case_file_is_bounded(seed_case_file):
    # Each field over its limit is refused, by name, in Chinese.
    for key, limit in MAX_LENGTH.items():
        data = json.loads(json.dumps(seed_case_file))
        where, _, name = key.rpartition(".")
        target = {
            "": data,
            "platform": data["platform"],
            "consumer": data.setdefault("consumer", {}),
            "contact": data["contacts"][0],
            "evidence": data.setdefault("evidence", [{"kind": "cs_chat"}])[0],
            "shop": data["platform"].setdefault("shop", {}),
        }[where]
        target[name] = "长" * (limit + 1)
        with pytest.raises(CaseFileError) as exc:
            parse_case(data)
        assert any(name in path and f"最多 {limit} 个字" in msg for path, msg in exc.value.problems), key


def test_a_case_with_10000_contacts_is_refused_and_500_are_planned_fast(api, seed_case_file):
    contact = {"at": "2026-11-21T10:00:00+08:00", "channel": "platform_cs", "response": "no_reply"}
    body = chinese_error(api.post("/api/cases", {**seed_case_file, "contacts": [contact] * 10_000}), 422)
    assert "最多 500 条" in body["error"]

    facts = parse_case({**seed_case_file, "contacts": [contact] * MAX_CONTACTS})
    started = time.perf_counter()
    plan(facts, dt.date(2026, 11, 25))
    assert time.perf_counter() - started < 5


def test_the_plan_grows_linearly_with_contacts(seed_case_file):
    channels = ["platform_cs", "12315", "heimao", "alipay", "industry_assoc", "police"]

    def timed(n: int) -> float:
        contacts = [
            {
                "at": f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}T10:00:00+08:00",
                "channel": channels[i % 6],
                "response": "pending",
                "promise": "3个工作日内",
            }
            for i in range(n)
        ]
        facts = parse_case({**seed_case_file, "contacts": contacts})
        started = time.perf_counter()
        plan(facts, dt.date(2026, 11, 25))
        return time.perf_counter() - started

    timed(50)  # warm the calendar tables
    small, large = min(timed(100) for _ in range(2)), min(timed(500) for _ in range(2))
    assert large < 12 * small + 0.05  # 5× the contacts: linear is ~5×, quadratic would be ~25×


def test_the_501st_contact_is_refused_with_a_409(api, alice_case):
    Contact.objects.bulk_create(
        Contact(case=alice_case, at=dt.datetime(2026, 11, 21, tzinfo=BEIJING), channel="platform_cs")
        for _ in range(MAX_CONTACTS - alice_case.contacts.count())
    )
    before = stored(alice_case)
    r = api.post(
        f"/api/cases/{alice_case.public_id}/events", {"at": "2026-11-23T10:00:00+08:00", "channel": "12315"}
    )
    assert "上限" in chinese_error(r, 409)["error"]
    assert stored(alice_case) == before


def test_10000_contacts_stored_before_the_limit_still_give_a_page(alice_client, alice_case):
    Contact.objects.bulk_create(
        Contact(case=alice_case, at=dt.datetime(2026, 11, 21, tzinfo=BEIJING), channel="heimao")
        for _ in range(10_000)
    )
    started = time.perf_counter()
    r = alice_client.get(f"/cases/{alice_case.public_id}/")
    assert r.status_code == 200
    assert "最多 500 条" in r.content.decode()
    assert time.perf_counter() - started < 60


def test_nan_and_infinity_amounts_are_refused_in_chinese(api, seed_case_file):
    for raw in ("NaN", "Infinity", '"NaN"', '"-Infinity"', '"1e999"'):
        text = json.dumps(seed_case_file, ensure_ascii=False).replace('"amount": 100.0', f'"amount": {raw}')
        assert raw in text
        body = chinese_error(api.post("/api/cases", text), 422)
        assert "amount" in fields_named(body), raw
        assert "NaN" in body["error"] or "金额" in body["error"]


# --- 6. other 500s ----------------------------------------------------------------------------------------------


def test_multipart_without_boundary_is_a_chinese_400(api, alice_case):
    r = api.send("POST", f"/api/cases/{alice_case.public_id}/evidence", b"--x\r\n\r\n", "multipart/form-data")
    chinese_error(r, 400)
    assert stored(alice_case)[2] == alice_case.evidence.count()


def test_multipart_with_a_part_header_over_1024_bytes_is_a_chinese_400(api, alice_case):
    before = stored(alice_case)
    body = (
        b'--B\r\nContent-Disposition: form-data; name="kind"; x="'
        + b"a" * 2000
        + b'"\r\n\r\ncs_chat\r\n--B--\r\n'
    )
    r = api.send(
        "POST", f"/api/cases/{alice_case.public_id}/evidence", body, "multipart/form-data; boundary=B"
    )
    chinese_error(r, 400)
    assert stored(alice_case) == before


def test_an_upload_that_is_not_multipart_is_a_chinese_400(api, alice_case):
    chinese_error(api.post(f"/api/cases/{alice_case.public_id}/evidence", {"kind": "cs_chat"}), 400)


def test_offsets_past_2_63_are_not_a_server_error(client, alice):
    from tests.merchant_support import make_platform, verified_claim

    verified_claim(alice, make_platform("某某卡盟", "kamen.example"))
    token = ApiToken.issue(alice)
    r = client.get(
        f"/api/merchant/complaints?offset={2**64}&limit={2**70}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert r.status_code == 200, r.content
    assert r.json() == []


def test_today_9999_12_31_is_a_chinese_422(api, alice_case):
    body = chinese_error(api.get(f"/api/cases/{alice_case.public_id}/plan?today=9999-12-31"), 422)
    assert "today" in fields_named(body)
    assert api.get(f"/api/cases/{alice_case.public_id}/plan?today=2030-01-02").status_code == 200


def test_1000_level_json_nesting_is_a_chinese_400(api, alice_case, client):
    deep = "[" * 1000 + "]" * 1000
    for path in (
        "/api/cases",
        f"/api/cases/{alice_case.public_id}/events",
        f"/api/cases/{alice_case.public_id}/close",
    ):
        assert "嵌套过深" in chinese_error(api.post(path, deep), 400)["error"], path
    r = client.post(
        "/api/auth/token",
        '{"username": ' + "[" * 100_000 + "]" * 100_000 + "}",
        content_type="application/json",
    )
    assert "嵌套过深" in chinese_error(r, 400)["error"]
    assert alice_case.events.count() == 1 and Case.objects.get(pk=alice_case.pk).status == "open"


def test_nul_bytes_are_refused_naming_the_field(api, alice_case, client, seed_case_file):
    before = stored(alice_case)
    r = client.post(
        "/api/auth/token", {"username": "ali\x00ce", "password": "x"}, content_type="application/json"
    )
    assert "username" in fields_named(chinese_error(r, 422))
    r = client.post(
        "/api/auth/signup",
        {"username": "bo\x00b", "password": "a-long-password-2026"},
        content_type="application/json",
    )
    assert "username" in fields_named(chinese_error(r, 422))
    r = api.post(
        f"/api/cases/{alice_case.public_id}/events",
        {"at": "2026-11-23T10:00:00+08:00", "channel": "12315", "answer": "好\x00的"},
    )
    assert "answer" in fields_named(chinese_error(r, 422))
    r = api.post("/api/cases", {**seed_case_file, "description": "卡密\x00无效"})
    assert "description" in fields_named(chinese_error(r, 422))
    r = api.client.post(
        f"/api/cases/{alice_case.public_id}/evidence",
        {"file": png(), "kind": "cs_chat", "description": "聊天\x00记录"},
        **api.headers,
    )
    assert "空字符" in chinese_error(r, 422)["error"]
    assert stored(alice_case) == before


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err


def test_cli_plan_on_a_directory_exits_2_in_chinese(capsys, tmp_path):
    code, err = run_cli(capsys, "plan", str(tmp_path))
    assert code == 2 and "文件夹" in err


@pytest.mark.parametrize("paid_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31"])
def test_cli_paid_at_out_of_range_exits_2_in_chinese(capsys, tmp_path, paid_at):
    case = json.loads(Path(SEED).read_text(encoding="utf-8"))
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**case, "paid_at": paid_at}), encoding="utf-8")
    code, err = run_cli(capsys, "plan", str(path))
    assert code == 2 and "paid_at" in err and "2000-01-01" in err


@pytest.mark.parametrize("today", ["9999-12-31", "0001-01-01"])
def test_cli_today_far_out_exits_2_in_chinese(capsys, today):
    code, err = run_cli(capsys, "plan", SEED, "--today", today)
    assert code == 2 and "--today" in err and "日期超出范围" in err


def test_cli_other_bad_inputs_exit_2_in_chinese(capsys, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert run_cli(capsys, "plan", str(deep))[0] == 2
    assert run_cli(capsys, "docs", str(tmp_path), "--out", str(tmp_path / "out"))[0] == 2
    assert run_cli(capsys, "workdays", "add", "2026-11-20", "99999999999")[0] == 2
    assert run_cli(capsys, "workdays", "add", "9999-12-31", "1")[0] == 2
    assert run_cli(capsys, "classify", "--batch", str(tmp_path))[0] == 2
    assert (
        run_cli(capsys, "verify", str(tmp_path))[0] == 1
    )  # a folder is not a bundle: reported, not a traceback


def test_verify_on_a_manifest_nested_100000_deep_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "deep.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", '{"evidence": ' + "[" * 100_000 + "]" * 100_000 + "}")
    report = verify_bundle(path)
    assert not report.ok
    assert any("嵌套层数" in p for p in report.problems)
    code, _ = run_cli(capsys, "verify", str(path))
    assert code == 1


# --- 9. state rules in model methods ------------------------------------------------------------------------


def test_an_event_on_a_closed_case_is_409_and_stores_nothing(api, alice_case, alice):
    alice_case.close(alice, outcome_channel="", recovered_amount=None)
    before = stored(alice_case)
    r = api.post(
        f"/api/cases/{alice_case.public_id}/events", {"at": "2026-11-23T10:00:00+08:00", "channel": "12315"}
    )
    assert "已经结案" in chinese_error(r, 409)["error"]
    assert stored(alice_case) == before
    chinese_error(api.post(f"/api/cases/{alice_case.public_id}/close", {}), 409)


def test_the_model_refuses_an_event_on_a_closed_case_whoever_asks(alice_case, alice):
    from weiquan.cases.models import CaseClosed

    alice_case.close(alice, outcome_channel="12315", recovered_amount=Decimal("100"))
    with pytest.raises(CaseClosed):
        alice_case.add_contact(alice, at=dt.datetime(2026, 11, 23, tzinfo=BEIJING), channel="12315")


def test_the_page_says_why_a_closed_case_takes_no_event(alice_client, alice_case, alice):
    alice_case.close(alice, outcome_channel="12315", recovered_amount=Decimal("100"))
    before = stored(alice_case)
    r = alice_client.post(
        f"/cases/{alice_case.public_id}/record/",
        {"event": "contacted", "channel": "12315", "at_date": "2026-11-23"},
        follow=True,
    )
    assert "已结案" in r.content.decode()
    assert stored(alice_case) == before


def test_a_nul_byte_in_a_web_upload_description_stores_nothing(alice_client, alice_case):
    before = stored(alice_case)
    r = alice_client.post(
        f"/cases/{alice_case.public_id}/evidence/",
        {"file": png(), "kind": "cs_chat", "description": "聊天\x00记录"},
        follow=True,
    )
    assert "空字符" in r.content.decode()
    assert stored(alice_case) == before


def test_a_stored_bad_photo_time_loses_only_that_value(alice_client, alice_case, api):
    Evidence.objects.create(
        case=alice_case,
        kind="platform_terms",
        declared=True,
        exif_taken_at=dt.datetime(9999, 1, 1, tzinfo=dt.UTC),
    )
    every_page_answers(alice_client, alice_case)
    held = [g["kind"] for g in api.get(f"/api/cases/{alice_case.public_id}/plan").json()["evidence"]["held"]]
    assert "platform_terms" in held


def test_nul_bytes_in_publish_and_merchant_replies_are_not_server_errors(api, alice, alice_case, client, bob):
    from tests.merchant_support import make_platform, published, verified_claim

    r = api.post(f"/api/cases/{alice_case.public_id}/publish", {"pseudonym": "小\x00明", "title": "卡\x00密"})
    assert r.status_code < 500, r.content
    platform = make_platform("某某卡盟", "kamen.example")
    verified_claim(bob, platform)
    complaint = published(platform)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(bob)}"}
    r = client.post(
        f"/api/merchant/complaints/{complaint.public_id}/replies",
        {"text": "已\x00退款"},
        content_type="application/json",
        **headers,
    )
    assert r.status_code < 500, r.content


def test_a_record_form_that_fails_half_way_stores_nothing(alice_client, alice_case, monkeypatch):
    # 钱退回来了 records a contact and closes the case: if closing fails, the contact is not kept either.
    before = stored(alice_case)

    def broken(self, *args, **kwargs):
        raise RuntimeError("close failed")

    monkeypatch.setattr(Case, "close", broken)
    with pytest.raises(RuntimeError):
        alice_client.post(
            f"/cases/{alice_case.public_id}/record/",
            {
                "event": "refunded",
                "channel": "platform_cs",
                "at_date": "2026-11-23",
                "recovered_amount": "100",
            },
        )
    assert stored(alice_case) == before


def test_the_501st_evidence_file_is_refused(api, alice_case):
    from weiquan.domain.facts import MAX_EVIDENCE

    Evidence.objects.bulk_create(
        Evidence(case=alice_case, kind="cs_chat", declared=True)
        for _ in range(MAX_EVIDENCE - alice_case.evidence.count())
    )
    before = stored(alice_case)
    r = api.client.post(
        f"/api/cases/{alice_case.public_id}/evidence", {"file": png(), "kind": "cs_chat"}, **api.headers
    )
    assert "上限" in chinese_error(r, 422)["error"]
    assert stored(alice_case) == before
