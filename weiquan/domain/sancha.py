"""三查 (seed §四): before paying a 卡盟, check its 资质 (registration), 评价 (complaints) and 规则 (terms).

Pure functions over facts the caller gathers (weiquan.platforms.checks does it from the registry): the checklist of
what to read in a site's rules, the void standard terms found in a text, and the red flags of a platform, each with
the law behind it (data/sancha.yaml).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from weiquan.domain.citations import Citation, cite
from weiquan.domain.datafiles import load

RECENT_DAYS = 90  # "recent" for new domains and 跑路 reports
UNANSWERED_MIN = 3  # at least this many complaints without any reply …
UNANSWERED_SHARE = 0.5  # … making up at least this share of the platform's complaints


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    id: str
    label: str
    look_for: str
    warning: str
    basis: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class VoidTerm:
    id: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    why: str
    basis: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class TermHit:
    term: VoidTerm
    excerpt: str  # the sentence of the rules text that holds the term


@dataclass(frozen=True, slots=True)
class RedFlag:
    id: str
    severity: str  # "high", "medium", or "info" (something this site does not know, not a sign against the platform)
    title: str
    detail: str
    basis: tuple[Citation, ...] = ()


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    """What the registry knows about a platform, with the format checks already done by the caller."""

    company: str = ""
    credit_code: str = ""
    credit_code_problem: str | None = None
    icp: str = ""
    icp_problem: str | None = None
    domains: tuple[tuple[str, dt.date], ...] = ()  # (domain, the day weiquan first saw it)
    complaints: int = 0
    unanswered: int = 0
    last_runaway: dt.date | None = None
    runaway_recent: int = 0  # 跑路/欺诈 reports published in the last three calendar months
    terms_text: str = ""
    term_hits: list[TermHit] = field(default_factory=list)


def _checklist() -> tuple[ChecklistItem, ...]:
    return tuple(
        ChecklistItem(
            id=item["id"],
            label=item["label"],
            look_for=item["look_for"],
            warning=item["warning"],
            basis=tuple(cite(c) for c in item["basis"]),
        )
        for item in load("sancha")["checklist"]
    )


def _void_terms() -> tuple[VoidTerm, ...]:
    return tuple(
        VoidTerm(
            id=t["id"],
            label=t["label"],
            patterns=tuple(re.compile(p) for p in t["patterns"]),
            why=t["why"],
            basis=tuple(cite(c) for c in t["basis"]),
        )
        for t in load("sancha")["void_terms"]
    )


CHECKLIST = _checklist()
VOID_TERMS = _void_terms()

_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def _sentence(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right_match = _SENTENCE_END.search(text, end)
    right = right_match.end() if right_match else len(text)
    sentence = text[left:right].strip()
    return sentence if len(sentence) <= 120 else text[max(start - 40, 0) : end + 40].strip() + "…"


def find_void_terms(text: str) -> list[TermHit]:
    """Each void term found in ``text`` once, with the sentence it stands in (spaces inside words ignored)."""
    squeezed = re.sub(r"[ \t\u3000]+", "", text or "")
    hits = []
    for term in VOID_TERMS:
        for pattern in term.patterns:
            m = pattern.search(squeezed)
            if m:
                hits.append(TermHit(term, _sentence(squeezed, m.start(), m.end())))
                break
    return hits


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _cites(*ids: str) -> tuple[Citation, ...]:
    return tuple(cite(i) for i in ids)


def red_flags(facts: PlatformFacts, today: dt.date) -> list[RedFlag]:
    """The warning signs, most serious first. None of them is proof of fraud; each says what it does and does not mean."""
    flags: list[RedFlag] = []
    recent = today - dt.timedelta(days=RECENT_DAYS)

    if facts.last_runaway is not None and facts.last_runaway >= recent:
        flags.append(
            RedFlag(
                "recent_runaway",
                "high",
                "近期有跑路/欺诈投诉",
                f"最近一次于{_cn_date(facts.last_runaway)}公开"
                + (f"，近三个月共 {facts.runaway_recent} 起" if facts.runaway_recent else "")
                + "。平台可能已经或正在停止经营；不要充值余额、不要大额付款。",
            )
        )
    if not facts.icp:
        flags.append(
            RedFlag(
                "no_icp",
                "info",
                "本站尚无该平台的备案信息",
                "这不说明网站没有备案，只是还没有人告诉本站。在中国境内开办网站须办理ICP备案（经营性网站还要取得ICP许可证）："
                "请看网站底部是否公示备案号，并到工信部ICP/IP地址/域名信息备案管理系统（beian.miit.gov.cn）查询域名的主办单位。",
            )
        )
    elif facts.icp_problem:
        flags.append(
            RedFlag(
                "icp_malformed",
                "high",
                "ICP备案号格式不对",
                f"登记的备案号“{facts.icp}”：{facts.icp_problem}。格式不对的备案号多半是编造的；请到 beian.miit.gov.cn 核对。",
            )
        )
    if facts.credit_code and facts.credit_code_problem:
        flags.append(
            RedFlag(
                "invalid_credit_code",
                "high",
                "统一社会信用代码无效",
                f"登记的代码“{facts.credit_code}”：{facts.credit_code_problem}。请到国家企业信用信息公示系统核对公司是否真实存在。",
                _cites("ecommerce_law_15"),
            )
        )
    elif not facts.credit_code and not facts.company:
        flags.append(
            RedFlag(
                "no_operator",
                "medium",
                "不知道背后的经营者",
                "没有登记公司名称和统一社会信用代码。电子商务经营者应在首页显著位置持续公示营业执照信息；"
                "找不到经营者，出了问题很难投诉和起诉。",
                _cites("ecommerce_law_15", "consumer_law_44"),
            )
        )
    old = [d for d, seen in facts.domains if seen < recent]
    new = sorted((seen, d) for d, seen in facts.domains if seen >= recent)
    if new and old:
        seen, domain = new[-1]
        flags.append(
            RedFlag(
                "recent_domain_change",
                "medium",
                "近期更换或新增了域名",
                f"{_cn_date(seen)}起出现新域名 {domain}（另有 {len(old)} 个旧域名）。频繁换域名常见于被投诉、被封后换个地址继续经营的网站。",
            )
        )
    if facts.unanswered >= UNANSWERED_MIN and facts.unanswered >= UNANSWERED_SHARE * facts.complaints:
        flags.append(
            RedFlag(
                "many_unanswered",
                "medium",
                "大量投诉无人回应",
                f"公开的 {facts.complaints} 起投诉中，{facts.unanswered} 起平台从未公开回复。",
                _cites("ecommerce_law_59"),
            )
        )
    for hit in facts.term_hits:
        flags.append(
            RedFlag(
                f"void_term_{hit.term.id}",
                "medium",
                f"规则里有无效条款：{hit.term.label}",
                f"“{hit.excerpt}” —— {hit.term.why}",
                hit.term.basis,
            )
        )
    return flags
