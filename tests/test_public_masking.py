"""One masking for everything public (issue 8; issue 13 point 1): no personal datum of a case leaves the consumer's
private view — not in the published complaint, a platform's public reply, an export, a webhook, the 黑猫 text, or
any public page or API answer. The case's name exists only in its story ("我叫王小明"): no field holds it."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from merchant_support import URLCONF, verified_claim

from weiquan.cases.models import Case
from weiquan.domain.escalation import plan
from weiquan.domain.facts import CHINA_TZ
from weiquan.domain.forms_text import form_text
from weiquan.domain.masking import TOKENS, mask, names_in, personal_values
from weiquan.platforms import replies
from weiquan.platforms.webhooks import complaint_payload
from weiquan.public import services

pytestmark = pytest.mark.django_db

STORY = (
    "我叫王小明，11月20日在某某卡盟（kamen88.com）买了100元点卡，订单号KM20261120001。"
    "卡密：ABCD-EFGH-1234-5678，激活时显示已被使用。我的手机 138-1234-5678，邮箱 xiaoming.wang@163.com，"
    "QQ：123456789，微信号：wxid_wang2026。客服让我发身份证 110101199003071234 和银行卡号 6222021234567890128，"
    "还问我支付密码：886688。"
)
# Every personal value of the story, and the forms it could come back in.
SECRETS = [
    "王小明",
    "小明",
    "KM20261120001",
    "ABCD-EFGH-1234-5678",
    "138-1234-5678",
    "13812345678",
    "xiaoming.wang@163.com",
    "123456789",
    "wxid_wang2026",
    "110101199003071234",
    "6222021234567890128",
    "886688",
]
# A platform's reply that quotes each kind back (issue 13 point 1: "王小明您好，已核实订单…").
REPLY = (
    "王小明您好，已核实订单KM20261120001，卡密ABCD-EFGH-1234-5678确实已被使用。请加客服QQ 123456789 或拨打"
    " 13812345678 联系，退款会打到银行卡 6222021234567890128，小明请留意邮箱 xiaoming.wang@163.com。"
)


def compact(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def assert_clean(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (where, secret)
        assert compact(secret) not in compact(text), (where, secret)


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.ROOT_URLCONF = URLCONF
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, tzinfo=CHINA_TZ), tick=False):
        yield


@pytest.fixture
def case(alice, seed_case_file):
    data = {
        **seed_case_file,
        "description": STORY,
        "order_no": "KM20261120001",
        "platform": {"name": "某某卡盟", "domain": "kamen88.com", "reachable": True},
    }
    data.pop("consumer", None)  # the wizard never fills consumer_name: the name lives only in the story
    return Case.create_from_case_file(alice, data)


@pytest.fixture
def complaint(case, alice, django_user_model):
    complaint = services.publish(case, alice)
    services.moderate(complaint, True)
    complaint.refresh_from_db()
    carol = django_user_model.objects.create_user("carol", password="carol-secret-pw-2026")
    verified_claim(carol, complaint.platform, "kamen88.com")
    replies.add_reply(complaint, text=REPLY, user=carol)
    return complaint


# --- the function ---------------------------------------------------------------------------------------------


def test_the_story_with_each_kind_is_masked():
    masked = mask(STORY, known=names_in(STORY))
    assert_clean("story", masked)
    for kind in ("name", "phone", "id", "bank", "qq", "wechat", "email", "code", "password"):
        assert TOKENS[kind] in masked, kind
    assert "…0001" in masked  # the order number keeps its last four
    assert "100元" in masked and "kamen88.com" in masked and "11月20日" in masked


def test_the_case_knows_the_names_found_in_its_story(case):
    values = personal_values(case.facts())
    assert "王小明" in values and "KM20261120001" in values


def test_a_reply_naming_the_consumer_is_published_masked(complaint):
    reply = complaint.replies.get()
    assert reply.text.startswith(TOKENS["name"] + "您好")
    assert_clean("reply", reply.text)


# --- everywhere public ----------------------------------------------------------------------------------------


def public_urls(complaint) -> list[str]:
    """Every URL of the site a visitor reaches without an account, with the test's complaint and platform ids."""
    ids = {
        "public_id": [complaint.public_id, complaint.platform.public_id],
        "complaint_id": [complaint.public_id],
    }
    ids["platform_id"] = [complaint.platform.public_id]
    out: list[str] = []

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                if route.startswith(
                    ("admin/", "accounts/", "cases/", "new/", "merchant/", "ics/", "evidence/")
                ):
                    continue
                params = re.findall(r"<(?:\w+:)?(\w+)>", route)
                if any(name not in ids for name in params) or "^" in route:
                    continue
                choices = [[]]
                for name in params:
                    choices = [c + [v] for c in choices for v in ids[name]]
                for values in choices:
                    url = route
                    for v in values:
                        url = re.sub(r"<(?:\w+:)?\w+>", str(v), url, count=1)
                    out.append("/" + url.replace("\\", ""))

    walk(get_resolver().url_patterns)
    return sorted(set(out))


def test_no_personal_datum_appears_on_any_public_page_or_api(complaint, case):
    anonymous = Client()
    seen = []
    for url in public_urls(complaint):
        r = anonymous.get(url)
        if r.status_code != 200:
            continue
        raw = b"".join(r.streaming_content) if r.streaming else r.content
        body = raw.decode("utf-8", "replace")
        assert_clean(url, body)
        seen.append(url)
    # The pages that show the complaint and its reply were among them.
    must = [
        reverse("public_complaint", args=[complaint.public_id]),
        reverse("public_complaints"),
        reverse("platform_detail", args=[complaint.platform.public_id]),
        f"/api/public/complaints/{complaint.public_id}",
        "/api/public/complaints.csv",
    ]
    for url in must:
        assert url in seen, (url, seen)
    assert TOKENS["name"] + "您好" in anonymous.get(must[0]).content.decode()
    print("public URLs checked:", seen)
    assert len(seen) >= 8
    assert_clean("search", anonymous.get(reverse("sancha"), {"q": "kamen88.com"}).content.decode())


def test_the_export_and_the_webhook_carry_no_personal_datum(complaint, tmp_path):
    for fmt in ("csv", "json"):
        out = tmp_path / f"export.{fmt}"
        call_command(
            "export_complaints", "--format", fmt, str(out), stdout=io.StringIO(), stderr=io.StringIO()
        )
        assert_clean(f"export {fmt}", out.read_text(encoding="utf-8"))
    assert_clean(
        "webhook", json.dumps(complaint_payload(complaint, "complaint.published"), ensure_ascii=False)
    )


def test_the_merchant_sees_only_the_masked_copy(complaint, client):
    client.login(username="carol", password="carol-secret-pw-2026")
    r = client.get(reverse("merchant_portal", args=[complaint.platform.public_id]))
    assert r.status_code == 200
    assert_clean("merchant portal", r.content.decode())


def test_the_heimao_text_is_masked_in_the_page_and_the_download(case, alice_client):
    facts = case.facts()
    text = form_text(facts, "heimao", plan(facts, dt.date(2026, 11, 25)))
    assert_clean("heimao boxes", "\n".join(f.value for f in text.fields))
    page = alice_client.get(reverse("case_form", args=[case.public_id, "heimao"])).content.decode()
    boxes = "\n".join(re.findall(r'<div class="ff-value[^"]*" id="ff-\d+">(.*?)</div>', page, re.S))
    assert_clean("heimao page", boxes)
    download = alice_client.get(reverse("case_document", args=[case.public_id, "heimao", "txt"]))
    assert_clean("heimao txt", download.content.decode())
