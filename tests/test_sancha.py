"""三查: red flags of a platform, void terms in its rules, the checklist, and the /sancha/ page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from weiquan.domain import sancha
from weiquan.domain.facts import CHINA_TZ
from weiquan.platforms import checks, stats
from weiquan.platforms.models import Platform, PlatformAlias
from weiquan.public.models import PublicComplaint

NOW = dt.datetime(2026, 11, 25, 10, tzinfo=CHINA_TZ)
TODAY = NOW.date()
GOOD = {"company": "某某网络科技有限公司", "credit_code": "91110108MA01ABCD1E", "icp": "粤ICP备12345678号-1"}


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def flags_of(**facts) -> list[str]:
    return [f.id for f in sancha.red_flags(sancha.PlatformFacts(**facts), TODAY)]


# --- red flags (no database) -------------------------------------------------------------------------------------


def test_a_registered_quiet_platform_has_no_flags():
    assert flags_of(**GOOD, domains=(("km.com", dt.date(2025, 1, 1)),)) == []


def test_no_icp_number_is_a_flag():
    assert "no_icp" in flags_of(company="某公司")


def test_a_malformed_icp_number_is_a_flag():
    assert "icp_malformed" in flags_of(company="某公司", icp="广ICP备123号", icp_problem="省份简称不对")


def test_an_invalid_credit_code_is_a_flag():
    ids = flags_of(**{**GOOD, "credit_code": "91110108MA01ABCD10"}, credit_code_problem="校验位不对")
    assert ids == ["invalid_credit_code"]


def test_an_unknown_operator_is_a_flag():
    assert "no_operator" in flags_of(icp=GOOD["icp"])


def test_a_new_domain_in_the_last_90_days_is_a_flag():
    domains = (("old-km.com", dt.date(2026, 1, 1)), ("new-km.com", dt.date(2026, 11, 1)))
    [flag] = sancha.red_flags(sancha.PlatformFacts(**GOOD, domains=domains), TODAY)
    assert flag.id == "recent_domain_change" and "new-km.com" in flag.detail


def test_a_new_platforms_only_domain_is_not_a_domain_change():
    assert flags_of(**GOOD, domains=(("new-km.com", dt.date(2026, 11, 1)),)) == []
    old = (("a.com", dt.date(2025, 1, 1)), ("b.com", dt.date(2026, 8, 1)))  # 116 days ago
    assert flags_of(**GOOD, domains=old) == []


def test_a_runaway_report_in_the_last_90_days_is_a_flag_and_comes_first():
    flags = sancha.red_flags(sancha.PlatformFacts(last_runaway=dt.date(2026, 10, 1), runaway_recent=2), TODAY)
    assert flags[0].id == "recent_runaway" and flags[0].severity == "high"
    assert "2026年10月1日" in flags[0].detail and "近三个月共 2 起" in flags[0].detail
    assert "recent_runaway" not in flags_of(**GOOD, last_runaway=dt.date(2026, 8, 1))


def test_many_unanswered_complaints_are_a_flag():
    assert "many_unanswered" in flags_of(**GOOD, complaints=6, unanswered=3)
    assert "many_unanswered" not in flags_of(**GOOD, complaints=7, unanswered=3)  # under half
    assert "many_unanswered" not in flags_of(**GOOD, complaints=2, unanswered=2)  # too few to say


@pytest.mark.parametrize(
    ("text", "term", "law"),
    [
        ("本活动最终解释权归本站所有。", "final_interpretation", "侵害消费者权益行为处罚办法"),
        ("卡密一经售出，概不退换！", "no_return", "消费者权益保护法"),
        ("虚拟商品不退不换", "no_return", "消费者权益保护法"),
        (
            "恶意投诉者一律封号处理",
            "complaint_ban",
            "最高人民法院关于审理网络消费纠纷案件适用法律若干问题的规定（一）",
        ),
        ("用户不得投诉至第三方平台", "complaint_ban", "侵害消费者权益行为处罚办法"),
        (
            "提卡后即视为确认卡密有效",
            "receipt_is_acceptance",
            "最高人民法院关于审理网络消费纠纷案件适用法律若干问题的规定（一）",
        ),
        ("账户余额不予退还", "balance_no_refund", "消费者权益保护法"),
        ("卡密使用问题本站概不负责", "liability_exclusion", "消费者权益保护法"),
    ],
)
def test_void_terms_are_found_with_the_law_that_voids_them(text, term, law):
    [hit] = sancha.find_void_terms(f"欢迎光临。{text}谢谢。")
    assert hit.term.id == term
    assert text.rstrip("。！") in hit.excerpt
    assert law in [b.law for b in hit.term.basis]


def test_final_interpretation_cites_the_three_sources():
    [hit] = sancha.find_void_terms("最终解释权归本站所有")
    assert [b.short for b in hit.term.basis] == [
        "《侵害消费者权益行为处罚办法》第十二条",
        "《最高人民法院关于审理网络消费纠纷案件适用法律若干问题的规定（一）》第一条",
        "《消费者权益保护法》第二十六条",
    ]


def test_ordinary_rules_have_no_void_terms():
    assert sancha.find_void_terms("卡密无效请在24小时内联系客服，核实后补发或原路退款。") == []


def test_void_terms_in_a_platforms_rules_are_flags():
    ids = flags_of(**GOOD, term_hits=sancha.find_void_terms("最终解释权归本站所有；投诉封号"))
    assert ids == ["void_term_final_interpretation", "void_term_complaint_ban"]


def test_the_checklist_has_the_six_things_to_read_before_paying():
    assert [i.label for i in sancha.CHECKLIST] == [
        "售后政策",
        "退款条件",
        "发货时限",
        "卡密核验方式",
        "客服渠道",
        "经营者信息",
    ]
    assert all(i.look_for and i.warning and i.basis for i in sancha.CHECKLIST)


# --- from the registry -------------------------------------------------------------------------------------------


@pytest.fixture
def shady(db) -> Platform:
    p = Platform.objects.create(
        name="黑心卡盟", icp="粤ICP备12号", terms_text="卡密售出概不退换，最终解释权归本站所有。"
    )
    PlatformAlias.objects.create(
        platform=p, kind="domain", value="old-heixin.com", first_seen=NOW - dt.timedelta(days=400)
    )
    PlatformAlias.objects.create(
        platform=p, kind="domain", value="heixin.com", first_seen=NOW - dt.timedelta(days=10)
    )
    PlatformAlias.objects.create(platform=p, kind="merchant", value="李四", label="李四")
    for i in range(4):
        c = PublicComplaint.objects.create(
            platform=p,
            pseudonym="消费者",
            title=f"跑路了{i}",
            story="……",
            problem_type="fraud_runaway",
            status="published",
            published_at=NOW - dt.timedelta(days=5 * i),
        )
        stats.on_published(c)
    return p


def test_the_report_of_a_platform_gathers_every_flag(shady):
    report = checks.report(checks.public_platforms().get(pk=shady.pk), today=TODAY)
    assert [f.id for f in report.flags] == [
        "recent_runaway",
        "icp_malformed",
        "no_operator",
        "recent_domain_change",
        "many_unanswered",
        "void_term_final_interpretation",
        "void_term_no_return",
    ]
    assert [c.ok for c in report.checks] == [None, None, False]


def sancha_page(client, **params) -> str:
    r = client.get(reverse("sancha"), params)
    assert r.status_code == 200
    return r.content.decode()


def test_the_sancha_page_checks_a_platform_by_domain(client, shady):
    html = sancha_page(client, q="https://www.heixin.com/shop")
    assert "黑心卡盟" in html
    assert "近期有跑路/欺诈投诉" in html and "ICP备案号格式不对" in html and "近期更换或新增了域名" in html
    assert "规则里有无效条款：最终解释权" in html and "《侵害消费者权益行为处罚办法》第十二条" in html
    assert "样本不足" in html and "不评级" in html
    assert reverse("platform_detail", args=[shady.public_id]) in html
    assert "李*" in html and "李四" not in html  # a merchant that may be a person is masked
    assert "售后政策" in html and "经营者信息" in html


def test_the_sancha_page_finds_a_platform_by_merchant_name(client, db):
    p = Platform.objects.create(name="正规卡盟", **GOOD)
    PlatformAlias.objects.create(
        platform=p, kind="merchant", value="某某网络科技有限公司", label="某某网络科技有限公司"
    )
    html = sancha_page(client, q="某某网络科技")
    assert "正规卡盟" in html and "没有发现警讯" in html


def test_an_unknown_platform_is_not_called_safe(client, db):
    html = sancha_page(client, q="never-seen-km.com")
    assert "没有找到“never-seen-km.com”" in html
    assert "这不等于它安全" in html and "beian.miit.gov.cn" in html
    assert "售后政策" in html and "卡密核验方式" in html


def test_the_sancha_page_without_a_query_shows_the_form_and_the_checklist(client, db):
    html = sancha_page(client)
    assert 'name="q"' in html and "查规则" in html and "没有找到" not in html


def test_pasted_rules_are_checked_for_void_terms(client, db):
    r = client.post(reverse("sancha"), {"terms": "1. 卡密售出概不退换。\n2. 恶意投诉者封号处理。"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "概不退换" in html and "投诉封号" in html and "《消费者权益保护法》第二十六条" in html


def test_pasted_rules_without_void_terms_say_it_is_only_a_keyword_check(client, db):
    html = client.post(reverse("sancha"), {"terms": "卡密无效24小时内补发或退款。"}).content.decode()
    assert "没有发现常见的无效条款" in html and "关键词检查" in html


def test_the_sancha_page_uses_a_constant_number_of_queries(client, shady):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            sancha_page(client, q="heixin")
        return len(ctx.captured_queries)

    before = count()
    for _ in range(20):
        c = PublicComplaint.objects.create(
            platform=shady, pseudonym="x", title="t", story="s", status="published", published_at=NOW
        )
        stats.on_published(c)
    assert count() == before <= 4
