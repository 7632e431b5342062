"""Complaint documents filled from the case facts: one template per kind, three renderers (text, DOCX, PDF).

Every document is a draft the consumer checks and signs; each says so in its footer line (product decision 11).

How a document is made:

1. ``build_document`` turns the facts into a template context: raw facts plus the few values that need
   computing (evidence rows with their SHA-256, the 消法 Art. 55 punitive amount, the acknowledged debt of a
   payment order). Wording lives only in ``templates/documents/<kind>.txt.j2``.
2. The template renders to a small line markup (below); ``_parse`` turns it into ``Block`` objects.
3. ``render.render_txt`` / ``render_docx`` / ``render_pdf`` lay the same blocks out in each format.

Markup, one block per line (leading spaces are ignored, so templates may indent inside ``{% if %}``)::

    = 文书标题          document title (centred); defaults to the kind's title
    # 小标题            section heading
    标签：值            field, when the label is template text of at most 12 characters
    - 文本              bullet item; consecutive items form one list
    1. 文本             numbered item; renumbered 1, 2, 3 … so templates may write "1." throughout
    | 甲 | 乙 |         table row; the first row of a run is the header; rows of dashes are skipped
    > 文本              note to the consumer (how to fill in, where to file); not part of the text to submit
    >> 文本             signature line, right-aligned; consecutive lines form one block
    < 文本              paragraph without first-line indent (the court's name after 此致)
    ~ 文本              page footer (the draft disclaimer)
    \\文本              paragraph, even if it looks like markup
    other text          paragraph (each line is its own paragraph)

Empty lines are ignored: a list, table or signature ends at the next line of another kind.

Values substituted with ``{{ … }}`` can never be read as markup: ``_finalize`` wraps each one in private-use
sentinel characters, and the parser only recognises markup, field labels and table separators outside them.
So a consumer's description starting with "- " or containing "|" or "：" stays plain text. ``None`` never reaches
the output: it renders as a visible 【请填写】 placeholder, and templates name what is missing with ``fill``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jinja2

from weiquan.domain.calculators import (
    Procedure,
    amount_in_words,
    court_fee,
    payment_order_fit,
    punitive_damages,
    small_claims_eligibility,
)
from weiquan.domain.calculators import yuan as display_yuan
from weiquan.domain.citations import Citation, cite
from weiquan.domain.datafiles import load
from weiquan.domain.evidence import kind_group, kind_label
from weiquan.domain.facts import CHINA_TZ, CaseFacts, Contact, EvidenceItem
from weiquan.domain.masking import mask, personal_values
from weiquan.domain.taxonomy import OTHER, OTHER_LABEL, TYPES, demand_label

TEMPLATE_DIR = Path(__file__).parent / "templates" / "documents"
FORMATS: tuple[str, ...] = ("txt", "docx", "pdf")

# --- kinds ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentKind:
    id: str
    title: str  # the name shown in menus and plans
    stem: str  # output file name without extension
    channel: str | None  # the channel id (facts.ChannelId) the document is filed with, if any
    landscape: bool = False


DOCUMENT_KINDS: dict[str, DocumentKind] = {
    k.id: k
    for k in (
        DocumentKind("platform_cs", "致客服的书面诉求", "platform_cs", "platform_cs"),
        DocumentKind("12315", "12315 投诉", "12315", "12315"),
        DocumentKind("heimao", "黑猫投诉", "heimao", "heimao"),
        DocumentKind("alipay", "支付宝交易投诉", "alipay", "alipay"),
        DocumentKind("wechat_pay", "微信支付交易投诉", "wechat_pay", "wechat_pay"),
        DocumentKind("police", "公安报案材料", "police", "police"),
        DocumentKind("small_claims", "民事起诉状", "small_claims", "small_claims"),
        DocumentKind("payment_order", "支付令申请书", "payment_order", "payment_order"),
        # Eight columns do not fit a portrait A4 page at a readable size.
        DocumentKind("evidence_list", "证据清单", "evidence-list", None, landscape=True),
    )
}

# --- blocks -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    indent: bool = True  # first-line indent of two characters in DOCX and PDF


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class ItemList:
    items: tuple[str, ...]
    numbered: bool


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Signature:
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Note:
    text: str


Block = Heading | Paragraph | Field | ItemList | Table | Signature | Note


@dataclass(frozen=True)
class Document:
    kind: str
    title: str
    filename: str  # file stem; the renderers' extension is added by write_documents
    blocks: list[Block]
    footer: str = ""
    landscape: bool = False

    def text(self) -> str:
        """All visible text, for searching and tests."""
        from weiquan.domain.render import render_txt  # render imports this module

        return render_txt(self)


# --- values -----------------------------------------------------------------------------------------------------


def _yuan(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _yuan_full(amount: Decimal) -> str:
    """The form legal documents use: 100.00元（人民币壹佰元整）."""
    return f"{_yuan(amount)}元（人民币{amount_in_words(amount)}）"


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(CHINA_TZ)
    return value


def _cn_date(value: date | datetime) -> str:
    v = _local(value)
    return f"{v.year}年{v.month}月{v.day}日"


def _cn_datetime(value: datetime) -> str:
    v = _local(value)
    assert isinstance(v, datetime)
    return f"{v.year}年{v.month}月{v.day}日{v.hour}时{v.minute:02d}分"


def _when(value: date | datetime | None, time_known: bool | None = None) -> str | None:
    """A moment as the record holds it: with the time only when the time is known.

    ``time_known`` is the case file's flag (``paid_at_time_known``, ``Contact.at_time_known``). Values without a
    flag (a promise deadline, a capture time) show their time unless it is exactly midnight, which is what a
    date-only value becomes once parsed: no document invents "0时00分" (issue 7).
    """
    if value is None:
        return None
    if not isinstance(value, datetime) or time_known is False:
        return _cn_date(value)
    v = _local(value)
    assert isinstance(v, datetime)
    if time_known is None and (v.hour, v.minute, v.second) == (0, 0, 0):
        return _cn_date(v)
    return _cn_datetime(v)


def _month_day(value: date | datetime, since: date | datetime | None = None) -> str:
    """8月18日 after an earlier date of the same year in the same sentence, else the full date."""
    v = _local(value)
    if since is not None and _local(since).year == v.year:
        return f"{v.month}月{v.day}日"
    return _cn_date(v)


def _fill(value: Any, hint: str) -> Any:
    return value if value not in (None, "") else f"【请填写：{hint}】"


def _pending(value: Any, hint: str) -> Any:
    return value if value not in (None, "") else f"【待补充：{hint}】"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


@jinja2.pass_context
def _mask_personal(ctx: Any, text: str) -> str:
    """Text that will be published (黑猫) through the one public masking, knowing the case's personal values."""
    return mask(text, known=personal_values(ctx["facts"]))


def _cite_list(citations: Sequence[Citation]) -> str:
    """《消费者权益保护法》第二十四条、第五十二条、《民法典》第五百七十七条: one law name per run of its articles."""
    parts: list[str] = []
    previous = None
    for c in citations:
        parts.append(c.article if c.law == previous else c.short)
        previous = c.law
    return "、".join(parts)


def _from_id_number(id_number: str | None) -> tuple[str | None, date | None]:
    """Gender and birth date from an 18-digit resident ID (GB 11643): digits 7–14 and the parity of digit 17."""
    if not id_number or not re.fullmatch(r"\d{17}[\dXx]", id_number):
        return None, None
    try:
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None, None
    return ("男" if int(id_number[16]) % 2 else "女"), born


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    index: int
    kind: str
    label: str
    group: str
    proves: tuple[str, ...]  # fact ids (evidence.yaml) of this problem type the kind proves
    description: str | None
    file_name: str | None
    captured_at: datetime | None
    # SHA-256 status: computed (file hashed) | match (file hashed, equals the given value) | mismatch |
    # given (no readable file, the given value shown) | file_missing (file named but absent, no value) | none
    sha_status: str
    sha256: str | None  # what the document shows: the file's hash when there is one, else the given value
    given_sha256: str | None


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file, streamed in 1 MB chunks so a long screen recording is never read into memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _evidence_row(index: int, item: EvidenceItem, must_prove: Sequence[str], with_hash: bool) -> EvidenceRow:
    facts_data: dict[str, Any] = load("evidence")["facts"]
    proves = tuple(f for f in must_prove if item.kind in facts_data[f]["proven_by"])
    if item.kind == "payment_record" and "payment_made" not in proves:
        # The receipt always proves the payment and names the payee, whatever the problem type (evidence.analyse).
        proves = (*proves, "payment_made")
    given = item.sha256.lower() if item.sha256 else None
    computed: str | None = None
    file_missing = False
    if item.file and with_hash:
        path = Path(item.file)
        if path.is_file():
            computed = sha256_file(path)
        else:
            file_missing = True
    if computed and given:
        status = "match" if computed == given else "mismatch"
    elif computed:
        status = "computed"
    elif given:
        status = "given"
    elif file_missing:
        status = "file_missing"
    else:
        status = "none"
    return EvidenceRow(
        index=index,
        kind=item.kind,
        label=kind_label(item.kind),
        group=kind_group(item.kind),
        proves=proves,
        description=item.description,
        # Only the base name: the consumer's folder layout is none of the reader's business.
        file_name=Path(item.file).name if item.file else None,
        captured_at=item.captured_at,
        sha_status=status,
        sha256=computed or given,
        given_sha256=given,
    )


# Descriptions a tool writes for itself, not for the reader (the wizard's "向导中勾选：我手上有这份材料").
_TOOL_WORDING = ("向导中勾选", "我手上有这份材料")
_FILE_NAME = re.compile(
    r"^[^/\\\n]{1,200}\.(png|jpe?g|gif|webp|heic|bmp|pdf|txt|mp4|mov|avi|m4a|mp3|wav|amr|aac|zip|html?|mhtml|eml|docx?)$",
    re.IGNORECASE,
)


def _reader_description(item: EvidenceItem) -> tuple[str | None, str | None]:
    """(description, file name) as a judge reads them: tool wording dropped, an uploaded file's name kept as such."""
    text = item.description
    if text and any(w in text for w in _TOOL_WORDING):
        text = None
    file_name = Path(item.file).name if item.file else None
    if text and _FILE_NAME.match(text) and (item.sha256 or item.file):
        # The web app fills the description of an upload with the file's original name.
        file_name = file_name or text
        text = None
    return text, file_name


def _evidence_rows(
    items: Sequence[EvidenceItem], must_prove: Sequence[str], with_hash: bool
) -> list[EvidenceRow]:
    """One line per piece of evidence: a declared item and the uploaded file of the same kind are one line.

    Items of one kind without a file (declared in the wizard or the case file) merge into one line; when files of
    that kind exist, the declared lines merge into the first file's line, which carries its SHA-256.
    """
    by_kind: dict[str, list[EvidenceItem]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    rows: list[EvidenceRow] = []
    for kind_items in by_kind.values():
        with_file = [i for i in kind_items if i.file or i.sha256]
        declared = [i for i in kind_items if not (i.file or i.sha256)]
        declared_text = "；".join(d for d in dict.fromkeys(_reader_description(i)[0] for i in declared) if d)
        if not with_file:
            merged = declared[0].model_copy(
                update={
                    "description": declared_text or None,
                    "captured_at": next((i.captured_at for i in declared if i.captured_at), None),
                }
            )
            rows.append(_evidence_row(len(rows) + 1, merged, must_prove, with_hash))
            continue
        for n, item in enumerate(with_file):
            row = _evidence_row(len(rows) + 1, item, must_prove, with_hash)
            description, file_name = _reader_description(item)
            if n == 0 and declared_text and declared_text != description:
                description = "；".join(d for d in (description, declared_text) if d)
            rows.append(replace(row, description=description, file_name=file_name))
    return rows


@dataclass(frozen=True, slots=True)
class Thread:
    """One filing on one channel and what followed it: filed, accepted, ended (issue 7, "one timeline")."""

    channel: str
    events: tuple[Contact, ...]
    again: bool  # a new filing on a channel whose earlier filing had ended

    @property
    def start(self) -> datetime:
        return self.events[0].at

    @property
    def refs(self) -> tuple[str | None, ...]:
        """The reference number to print at each event: only where it first appears."""
        shown: set[str] = set()
        out: list[str | None] = []
        for e in self.events:
            out.append(e.reference if e.reference and e.reference not in shown else None)
            if e.reference:
                shown.add(e.reference)
        return tuple(out)


_ENDED = ("rejected", "failed", "resolved")


def _threads(contacts: Sequence[Contact]) -> list[Thread]:
    """Contacts grouped into one timeline per filing, in the order the filings began.

    A later contact on the same channel continues the filing unless that filing had ended (rejected, failed,
    resolved) or it carries a different reference number. Customer-service contacts are one conversation.
    """
    open_threads: dict[str, list[Contact]] = {}
    threads: list[tuple[str, list[Contact], bool]] = []
    seen: set[str] = set()
    for c in sorted(contacts, key=lambda c: c.at):
        current = open_threads.get(c.channel)
        if current is not None and c.channel != "platform_cs":
            last_ref = next((e.reference for e in reversed(current) if e.reference), None)
            if current[-1].response in _ENDED or (c.reference and last_ref and c.reference != last_ref):
                current = None
        if current is None:
            current = []
            threads.append((c.channel, current, c.channel in seen))
            open_threads[c.channel] = current
            seen.add(c.channel)
        current.append(c)
    return [Thread(ch, tuple(events), again) for ch, events, again in threads]


def _agreement(facts: CaseFacts) -> Contact | None:
    """The latest contact in which the operator agreed to refund a stated amount: the only admission of a debt a
    payment order can rest on. A promise to "处理" is not one (issue 7)."""
    agreed = [c for c in facts.contacts if c.agreed_amount is not None]
    return max(agreed, key=lambda c: c.at) if agreed else None


def _disputed(facts: CaseFacts) -> bool:
    """The record shows the operator disputes the claim: a refusal, or a mediation that failed."""
    cs = facts.contacts_with("platform_cs")
    if cs and cs[-1].response in ("refused", "rejected"):
        return True
    return any(c.response == "failed" and c.channel in ("12315", "industry_assoc") for c in facts.contacts)


@dataclass(frozen=True, slots=True)
class Seller:
    """Who sold the goods, so documents name the right defendant (消法 Art. 44; 电商法 Art. 38).

    mode: platform (the platform's own sale), shop (a 平台内经营者 on the platform), unknown (not asked yet).
    """

    mode: str
    company: str | None
    credit_code: str | None
    address: str | None
    contact: str | None
    shop_name: str | None


def _seller(facts: CaseFacts, problem_type: str) -> Seller:
    p = facts.platform
    if problem_type == "data_leak":
        # The platform holding the account processed the data, whoever sold the goods.
        return Seller("platform", p.company, p.credit_code, p.address, p.contact, None)
    if p.sold_by == "shop":
        shop = p.shop
        return Seller(
            "shop",
            shop.company if shop else None,
            shop.credit_code if shop else None,
            shop.address if shop else None,
            shop.contact if shop else None,
            shop.name if shop else None,
        )
    return Seller(p.sold_by or "unknown", p.company, p.credit_code, p.address, p.contact, None)


# Problem types whose order was not performed or performed with something unusable: rescind, then refund.
_RESCIND = ("delayed_delivery", "fake_stock", "fraud_runaway", "invalid_code")


def _court_procedure(problem_type: str, facts: CaseFacts, small: Any) -> Procedure:
    if problem_type == "data_leak" or not facts.platform.reachable:
        return "ordinary"
    return "small_claims" if small is not None and small.status == "eligible" else "ordinary"


def _context(
    kind: str, facts: CaseFacts, problem_type: str, today: date, reply_by: date | None, court: str | None
) -> dict[str, Any]:
    ptype = TYPES.get(problem_type)
    must_prove = ptype.must_prove if ptype else ()
    demands = list(facts.demands or (ptype.demands if ptype else ("refund",)))
    id_gender, id_born = _from_id_number(facts.consumer.id_number)
    evidence = _evidence_rows(facts.evidence, must_prove, with_hash=kind == "evidence_list")
    cs = facts.contacts_with("platform_cs")
    agreed = _agreement(facts)
    punitive = punitive_damages(facts.amount, fraud_shown=True)
    data_leak = problem_type == "data_leak"
    claim_total = facts.amount + punitive.potential_amount if facts.fraud_shown else facts.amount
    court_docs = kind in ("small_claims", "payment_order", "evidence_list")
    small = (
        small_claims_eligibility(claim_total, facts.province, today) if court_docs and not data_leak else None
    )
    procedure = _court_procedure(problem_type, facts, small)
    debt = agreed.agreed_amount if agreed and agreed.agreed_amount else facts.amount
    from weiquan.domain.escalation import complaint_rule  # lazy: the engine may one day import documents

    rule = complaint_rule(today)
    return {
        "kind": kind,
        "facts": facts,
        "platform": facts.platform,
        "consumer": facts.consumer,
        "seller": _seller(facts, problem_type),
        "today": today,
        "reply_by": reply_by,
        "court": court,
        "problem": {
            "id": problem_type,
            "label": ptype.label if ptype else OTHER_LABEL,
            "basis": ptype.basis if ptype else (cite("consumer_law_52"), cite("civil_code_577")),
        },
        # 民事案件案由规定: a data leak is a tort (个人信息保护纠纷), everything else here a contract claim.
        "case_cause": "个人信息保护纠纷" if data_leak else "网络购物合同纠纷",
        "rescind": problem_type in _RESCIND,
        "demands": demands,
        "fraud_shown": facts.fraud_shown is True,
        "suspected_fraud": facts.fraud_shown is True or problem_type == "fraud_runaway",
        # 消法 Art. 55 ¶1: what the punitive claim would be (3 × price, at least 500); claimed only when fraud is shown.
        "punitive": punitive.potential_amount,
        "claim_total": claim_total,
        "paid_when": _when(facts.paid_at, facts.paid_at_time_known),
        "contacts": sorted(facts.contacts, key=lambda c: c.at),
        "threads": _threads(facts.contacts),
        "cs_contacts": cs,
        "cs_responses": {c.response for c in cs},
        "last_cs": cs[-1] if cs else None,
        "agreed": agreed,
        "debt": debt,
        # The 12315 rule in force on the day the complaint is filed (today): Order 121 from 2026-04-15.
        "order_121": rule.id != "samr_order_20",
        "complaint_rule_name": rule.name,
        # Only the court documents need these; they read the small-claims and court-fee tables.
        "small_claims": small,
        "procedure": procedure,
        "court_fee": court_fee(claim_total, procedure) if court_docs and not data_leak else None,
        "payment_order_fee": court_fee(debt, "payment_order") if court_docs else None,
        "payment_order_fit": payment_order_fit(
            debtor_identified=bool(_seller(facts, problem_type).company),
            debtor_reachable=facts.platform.reachable,
            debt_acknowledged=agreed is not None,
            counter_dispute=_disputed(facts),
        )
        if court_docs
        else None,
        "evidence": evidence,
        "mismatches": [r for r in evidence if r.sha_status == "mismatch"],
        "consumer_gender": facts.consumer.gender or id_gender,
        "consumer_born": facts.consumer.birth_date or id_born,
        "place_name": facts.platform.name or facts.platform.domain or "",
    }


# --- templates --------------------------------------------------------------------------------------------------

# Private-use characters that fence substituted values off from the markup (see the module docstring).
_OPEN, _CLOSE, _BREAK = "\ue000", "\ue001", "\ue002"


def _finalize(value: Any) -> str:
    if value is None:
        text = "【请填写】"
    elif isinstance(value, datetime):
        text = _when(value) or ""
    elif isinstance(value, date):
        text = _cn_date(value)
    elif isinstance(value, Decimal):
        text = _yuan(value)
    else:
        text = str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", _BREAK)
    return f"{_OPEN}{text}{_CLOSE}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain-text markup; the PDF renderer hands text to Typst as data, never as markup
        # No trim_blocks: it would eat the newline after a line ending in {% endif %}. Lines holding only a tag
        # come out empty, and empty lines mean nothing in the markup.
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters.update(
        cn_date=_cn_date,
        cn_datetime=_cn_datetime,
        when=_when,
        md=_month_day,
        yuan=_yuan,
        money=display_yuan,  # 64,610 — for notes; documents use yuan (100.00)
        yuan_full=_yuan_full,
        in_words=amount_in_words,
        fill=_fill,
        pending=_pending,
        clip=_clip,
        mask=_mask_personal,
        cites=_cite_list,
        cite=cite,
    )
    env.globals.update(cite=cite, kind_label=kind_label, kind_group=kind_group, demand_label=demand_label)
    return env


_ENV = _environment()


def build_document(
    kind: str,
    facts: CaseFacts,
    *,
    problem_type: str,
    today: date,
    reply_by: date | None = None,
    court: str | None = None,
) -> Document:
    """The document of ``kind`` for this case, as blocks ready for any renderer.

    ``problem_type`` comes from the planner (the facts may carry only a description); ``today`` dates the
    document; ``reply_by`` is the answer date demanded of the platform; ``court`` names the court, if chosen.
    Evidence files named in the facts are hashed for the evidence list only.
    """
    try:
        spec = DOCUMENT_KINDS[kind]
    except KeyError:
        raise KeyError(f"未知的文书种类：{kind}（可选：{'、'.join(DOCUMENT_KINDS)}）") from None
    if problem_type not in TYPES and problem_type != OTHER:
        raise ValueError(f"未知的问题类型：{problem_type}（可选：{'、'.join((*TYPES, OTHER))}）")
    context = _context(kind, facts, problem_type, today, reply_by, court)
    markup = _ENV.get_template(f"{kind}.txt.j2").render(context)
    title, blocks, footer = _parse(markup)
    return Document(
        kind=kind,
        title=title or spec.title,
        filename=spec.stem,
        blocks=blocks,
        footer=footer,
        landscape=spec.landscape,
    )


# --- markup parser ----------------------------------------------------------------------------------------------

_NUMBERED = re.compile(r"\d+[.、]\s")
_SEPARATOR_CELL = re.compile(r":?-{2,}:?")
_LABEL_STOP = set("，。；！？、,.;!?")


def _clean(text: str) -> str:
    return text.replace(_OPEN, "").replace(_CLOSE, "").replace(_BREAK, "\n").strip()


def _split_outside(text: str, sep: str) -> list[str]:
    """Splits on ``sep`` only where it is template text, not inside a substituted value."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == _OPEN:
            depth += 1
        elif ch == _CLOSE:
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _field(line: str) -> tuple[str, str] | None:
    parts = _split_outside(line, "：")
    if len(parts) < 2:
        return None
    label = parts[0]
    if not 1 <= len(label) <= 12 or _OPEN in label or any(c in _LABEL_STOP or c.isspace() for c in label):
        return None
    return label, "：".join(parts[1:])


def _parse(markup: str) -> tuple[str, list[Block], str]:
    title, footer = "", ""
    blocks: list[Block] = []
    items: list[str] = []
    numbered = False
    table: list[tuple[str, ...]] = []
    signature: list[str] = []

    def flush() -> None:
        nonlocal items, table, signature
        if items:
            blocks.append(ItemList(tuple(items), numbered))
        if table:
            blocks.append(Table(table[0], tuple(table[1:])))
        if signature:
            blocks.append(Signature(tuple(signature)))
        items, table, signature = [], [], []

    for raw in markup.split("\n"):
        line = raw.strip(" \t")
        if not line.strip():
            continue
        if line.startswith(_OPEN):  # starts with a substituted value: plain text, whatever it contains
            flush()
            blocks.append(Paragraph(_clean(line)))
            continue
        if line.startswith("| "):
            if items or signature:
                flush()
            cells = tuple(_clean(c) for c in _split_outside(line.strip(), "|")[1:-1])
            if not all(_SEPARATOR_CELL.fullmatch(c) for c in cells):
                table.append(cells)
            continue
        if line.startswith(("- ", "* ")) or _NUMBERED.match(line):
            is_numbered = not line.startswith(("- ", "* "))
            if table or signature or (items and numbered != is_numbered):
                flush()
            numbered = is_numbered
            items.append(_clean(line.split(None, 1)[1] if " " in line else line))
            continue
        if line.startswith(">> "):
            if items or table:
                flush()
            signature.append(_clean(line[3:]))
            continue
        flush()
        if line.startswith("= "):
            title = _clean(line[2:])
        elif line.startswith("# "):
            blocks.append(Heading(_clean(line[2:])))
        elif line.startswith("> "):
            blocks.append(Note(_clean(line[2:])))
        elif line.startswith("< "):
            blocks.append(Paragraph(_clean(line[2:]), indent=False))
        elif line.startswith("~ "):
            footer = _clean(line[2:])
        elif line.startswith("\\"):
            blocks.append(Paragraph(_clean(line[1:])))
        elif parsed := _field(line):
            blocks.append(Field(_clean(parsed[0]), _clean(parsed[1])))
        else:
            blocks.append(Paragraph(_clean(line)))
    flush()
    return title, blocks, footer


__all__ = [
    "DOCUMENT_KINDS",
    "FORMATS",
    "Block",
    "Document",
    "DocumentKind",
    "EvidenceRow",
    "Field",
    "Heading",
    "ItemList",
    "Note",
    "Paragraph",
    "Signature",
    "Table",
    "build_document",
    "sha256_file",
]
