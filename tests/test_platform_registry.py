"""The platform registry: validation of credit codes, ICP numbers and domains; linking cases; search; merges."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from weiquan.cases.models import Case
from weiquan.domain.facts import CHINA_TZ
from weiquan.platforms import linking, validation
from weiquan.platforms.models import Platform, PlatformAlias, PlatformMerge, PlatformStats
from weiquan.public.models import CollectiveComplaint, PublicComplaint

# --- validation (no database) ------------------------------------------------------------------------------------


def test_a_well_formed_credit_code_is_accepted_in_compact_form():
    assert validation.validate_credit_code(" 91110108ma01abcd1e ") == "91110108MA01ABCD1E"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91110108MA01ABCD10", "校验位不对"),
        ("9111010", "应为18位"),
        ("91110108MA01ABCDIE", "不允许的字符"),
        ("", "请填写"),
    ],
)
def test_a_bad_credit_code_is_refused_with_a_chinese_reason(code, message):
    with pytest.raises(ValidationError) as exc:
        validation.validate_credit_code(code)
    assert message in exc.value.messages[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("粤ICP备12345678号-1", "粤ICP备12345678号-1"),
        ("京ICP证030173号", "京ICP证030173号"),
        ("京icp备2021012345号", "京ICP备2021012345号"),
        ("粤ICP备１２３４５６７８号－２", "粤ICP备12345678号-2"),
        ("蜀ICP备12345678号", "蜀ICP备12345678号"),
        (" 沪ICP备 12345678号 ", "沪ICP备12345678号"),
    ],
)
def test_icp_numbers_are_normalised(raw, expected):
    assert validation.validate_icp(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("广ICP备12345678号", "省份简称"),
        ("粤ICP12345678号", "“备”"),
        ("粤ICP备12345678", "缺少“号”"),
        ("粤ICP备12号", "编号部分不对"),
        ("营业执照", "不是ICP备案号"),
    ],
)
def test_a_malformed_icp_number_names_the_wrong_part(raw, message):
    assert message in validation.icp_problem(raw)


def test_the_parsed_icp_number_knows_a_licence_from_a_filing():
    assert validation.parse_icp("京ICP证030173号").is_licence
    number = validation.parse_icp("粤ICP备12345678号-3")
    assert (number.province, number.is_licence, number.number, number.site) == ("粤", False, "12345678", "3")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://WWW.Example.com:8080/shop?id=1", "example.com"),
        ("example.com.", "example.com"),
        ("http://user:pw@km.example.cn/x", "km.example.cn"),
        ("www.例子。com", "xn--fsqu00a.com"),
        ("卡盟.中国", "xn--hlrw93f.xn--fiqs8s"),
        ("ｅｘａｍｐｌｅ．ｃｏｍ", "example.com"),
        ("1.2.3.4:8080", "1.2.3.4"),
    ],
)
def test_domains_are_normalised(raw, expected):
    assert validation.normalize_domain(raw) == expected


@pytest.mark.parametrize("raw", ["example", "bad_domain.com", "-x.com", "", "example.123"])
def test_a_malformed_domain_is_refused(raw):
    with pytest.raises(ValidationError):
        validation.normalize_domain(raw)


def test_a_punycode_domain_is_shown_in_chinese():
    assert validation.display_domain("xn--hlrw93f.xn--fiqs8s") == "卡盟.中国"


# --- linking -----------------------------------------------------------------------------------------------------


def make_case(owner, **platform) -> Case:
    fields = {f"platform_{k}": v for k, v in platform.items()}
    return Case.objects.create(
        owner=owner, amount=Decimal("100"), paid_at=dt.datetime(2026, 11, 20, 10, tzinfo=CHINA_TZ), **fields
    )


@pytest.mark.django_db
def test_a_new_domain_creates_a_platform_with_its_aliases(alice):
    case = make_case(
        alice, name="某某卡盟", domain="https://www.KM-Example.com/buy", merchant_name="深圳某某科技有限公司"
    )
    platform = linking.link_case(case)
    case.refresh_from_db()
    assert case.platform == platform
    assert platform.name == "某某卡盟"
    aliases = {(a.kind, a.value, a.label) for a in platform.aliases.all()}
    assert aliases == {
        ("domain", "km-example.com", "km-example.com"),
        ("name", "某某卡盟", "某某卡盟"),
        ("merchant", "深圳某某科技有限公司", "深圳某某科技有限公司"),
    }


@pytest.mark.django_db
def test_linking_is_idempotent(alice):
    case = make_case(alice, name="某某卡盟", domain="km-example.com")
    first = linking.link_case(case)
    second = linking.link_case(case)
    assert first == second
    assert Platform.objects.count() == 1
    assert PlatformAlias.objects.count() == 2


@pytest.mark.django_db
def test_a_case_is_linked_by_domain_first(alice, bob):
    known = linking.link_case(make_case(alice, name="甲卡盟", domain="jia.com"))
    # Same site under a new name: the domain wins and the new name is learned.
    case = make_case(bob, name="甲卡盟新站", domain="http://www.jia.com/")
    assert linking.link_case(case) == known
    assert PlatformAlias.objects.get(kind="name", value="甲卡盟新站").platform == known


@pytest.mark.django_db
def test_a_subdomain_shop_belongs_to_the_main_domain(alice, bob):
    known = linking.link_case(make_case(alice, domain="jia.com"))
    assert linking.link_case(make_case(bob, domain="fen123.jia.com")) == known
    assert PlatformAlias.objects.get(value="fen123.jia.com").platform == known


@pytest.mark.django_db
def test_a_new_domain_is_linked_by_the_payment_merchant_and_learned(alice, bob):
    known = linking.link_case(make_case(alice, domain="old-km.com", merchant_name="深圳某某科技有限公司"))
    case = make_case(bob, domain="new-km.com", merchant_name="深圳某某科技 有限公司")
    assert linking.link_case(case) == known
    assert set(known.aliases.filter(kind="domain").values_list("value", flat=True)) == {
        "old-km.com",
        "new-km.com",
    }


@pytest.mark.django_db
def test_a_case_with_only_a_name_is_linked_by_its_normalised_name(alice, bob):
    known = linking.link_case(make_case(alice, name="「ABC 卡盟」"))
    assert linking.link_case(make_case(bob, name="abc卡盟")) == known


@pytest.mark.django_db
def test_an_alias_held_by_another_platform_is_not_taken(alice, bob):
    a = linking.link_case(make_case(alice, domain="a-km.com", merchant_name="甲公司"))
    b = linking.link_case(make_case(bob, domain="b-km.com"))
    # A case with b's domain and a's merchant name is b's (domain first); a keeps its merchant alias.
    case = make_case(bob, domain="b-km.com", merchant_name="甲公司")
    assert linking.link_case(case) == b
    assert PlatformAlias.objects.get(kind="merchant").platform == a


@pytest.mark.django_db
def test_a_case_naming_no_platform_is_left_unlinked(alice):
    case = make_case(alice)
    assert linking.link_case(case) is None
    assert Platform.objects.count() == 0


@pytest.mark.django_db
def test_a_new_platform_takes_only_well_formed_registration_details(alice):
    case = make_case(
        alice,
        domain="km.com",
        company="某某网络科技有限公司",
        credit_code="91110108MA01ABCD10",
        icp="粤ICP备12345678号-1",
    )
    platform = linking.link_case(case)
    assert platform.company == "某某网络科技有限公司"
    assert platform.credit_code == ""  # bad check digit: not copied
    assert platform.icp == "粤ICP备12345678号-1"


@pytest.mark.django_db
def test_a_case_does_not_overwrite_an_existing_platforms_details(alice, bob):
    platform = linking.link_case(make_case(alice, domain="km.com", company="甲公司"))
    linking.link_case(make_case(bob, domain="km.com", company="乙公司"))
    platform.refresh_from_db()
    assert platform.company == "甲公司"


# --- search ------------------------------------------------------------------------------------------------------


@pytest.fixture
def registry(alice):
    a = linking.link_case(
        make_case(alice, name="星辰卡盟", domain="xingchen-km.com", merchant_name="杭州星辰网络有限公司")
    )
    b = linking.link_case(make_case(alice, name="月亮卡盟", domain="moon-km.net"))
    return a, b


@pytest.mark.django_db
@pytest.mark.parametrize(
    "q",
    [
        "xingchen-km.com",
        "https://www.xingchen-km.com/index",
        "xingchen",
        "星辰",
        "星辰卡盟",
        "杭州星辰网络",
        "shop.xingchen-km.com",
    ],
)
def test_search_finds_a_platform_by_domain_name_or_merchant(registry, q):
    assert list(linking.find_platforms(q)) == [registry[0]]


@pytest.mark.django_db
def test_search_finds_nothing_for_an_unknown_site(registry):
    assert list(linking.find_platforms("unknown-site.com")) == []
    assert list(linking.find_platforms("  ")) == []


@pytest.mark.django_db
def test_search_by_a_merged_platforms_old_name_finds_the_platform_that_absorbed_it(registry):
    a, b = registry
    linking.merge(b, a, note="同一经营者")
    assert list(linking.find_platforms("月亮")) == [a]
    assert list(linking.find_platforms("moon-km.net")) == [a]


# --- merge -------------------------------------------------------------------------------------------------------


def publish(platform, **fields) -> PublicComplaint:
    from weiquan.platforms import stats

    c = PublicComplaint.objects.create(
        platform=platform,
        pseudonym="消费者",
        title="卡密无效",
        story="……",
        status="published",
        published_at=fields.pop("published_at", dt.datetime(2026, 11, 2, 10, tzinfo=CHINA_TZ)),
        **fields,
    )
    stats.on_published(c)
    return c


@pytest.mark.django_db
def test_merge_moves_aliases_cases_and_complaints_and_keeps_history(alice, bob, registry):
    a, b = registry
    case_b = make_case(bob, name="月亮卡盟")
    linking.link_case(case_b)
    complaint = publish(b, payment_backed=True)
    collective = CollectiveComplaint.objects.create(platform=b, title="月亮卡盟跑路")
    b.credit_code = "91110108MA01ABCD1E"
    b.save()

    record = linking.merge(b, a, actor=alice, note="同一收款商户")

    b.refresh_from_db()
    assert b.merged_into == a and b.active == a
    assert set(a.aliases.values_list("value", flat=True)) >= {"moon-km.net", "月亮卡盟", "xingchen-km.com"}
    assert not b.aliases.exists()
    case_b.refresh_from_db()
    complaint.refresh_from_db()
    collective.refresh_from_db()
    assert case_b.platform == a and complaint.platform == a and collective.platform == a
    assert a.__class__.objects.get(pk=a.pk).credit_code == "91110108MA01ABCD1E"  # a blank field filled in
    assert (record.source, record.target, record.actor, record.note) == (b, a, alice, "同一收款商户")
    assert PlatformStats.objects.get(platform=a).complaints == 1
    assert PlatformStats.objects.get(platform=b).complaints == 0
    assert Platform.objects.filter(pk=b.pk).exists()  # history: the row stays


@pytest.mark.django_db
def test_a_second_merge_repoints_earlier_merges(registry, alice):
    a, b = registry
    c = linking.link_case(make_case(alice, domain="third-km.com"))
    linking.merge(b, a)
    linking.merge(a, c)
    b.refresh_from_db()
    assert b.merged_into == c
    assert PlatformMerge.objects.count() == 2


@pytest.mark.django_db
def test_a_platform_cannot_be_merged_into_itself_or_twice(registry):
    a, b = registry
    with pytest.raises(linking.MergeError, match="自己"):
        linking.merge(a, a)
    linking.merge(b, a)
    with pytest.raises(linking.MergeError, match="已经合并"):
        linking.merge(b, a)


@pytest.mark.django_db
def test_the_merge_command_merges_by_id_or_uuid(registry, alice):
    a, b = registry
    out = io.StringIO()
    call_command(
        "merge_platforms", str(b.pk), str(a.public_id), "--note", "重复", "--actor", "alice", stdout=out
    )
    assert "已把“月亮卡盟”" in out.getvalue()
    assert PlatformMerge.objects.get().actor == alice


@pytest.mark.django_db
def test_the_merge_command_refuses_an_unknown_platform(registry):
    with pytest.raises(CommandError, match="没有平台"):
        call_command("merge_platforms", "999", str(registry[0].pk))


@pytest.mark.django_db
def test_an_old_platform_link_redirects_to_the_platform_it_was_merged_into(client, registry):
    a, b = registry
    linking.merge(b, a)
    r = client.get(f"/platforms/{b.public_id}/")
    assert r.status_code == 302 and r["Location"] == f"/platforms/{a.public_id}/"


# --- public API --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_public_search_api_lists_matching_platforms(client, registry):
    r = client.get("/api/public/platforms", {"q": "星辰"})
    assert r.status_code == 200
    [item] = r.json()
    assert set(item) == {"id", "name", "aliases", "complaints", "grade", "score", "ranked"}
    assert item["id"] == str(registry[0].public_id)
    assert item["name"] == "星辰卡盟"
    assert {"kind": "domain", "value": "xingchen-km.com"} in item["aliases"]
    assert (item["complaints"], item["grade"], item["ranked"]) == (0, None, False)


@pytest.mark.django_db
def test_the_public_platform_api_gives_statistics_with_sample_sizes(client, registry):
    a, _b = registry
    for _ in range(3):
        publish(a, payment_backed=True, amount=Decimal("50"))
    r = client.get(f"/api/public/platforms/{a.public_id}")
    assert r.status_code == 200
    body = r.json()
    assert {"id", "name", "company", "icp", "aliases", "checks", "statistics", "rating", "red_flags"} <= set(
        body
    )
    st = body["statistics"]
    assert st["complaints"] == 3
    assert st["reply"] == {"k": 0, "n": 3, "rate": 0.0, "low": 0.0, "high": 0.5615, "sufficient": False}
    assert st["amounts"] == {"n": 3, "total": "150.00", "median_range": [50, 100]}
    assert len(st["by_month"]) == 12
    assert body["rating"]["grade"] is None and body["rating"]["n"] == 3


@pytest.mark.django_db
def test_the_public_api_masks_a_merchant_name_that_may_be_a_persons(client, alice):
    p = linking.link_case(make_case(alice, domain="person-km.com", merchant_name="张小明"))
    body = client.get(f"/api/public/platforms/{p.public_id}").json()
    assert {"kind": "merchant", "value": "张**"} in body["aliases"]
    assert "张小明" not in str(body)


@pytest.mark.django_db
def test_the_public_platform_api_answers_404_in_chinese(client):
    r = client.get("/api/public/platforms/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and r.json() == {"error": "没有这个平台"}
