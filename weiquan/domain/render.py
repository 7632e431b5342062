"""Lays a built ``Document`` out as plain text, DOCX or PDF; writes the files.

Building (facts → template → blocks) lives in ``documents``; this module only renders blocks, so each format
follows the same block list and the three forms of a document stay in step.
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from weiquan.domain.documents import (
    FORMATS,
    Block,
    Document,
    Field,
    Heading,
    ItemList,
    Note,
    Paragraph,
    Signature,
    Table,
)

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
#
# Safety: the document reaches Typst as JSON data in ``sys.inputs`` and is shown as strings, never parsed as
# markup, so a consumer's ``#``, ``$``, ``*``, ``_``, `` ` ``, ``<``, ``@``, ``\``, ``[ ]`` prints as written.
# Bounds: the text is limited to ``PDF_MAX_CHARS`` characters, and Typst runs in a child process that is killed
# after ``PDF_TIMEOUT_S`` seconds (an in-process compile cannot be interrupted), with a memory limit; at most
# ``PDF_CONCURRENCY`` compiles run at once, so a long story cannot tie up the server's threads for long.

log = logging.getLogger(__name__)

PDF_MAX_CHARS = 100_000  # about 75 pages; a 12315 complaint takes at most 500 characters of story
PDF_TIMEOUT_S = 20.0  # wall clock, waiting for a free slot included
PDF_MEMORY_BYTES = 2 << 30  # address-space limit of the Typst process
PDF_CONCURRENCY = max(os.cpu_count() or 1, 1)
PDF_BODY_FONT = "Noto Serif SC"  # the 宋体 of court filings
PDF_HEADING_FONT = "Noto Sans SC"  # the 黑体 of titles and headings

UNAVAILABLE_MESSAGE = "暂时无法生成 PDF 文件。请下载同一份文书的文本或 Word 版本，内容完全相同。"


class RenderError(RuntimeError):
    """A document cannot be rendered in this format; ``str(exc)`` is a plain Chinese message for the consumer."""


class PdfUnavailable(RenderError):
    """PDF rendering does not work on this installation (Typst or the font package missing or broken)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(UNAVAILABLE_MESSAGE)
        self.detail = detail  # for the operator's log, never shown to the consumer


CJKFontMissing = PdfUnavailable  # the name the web views and the evidence bundle used before Typst


class DocumentTooLong(RenderError):
    """The document's text is over ``PDF_MAX_CHARS``."""


class RenderTimeout(RenderError):
    """Rendering took longer than ``PDF_TIMEOUT_S`` (or no slot became free in that time)."""


def _font_folder() -> Path | None:
    """The folder of the Noto SC fonts installed with the Python package ``pylopdf-fonts-zh-cn``."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    serif, sans = pylopdf_fonts_zh_cn.serif_path(), pylopdf_fonts_zh_cn.sans_path()
    return serif.parent if serif.is_file() and sans.is_file() and serif.parent == sans.parent else None


def pdf_unavailable_reason() -> str | None:
    """Why PDFs cannot be made here, for the operator (``weiquan serve`` prints it); ``None`` when they can.

    Cheap: looks for the packages and the font files, renders nothing.
    """
    if importlib.util.find_spec("typst") is None:
        return "Python 包 typst 未安装"
    if _font_folder() is None:
        return "Python 包 pylopdf-fonts-zh-cn 未安装或缺少 Noto SC 字体文件"
    return None


# Runs in the child process: reads {"source", "doc", "fonts"} as JSON on stdin, writes the PDF to stdout.
_WORKER = """
import json, sys
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
except (ImportError, ValueError, OSError):
    pass
try:
    import typst
except ImportError as exc:
    sys.stderr.write(f"typst: {exc}")
    sys.exit(3)
job = json.load(sys.stdin.buffer)
fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[job["fonts"]])
try:
    pdf = typst.compile(job["source"].encode(), font_paths=fonts, ignore_system_fonts=True,
                        sys_inputs={"doc": job["doc"]})
except typst.TypstError as exc:
    sys.stderr.write(f"typst: {exc.message} {exc.diagnostic}")
    sys.exit(4)
sys.stdout.buffer.write(pdf)
"""

# The layout. Every value comes from sys.inputs.doc as a string and is placed as content, never evaluated.
_TYPST_SOURCE = r"""
#let d = json(bytes(sys.inputs.doc))
#let serif = "__BODY__"
#let sans = "__HEADING__"
#let red = rgb("#c00000")
#let grey = luma(85)

// A rich text is a list of [text, flagged, kind] spans. Flagged ones are the 【请填写…】 slots (red on yellow).
// Kind "run": a long Latin run (a SHA-256, a URL), allowed to wrap between any two characters; the first and last
// characters stay plain text, so Typst still spaces them from the Chinese around. Kind "quote": quotation marks,
// set full width as Chinese text has them (the fonts' default glyphs are the narrow Latin ones).
#let rich(spans) = {
  for (s, flagged, kind) in spans {
    let body = if kind == "run" {
      let cs = s.clusters()
      [#cs.first()#cs.slice(1, -1).map(box).join()#cs.last()]
    } else if kind == "quote" { text(features: ("fwid",), s) } else { s }
    if flagged { highlight(fill: rgb("#fff2b3"), text(fill: red, body)) } else { body }
  }
}

#set document(title: d.plain_title, author: ())
#set page(
  paper: "a4",
  flipped: d.landscape,
  margin: if d.landscape { (x: 18mm, top: 20mm, bottom: 22mm) } else { (x: 25mm, top: 25mm, bottom: 25mm) },
  footer: context {
    set text(size: 8.5pt, fill: grey)
    set par(first-line-indent: 0em, justify: false)
    grid(
      columns: (1fr, auto),
      column-gutter: 2em,
      align: (left, right),
      d.footer,
      [第 #counter(page).display() 页 共 #counter(page).final().first() 页],
    )
  },
)
#set text(font: serif, size: 12pt, lang: "zh", region: "cn")
#set par(justify: true, leading: 0.9em, spacing: 0.9em, first-line-indent: (amount: 2em, all: true))
#show heading: it => block(above: 1.3em, below: 0.7em, sticky: true,
  text(font: sans, size: 13pt, weight: "regular", it.body))
#show list: set par(first-line-indent: 0em)
#show enum: set par(first-line-indent: 0em)
#set list(indent: 0.5em, body-indent: 0.6em, marker: text(font: sans, size: 0.45em, baseline: -0.15em)[●])
#set enum(indent: 0.5em, body-indent: 0.6em)

#{
  set par(first-line-indent: 0em, justify: false)
  align(center, block(below: 1.5em, text(font: sans, size: 18pt, rich(d.title))))
}

#for b in d.blocks {
  if b.t == "heading" {
    heading(level: 1, rich(b.text))
  } else if b.t == "paragraph" {
    if b.indent { par(rich(b.text)) } else { par(first-line-indent: 0em, rich(b.text)) }
  } else if b.t == "field" {
    par(first-line-indent: 0em, [#text(font: sans, fill: luma(51))[#rich(b.label)：]#rich(b.text)])
  } else if b.t == "list" {
    if b.numbered { enum(..b.items.map(rich)) } else { list(..b.items.map(rich)) }
  } else if b.t == "table" {
    set text(size: 9pt)
    set par(justify: false, first-line-indent: 0em, leading: 0.55em)
    let n = b.header.len()
    block(above: 0.8em, below: 1em, table(
      columns: b.widths.map(w => w * 1fr),
      stroke: 0.5pt,
      inset: (x: 3pt, y: 4pt),
      fill: (_, y) => if y == 0 { luma(232) },
      align: (_, y) => if y == 0 { center + horizon } else { left + top },
      table.header(..b.header.map(c => text(font: sans, rich(c)))),
      ..if b.rows.len() == 0 { (table.cell(colspan: n)[（无）],) } else { b.rows.map(r => r.map(c => [#rich(c)])).flatten() },
    ))
  } else if b.t == "signature" {
    block(above: 2em, breakable: false, width: 100%, {
      set par(first-line-indent: 0em, justify: false)
      align(right, b.lines.map(rich).join(linebreak()))
    })
  } else if b.t == "note" {
    block(
      width: 100%, above: 1em, below: 1em, inset: (x: 8pt, y: 6pt), radius: 2pt,
      fill: luma(242), stroke: (left: 2.5pt + luma(150)),
      {
        set text(size: 10pt, fill: luma(60))
        set par(first-line-indent: 0em)
        [#text(font: sans)[提示（提交前删除）：]#rich(b.text)]
      },
    )
  }
}
""".replace("__BODY__", PDF_BODY_FONT).replace("__HEADING__", PDF_HEADING_FONT)

# A Latin run this long (a domain, an order number, a SHA-256) may wrap anywhere: else it overflows a table cell,
# or leaves a justified line of Chinese with wide gaps before it. Quotation marks are set full width.
_SPECIAL = re.compile(r"(?P<run>[!-~]{10,})|(?P<quote>[“”‘’]+)")


def _rich(text: str) -> list[tuple[str, bool, str]]:
    """``text`` as [text, flagged, kind] spans for the Typst ``rich`` function (kind: "", "run" or "quote")."""
    spans: list[tuple[str, bool, str]] = []
    for span, flagged in _flag_spans(text):
        pos = 0
        for m in _SPECIAL.finditer(span):
            if m.start() > pos:
                spans.append((span[pos : m.start()], flagged, ""))
            spans.append((m.group(), flagged, m.lastgroup or ""))
            pos = m.end()
        if pos < len(span):
            spans.append((span[pos:], flagged, ""))
    return spans


def _pdf_data(doc: Document) -> dict[str, Any]:
    usable = (297 - 2 * 18 if doc.landscape else 210 - 2 * 25) / 25.4 * 72  # points
    blocks: list[dict[str, Any]] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            blocks.append({"t": "heading", "text": _rich(block.text)})
        elif isinstance(block, Paragraph):
            blocks.append({"t": "paragraph", "text": _rich(block.text), "indent": block.indent})
        elif isinstance(block, Field):
            blocks.append({"t": "field", "label": _rich(block.label), "text": _rich(block.value)})
        elif isinstance(block, ItemList):
            blocks.append({"t": "list", "numbered": block.numbered, "items": [_rich(i) for i in block.items]})
        elif isinstance(block, Table):
            n = len(block.header)
            rows = [[_rich(row[c] if c < len(row) else "") for c in range(n)] for row in block.rows]
            # 9 pt text: a CJK character is 9 pt wide, a Latin one about half; 6 pt of cell padding.
            widths = _column_widths(block, lambda s: _display_width(s) * 4.5, usable, 8.0)
            blocks.append(
                {
                    "t": "table",
                    "header": [_rich(h) for h in block.header],
                    "rows": rows,
                    "widths": [round(w, 2) for w in widths],
                }
            )
        elif isinstance(block, Signature):
            blocks.append({"t": "signature", "lines": [_rich(line) for line in block.lines]})
        elif isinstance(block, Note):
            blocks.append({"t": "note", "text": _rich(block.text)})
    return {
        "title": _rich(doc.title),
        "plain_title": doc.title,
        "footer": doc.footer,
        "landscape": doc.landscape,
        "blocks": blocks,
    }


def _text_length(doc: Document) -> int:
    parts: list[str] = [doc.title, doc.footer]
    for block in doc.blocks:
        if isinstance(block, Field):
            parts += [block.label, block.value]
        elif isinstance(block, ItemList):
            parts += block.items
        elif isinstance(block, Table):
            parts += [*block.header, *(cell for row in block.rows for cell in row)]
        elif isinstance(block, Signature):
            parts += block.lines
        else:
            parts.append(block.text)
    return sum(len(p) for p in parts)


_slots = threading.BoundedSemaphore(PDF_CONCURRENCY)


def render_pdf(doc: Document, *, timeout: float | None = None) -> bytes:
    """A4 PDF (landscape for ``doc.landscape``) with Noto Serif/Sans SC embedded, typeset as a Chinese document.

    Paragraphs justified with a 2-character first-line indent, centred title, headings in the sans face,
    right-aligned signature block, notes to the consumer on grey with a bar, 【请填写…】 slots in red, and
    "草稿 …  第 X 页 共 Y 页" in every footer. Raises a ``RenderError`` with a consumer-plain Chinese message
    when the text is too long, rendering takes over ``timeout`` seconds, or PDFs cannot be made here.

    Why Typst: a Chinese PDF must carry its font, or it shows blank boxes on a phone or a court's computer
    without one. The CJK fonts that arrive with the Python install (Noto Sans/Serif SC, OFL, in the PyPI package
    ``pylopdf-fonts-zh-cn``) have CFF (PostScript) outlines, which reportlab cannot embed: it takes TrueType
    outlines only, so it needed a font installed with apt. Typst (the PyPI wheel ``typst``, the compiler inside,
    offline) embeds and subsets OTF/CFF fonts, breaks lines by the Chinese rules (no line starts with
    。，；：、！？）》」, none ends with （《「), justifies CJK text and counts "共 Y 页" in one pass; time grows
    linearly with the text (bench/render.py: about 0.02–0.03 s a page after ~50 ms to start the process).
    """
    length = _text_length(doc)
    if length > PDF_MAX_CHARS:
        raise DocumentTooLong(
            f"这份文书有 {length} 字，超过了 PDF 版本的上限 {PDF_MAX_CHARS} 字。"
            "请把案情描述精简到要点（时间、金额、经过、诉求）后再生成；文本和 Word 版本不受此限。"
        )
    reason = pdf_unavailable_reason()
    if reason:
        log.error("PDF rendering unavailable: %s", reason)
        raise PdfUnavailable(reason)
    folder = _font_folder()
    assert folder is not None
    job = json.dumps(
        {
            "source": _TYPST_SOURCE,
            "doc": json.dumps(_pdf_data(doc), ensure_ascii=False),
            "fonts": str(folder),
        },
        ensure_ascii=False,
    ).encode("utf-8")
    limit = PDF_TIMEOUT_S if timeout is None else timeout
    started = time.monotonic()
    too_slow = RenderTimeout(
        "生成 PDF 用时过长，已停止。请稍后再试，或先下载同一份文书的文本或 Word 版本；案情描述很长时，精简后会快很多。"
    )
    if not _slots.acquire(timeout=limit):
        raise too_slow
    try:
        remaining = max(limit - (time.monotonic() - started), 0.1)
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-c", _WORKER, str(PDF_MEMORY_BYTES)],
                input=job,
                capture_output=True,
                timeout=remaining,
                check=False,
                env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
            )
        except subprocess.TimeoutExpired:
            log.warning("PDF rendering of %s stopped after %.1f s", doc.kind, limit)
            raise too_slow from None
        except OSError as exc:
            log.error("PDF renderer could not start: %s", exc)
            raise PdfUnavailable(str(exc)) from exc
    finally:
        _slots.release()
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        detail = done.stderr.decode("utf-8", "replace")[-2000:]
        log.error("PDF rendering of %s failed (exit %s): %s", doc.kind, done.returncode, detail)
        raise PdfUnavailable(detail)
    return done.stdout


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
    "PDF_MAX_CHARS",
    "PDF_TIMEOUT_S",
    "CJKFontMissing",
    "DocumentTooLong",
    "PdfUnavailable",
    "RenderError",
    "RenderTimeout",
    "pdf_unavailable_reason",
    "render_docx",
    "render_pdf",
    "render_txt",
    "write_documents",
]
