"""Complaint documents filled from the case facts: one template per kind, three renderers (text, DOCX, PDF).

Every document is a draft the consumer checks and signs; each says so in its footer line (product decision 11).

How a document is made:

1. ``build_document`` turns the facts into a template context: raw facts plus the few values that need
   computing (evidence rows with their SHA-256, the 消法 Art. 55 punitive amount, the acknowledged debt of a
   payment order). Wording lives only in ``templates/documents/<kind>.txt.j2``.
2. The template renders to a small line markup (below); ``_parse`` turns it into ``Block`` objects.
3. ``render_txt`` / ``render_docx`` / ``render_pdf`` lay the same blocks out in each format.

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
import io
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jinja2

from weiquan.domain.calculators import (
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
        DocumentKind("small_claims", "民事起诉状（小额诉讼）", "small_claims", "small_claims"),
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


def _fill(value: Any, hint: str) -> Any:
    return value if value not in (None, "") else f"【请填写：{hint}】"


def _pending(value: Any, hint: str) -> Any:
    return value if value not in (None, "") else f"【待补充：{hint}】"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def _mask_personal(text: str) -> str:
    """Masks mobile numbers, ID numbers and e-mail addresses in text that will be published (黑猫)."""
    text = _ID_NUMBER.sub(r"\1********\2", text)
    text = _PHONE.sub(r"\1****\2", text)
    return _EMAIL.sub(r"\1***\2", text)


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


def _acknowledgement(facts: CaseFacts) -> Contact | None:
    """The latest contact in which the operator acknowledged the debt (a promise to refund), for 支付令."""
    promised = [
        c
        for c in facts.contacts
        if c.response == "promised" or (c.response == "accepted" and c.channel == "platform_cs")
    ]
    return max(promised, key=lambda c: c.at) if promised else None


def _context(
    kind: str, facts: CaseFacts, problem_type: str, today: date, reply_by: date | None, court: str | None
) -> dict[str, Any]:
    ptype = TYPES.get(problem_type)
    must_prove = ptype.must_prove if ptype else ()
    demands = list(facts.demands or (ptype.demands if ptype else ("refund",)))
    gender, born = _from_id_number(facts.consumer.id_number)
    evidence = [
        _evidence_row(i, e, must_prove, with_hash=kind == "evidence_list")
        for i, e in enumerate(facts.evidence, 1)
    ]
    cs = facts.contacts_with("platform_cs")
    acknowledged = _acknowledgement(facts)
    punitive = punitive_damages(facts.amount, fraud_shown=True)
    claim_total = facts.amount + punitive.potential_amount if facts.fraud_shown else facts.amount
    court_docs = kind in ("small_claims", "payment_order")
    return {
        "kind": kind,
        "facts": facts,
        "platform": facts.platform,
        "consumer": facts.consumer,
        "today": today,
        "reply_by": reply_by,
        "court": court,
        "problem": {
            "id": problem_type,
            "label": ptype.label if ptype else OTHER_LABEL,
            "basis": ptype.basis if ptype else (cite("consumer_law_52"), cite("civil_code_577")),
        },
        "demands": demands,
        "fraud_shown": facts.fraud_shown is True,
        "suspected_fraud": facts.fraud_shown is True or problem_type == "fraud_runaway",
        # 消法 Art. 55 ¶1: what the punitive claim would be (3 × price, at least 500); claimed only when fraud is shown.
        "punitive": punitive.potential_amount,
        "claim_total": claim_total,
        "contacts": sorted(facts.contacts, key=lambda c: c.at),
        "cs_contacts": cs,
        "last_cs": cs[-1] if cs else None,
        "acknowledged": acknowledged,
        # Only the court documents need these; they read the small-claims and court-fee tables.
        "small_claims": small_claims_eligibility(claim_total, facts.province, today) if court_docs else None,
        "small_claims_fee": court_fee(claim_total, "small_claims") if court_docs else None,
        "payment_order_fee": court_fee(facts.amount, "payment_order") if court_docs else None,
        "payment_order_fit": payment_order_fit(
            debtor_identified=facts.platform.operator_known,
            debtor_reachable=facts.platform.reachable,
            debt_acknowledged=acknowledged is not None,
            # A refusal on record is a dispute about the debt (e.g. “卡密发出后概不退换”).
            counter_dispute=bool(cs) and cs[-1].response in ("refused", "rejected"),
        )
        if court_docs
        else None,
        "evidence": evidence,
        "mismatches": [r for r in evidence if r.sha_status == "mismatch"],
        "consumer_gender": gender,
        "consumer_born": born,
        "place_name": facts.platform.name or facts.platform.domain or "",
    }


# --- templates --------------------------------------------------------------------------------------------------

# Private-use characters that fence substituted values off from the markup (see the module docstring).
_OPEN, _CLOSE, _BREAK = "\ue000", "\ue001", "\ue002"


def _finalize(value: Any) -> str:
    if value is None:
        text = "【请填写】"
    elif isinstance(value, datetime):
        text = _cn_datetime(value)
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
        autoescape=False,  # plain-text markup; the PDF renderer escapes for reportlab itself
        # No trim_blocks: it would eat the newline after a line ending in {% endif %}. Lines holding only a tag
        # come out empty, and empty lines mean nothing in the markup.
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters.update(
        cn_date=_cn_date,
        cn_datetime=_cn_datetime,
        yuan=_yuan,
        money=display_yuan,  # 64,610 — for notes; documents use yuan (100.00)
        yuan_full=_yuan_full,
        in_words=amount_in_words,
        fill=_fill,
        pending=_pending,
        clip=_clip,
        mask=_mask_personal,
        cites=_cite_list,
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


# --- text -------------------------------------------------------------------------------------------------------

TXT_WIDTH = 72  # display columns; a CJK character takes two


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _indent_lines(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join([first + lines[0], *(rest + line for line in lines[1:])])


def render_txt(doc: Document) -> str:
    """Plain text to paste into a web form or chat window; notes are marked ※ so they are not pasted by mistake."""
    out: list[str] = [" " * max((TXT_WIDTH - _display_width(doc.title)) // 2, 0) + doc.title, ""]
    previous: Block | None = None
    for block in doc.blocks:
        spaced = isinstance(block, Heading | Table | Signature | Note) or isinstance(previous, Note | Table)
        if spaced and out[-1] != "":
            out.append("")
        if isinstance(block, Heading):
            out.append(f"【{block.text}】")
        elif isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Field):
            out.append(_indent_lines(block.value, f"{block.label}：", "  "))
        elif isinstance(block, ItemList):
            for n, item in enumerate(block.items, 1):
                mark = f"{n}. " if block.numbered else "· "
                out.append(_indent_lines(item, mark, " " * len(mark)))
        elif isinstance(block, Table):
            for row in block.rows:
                for col, (head, cell) in enumerate(zip(block.header, row, strict=False)):
                    out.append(_indent_lines(cell, f"{'' if col == 0 else '    '}{head}：", "      "))
                out.append("")
            if out[-1] == "":
                out.pop()
            if not block.rows:
                out.append("（无）")
        elif isinstance(block, Signature):
            for line in block.lines:
                out.append(" " * max(TXT_WIDTH - _display_width(line), 0) + line)
        elif isinstance(block, Note):
            out.append(_indent_lines(block.text, "※ 提示：", "  "))
        previous = block
    if doc.footer:
        out += ["", "—" * 20, doc.footer]
    return "\n".join(out) + "\n"


# --- shared layout helpers --------------------------------------------------------------------------------------

# Placeholders and warnings are coloured so the consumer cannot miss what is still to be filled in.
_FLAGGED = re.compile(r"【(?:请填写|待补充|不一致|警告)[^】]*】")


def _flag_spans(text: str) -> list[tuple[str, bool]]:
    spans: list[tuple[str, bool]] = []
    pos = 0
    for m in _FLAGGED.finditer(text):
        if m.start() > pos:
            spans.append((text[pos : m.start()], False))
        spans.append((m.group(), True))
        pos = m.end()
    if pos < len(text):
        spans.append((text[pos:], False))
    return spans


def _column_widths(
    table: Table, measure: Callable[[str], float], usable: float, padding: float
) -> list[float]:
    """Column widths that fit ``usable``: narrow columns keep their natural width, wide ones share the rest.

    1. The natural width of a column is its longest line plus padding.
    2. If everything fits, the spare width is spread in proportion to the natural widths.
    3. Otherwise, repeatedly fix every column narrower than an equal share of what is left (序号, 类别, 时间 …),
       then split the remainder among the wide columns in proportion to their natural width, capped at a quarter
       of the page so one long cell (a 64-character hash) cannot starve the others.
    """
    columns = range(len(table.header))
    natural = [
        max(
            measure(line)
            for cell in (table.header[c], *(r[c] for r in table.rows if c < len(r)))
            for line in cell.split("\n")
        )
        + padding
        for c in columns
    ]
    if sum(natural) <= usable:
        return [w * usable / sum(natural) for w in natural]
    fixed: dict[int, float] = {}
    while True:
        flexible = [c for c in columns if c not in fixed]
        share = (usable - sum(fixed.values())) / max(len(flexible), 1)
        narrow = [c for c in flexible if natural[c] <= share]
        if not narrow or len(narrow) == len(flexible):
            break
        fixed.update({c: natural[c] for c in narrow})
    flexible = [c for c in columns if c not in fixed]
    weights = {c: min(natural[c], usable / 4) for c in flexible}
    remainder = usable - sum(fixed.values())
    return [fixed[c] if c in fixed else remainder * weights[c] / sum(weights.values()) for c in columns]


# --- DOCX -------------------------------------------------------------------------------------------------------

DOCX_BODY_FONT = "宋体"  # conventional for court filings; 黑体 for headings
DOCX_HEADING_FONT = "黑体"
DOCX_LATIN_FONT = "Times New Roman"


def render_docx(doc: Document) -> bytes:
    from docx import Document as DocxDocument
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Emu, Pt, RGBColor

    out = DocxDocument()

    def set_fonts(style: Any, east_asian: str, size: float | None = None, bold: bool | None = None) -> None:
        style.font.name = DOCX_LATIN_FONT
        style.font.color.rgb = RGBColor(0, 0, 0)
        if size:
            style.font.size = Pt(size)
        if bold is not None:
            style.font.bold = bold
        rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)  # theme fonts would override the explicit ones
        rfonts.set(qn("w:eastAsia"), east_asian)

    styles = out.styles
    set_fonts(styles["Normal"], DOCX_BODY_FONT, 12)
    styles["Normal"].paragraph_format.space_after = Pt(4)
    styles["Normal"].paragraph_format.line_spacing = 1.3
    set_fonts(styles["Title"], DOCX_HEADING_FONT, 18, bold=True)
    title_ppr = styles["Title"].element.get_or_add_pPr()
    for border in title_ppr.findall(qn("w:pBdr")):
        title_ppr.remove(border)
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles["Title"].paragraph_format.space_after = Pt(12)
    set_fonts(styles["Heading 1"], DOCX_HEADING_FONT, 13, bold=True)
    styles["Heading 1"].paragraph_format.space_before = Pt(10)
    styles["Heading 1"].paragraph_format.space_after = Pt(4)

    section = out.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    if doc.landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(2.5 if not doc.landscape else 1.8)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    usable = Emu(section.page_width - section.left_margin - section.right_margin)

    def add_text(
        paragraph: Any, text: str, *, bold: bool = False, size: float | None = None, grey: bool = False
    ) -> None:
        for span, flagged in _flag_spans(text):
            for n, piece in enumerate(span.split("\n")):
                if n:
                    paragraph.add_run().add_break()
                run = paragraph.add_run(piece)
                run.bold = bold or None
                if size:
                    run.font.size = Pt(size)
                if flagged:
                    run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
                    run.font.highlight_color = 7  # WD_COLOR_INDEX.YELLOW
                elif grey:
                    run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    def add_field_code(paragraph: Any, code: str) -> None:
        for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
            run = paragraph.add_run()
            if kind:
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), kind)
            else:
                element = OxmlElement("w:instrText" if text == code else "w:t")
                element.set(qn("xml:space"), "preserve")
                element.text = text
            run._r.append(element)
            run.font.size = Pt(9)

    out.add_paragraph(doc.title, style="Title")
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.add_paragraph(block.text, style="Heading 1")
        elif isinstance(block, Paragraph):
            p = out.add_paragraph()
            if block.indent:
                p.paragraph_format.first_line_indent = Pt(24)
            add_text(p, block.text)
        elif isinstance(block, Field):
            p = out.add_paragraph()
            add_text(p, f"{block.label}：", bold=True)
            add_text(p, block.value)
        elif isinstance(block, ItemList):
            for n, item in enumerate(block.items, 1):
                p = out.add_paragraph()
                p.paragraph_format.left_indent = Pt(24)
                p.paragraph_format.first_line_indent = Pt(-18)
                add_text(p, f"{n}. " if block.numbered else "· ")
                add_text(p, item)
        elif isinstance(block, Table):
            # 9 pt text: a CJK character is about 9 pt wide, a Latin one about half that.
            widths = _column_widths(block, lambda s: _display_width(s) * 4.6, usable.pt, 12.0)
            t = out.add_table(rows=1 + len(block.rows), cols=len(block.header))
            t.style = "Table Grid"
            t.alignment = WD_TABLE_ALIGNMENT.CENTER
            t.autofit = False
            for c, w in enumerate(widths):
                t.columns[c].width = Pt(w)  # the grid; Word lays out fixed tables by it, not by the cells
            header_row = t.rows[0]
            tr_pr = header_row._tr.get_or_add_trPr()
            repeat = OxmlElement("w:tblHeader")  # repeat the header row on every page
            repeat.set(qn("w:val"), "true")
            tr_pr.append(repeat)
            for r, cells in enumerate([block.header, *block.rows]):
                for c, w in enumerate(widths):
                    cell = t.cell(r, c)
                    cell.width = Pt(w)
                    p = cell.paragraphs[0]
                    p.paragraph_format.space_after = Pt(0)
                    p.paragraph_format.line_spacing = 1.0
                    add_text(p, cells[c] if c < len(cells) else "", bold=r == 0, size=9)
                    if r == 0:
                        shading = OxmlElement("w:shd")
                        shading.set(qn("w:val"), "clear")
                        shading.set(qn("w:fill"), "E8E8E8")
                        cell._tc.get_or_add_tcPr().append(shading)
        elif isinstance(block, Signature):
            for n, line in enumerate(block.lines):
                p = out.add_paragraph()
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                if n == 0:
                    p.paragraph_format.space_before = Pt(18)
                add_text(p, line)
        elif isinstance(block, Note):
            p = out.add_paragraph()
            p.paragraph_format.left_indent = Pt(12)
            p_pr = p._p.get_or_add_pPr()
            shading = OxmlElement("w:shd")
            shading.set(qn("w:val"), "clear")
            shading.set(qn("w:fill"), "F2F2F2")
            p_pr.append(shading)
            add_text(p, "提示（提交前删除）：", bold=True, size=10, grey=True)
            add_text(p, block.text, size=10, grey=True)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(footer, f"{doc.footer}　　第 " if doc.footer else "第 ", size=9, grey=True)
    add_field_code(footer, "PAGE")
    add_text(footer, " 页 共 ", size=9, grey=True)
    add_field_code(footer, "NUMPAGES")
    add_text(footer, " 页", size=9, grey=True)

    props = out.core_properties
    props.title = doc.title
    props.author = ""
    props.comments = doc.footer
    props.last_modified_by = ""

    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


# --- PDF --------------------------------------------------------------------------------------------------------

CJK_FONT_ENV = "WEIQUAN_CJK_FONT"
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian/Ubuntu: fonts-wqy-microhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora/Arch layout
)
_PDF_FONT = "WeiquanCJK"


class CJKFontMissing(RuntimeError):
    """No TrueType CJK font that reportlab can embed."""


_registered_font: str | None = None


def _pdf_font() -> str:
    """Registers the embeddable CJK font once and returns its reportlab name.

    A TrueType-outline font is required: reportlab embeds a subset, so the PDF shows Chinese on any machine.
    The built-in STSong-Light CID font is not embedded (blank boxes without a local CJK font), and Noto CJK
    .ttc files have PostScript outlines that reportlab rejects (PACKAGES.md).
    """
    global _registered_font
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    override = os.environ.get(CJK_FONT_ENV)
    if override:
        if not Path(override).is_file():
            raise CJKFontMissing(f"环境变量 {CJK_FONT_ENV} 指向的字体文件不存在：{override}")
        path = override
    else:
        found = next((p for p in CJK_FONT_CANDIDATES if Path(p).is_file()), None)
        if found is None:
            raise CJKFontMissing(
                "生成 PDF 需要可嵌入的中文 TrueType 字体，但没有找到。请安装 Debian 软件包 fonts-wqy-microhei"
                "（sudo apt-get install fonts-wqy-microhei），或设置环境变量 "
                f"{CJK_FONT_ENV} 指向一个 TrueType 轮廓的 .ttf/.ttc 字体文件。"
            )
        path = found
    if _registered_font == path:
        return _PDF_FONT
    try:
        font = (
            TTFont(_PDF_FONT, path, subfontIndex=0)
            if path.lower().endswith(".ttc")
            else TTFont(_PDF_FONT, path)
        )
    except TTFError as exc:
        raise CJKFontMissing(
            f"字体 {path} 无法嵌入 PDF（{exc}）。请使用 TrueType 轮廓的字体，如 Debian 软件包 fonts-wqy-microhei；"
            "Noto CJK 等 PostScript（CFF）轮廓的字体不受支持。"
        ) from exc
    pdfmetrics.registerFont(font)
    # One face only: map bold and italic to it, so <b> never falls back to a non-embedded Helvetica.
    pdfmetrics.registerFontFamily(
        _PDF_FONT, normal=_PDF_FONT, bold=_PDF_FONT, italic=_PDF_FONT, boldItalic=_PDF_FONT
    )
    _registered_font = path
    return _PDF_FONT


def _pdf_markup(text: str, red: str = "#c00000") -> str:
    from xml.sax.saxutils import escape

    parts = []
    for span, flagged in _flag_spans(text):
        piece = escape(span).replace("\n", "<br/>")
        parts.append(f'<font color="{red}">{piece}</font>' if flagged else piece)
    return "".join(parts)


def render_pdf(doc: Document) -> bytes:
    """A4 PDF with the CJK font embedded, page numbers 第 X 页 共 Y 页 and the draft line in every footer.

    Built twice: the first pass counts the pages, the second prints "共 Y 页".
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Paragraph as RLParagraph
    from reportlab.platypus import Table as RLTable

    font = _pdf_font()
    pagesize = landscape(A4) if doc.landscape else A4
    margin_x = 18 * mm if doc.landscape else 25 * mm
    usable = pagesize[0] - 2 * margin_x

    def style(name: str, **kw: Any) -> ParagraphStyle:
        base: dict[str, Any] = {
            "fontName": font,
            "bulletFontName": font,
            "fontSize": 11,
            "leading": 18,
            "wordWrap": "CJK",
        }
        return ParagraphStyle(name, **{**base, **kw})

    title_s = style("title", fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=12)
    heading_s = style("heading", fontSize=13, leading=20, spaceBefore=10, spaceAfter=4)
    body_s = style("body", firstLineIndent=22, spaceAfter=3)
    flush_s = style("flush", spaceAfter=3)
    field_s = style("field", spaceAfter=2, leftIndent=0)
    item_s = style("item", leftIndent=20, bulletIndent=4, spaceAfter=2)
    cell_s = style("cell", fontSize=8.5, leading=11.5)
    head_cell_s = style("headcell", fontSize=9, leading=12, alignment=TA_CENTER)
    sign_s = style("sign", alignment=TA_RIGHT, spaceAfter=2)
    note_s = style(
        "note",
        fontSize=9.5,
        leading=15,
        textColor=colors.HexColor("#444444"),
        backColor=colors.HexColor("#f2f2f2"),
        borderPadding=(4, 6, 4, 6),
        spaceBefore=6,
        spaceAfter=8,
        leftIndent=6,
        rightIndent=6,
    )

    def story() -> list[Any]:
        flow: list[Any] = [RLParagraph(_pdf_markup(doc.title), title_s)]
        for block in doc.blocks:
            if isinstance(block, Heading):
                flow.append(RLParagraph(_pdf_markup(block.text), heading_s))
            elif isinstance(block, Paragraph):
                flow.append(RLParagraph(_pdf_markup(block.text), body_s if block.indent else flush_s))
            elif isinstance(block, Field):
                flow.append(
                    RLParagraph(
                        f'<font color="#333333">{_pdf_markup(block.label)}：</font>{_pdf_markup(block.value)}',
                        field_s,
                    )
                )
            elif isinstance(block, ItemList):
                for n, item in enumerate(block.items, 1):
                    bullet = f"{n}." if block.numbered else "•"
                    flow.append(RLParagraph(_pdf_markup(item), item_s, bulletText=bullet))
            elif isinstance(block, Table):
                widths = _column_widths(block, lambda s: stringWidth(s, font, 8.5), usable, 7.0)
                data = [[RLParagraph(_pdf_markup(h), head_cell_s) for h in block.header]]
                data += [
                    [
                        RLParagraph(_pdf_markup(row[c] if c < len(row) else ""), cell_s)
                        for c in range(len(block.header))
                    ]
                    for row in block.rows
                ]
                table = RLTable(data, colWidths=widths, repeatRows=1, hAlign="CENTER")
                table.setStyle(
                    TableStyle(
                        [
                            ("FONTNAME", (0, 0), (-1, -1), font),  # the cell default would be Helvetica
                            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                            ("VALIGN", (0, 0), (-1, -1), "TOP"),
                            ("LEFTPADDING", (0, 0), (-1, -1), 3),
                            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                        ]
                    )
                )
                flow += [Spacer(1, 4), table, Spacer(1, 6)]
            elif isinstance(block, Signature):
                lines = [Spacer(1, 14)] + [RLParagraph(_pdf_markup(line), sign_s) for line in block.lines]
                flow.append(KeepTogether(lines))
            elif isinstance(block, Note):
                flow.append(RLParagraph("<b>提示（提交前删除）：</b>" + _pdf_markup(block.text), note_s))
        return flow

    def build(total: int) -> tuple[bytes, int]:
        pages = [0]

        def decorate(canvas: Any, template: Any) -> None:
            pages[0] = canvas.getPageNumber()
            canvas.saveState()
            canvas.setFont(font, 8.5)
            canvas.setFillColor(colors.HexColor("#555555"))
            y = 12 * mm
            if doc.footer:
                canvas.drawString(margin_x, y, doc.footer)
            canvas.drawRightString(pagesize[0] - margin_x, y, f"第 {pages[0]} 页 共 {total or '?'} 页")
            canvas.restoreState()

        buffer = io.BytesIO()
        template = SimpleDocTemplate(
            buffer,
            pagesize=pagesize,
            leftMargin=margin_x,
            rightMargin=margin_x,
            topMargin=22 * mm,
            bottomMargin=22 * mm,
            title=doc.title,
            author="",
            creator="weiquan",
            subject=doc.footer,
            invariant=True,  # same input, same bytes
            initialFontName=font,  # else every page names a non-embedded Helvetica
        )
        template.build(story(), onFirstPage=decorate, onLaterPages=decorate)
        return buffer.getvalue(), pages[0]

    _, total = build(0)
    pdf, _ = build(total)
    return pdf


# --- files ------------------------------------------------------------------------------------------------------

_RENDERERS: dict[str, Callable[[Document], bytes]] = {
    "txt": lambda d: render_txt(d).encode("utf-8"),
    "docx": render_docx,
    "pdf": render_pdf,
}


def write_documents(docs: Sequence[Document], out_dir: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Writes each document in each format as ``<out_dir>/<filename>.<format>``; returns the paths written."""
    unknown = [f for f in formats if f not in _RENDERERS]
    if unknown:
        raise ValueError(f"未知的文件格式：{'、'.join(unknown)}（可选：{'、'.join(FORMATS)}）")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for doc in docs:
        for fmt in formats:
            path = out_dir / f"{doc.filename}.{fmt}"
            path.write_bytes(_RENDERERS[fmt](doc))
            written.append(path)
    return written


__all__ = [
    "DOCUMENT_KINDS",
    "FORMATS",
    "Block",
    "CJKFontMissing",
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
    "render_docx",
    "render_pdf",
    "render_txt",
    "sha256_file",
    "write_documents",
]
