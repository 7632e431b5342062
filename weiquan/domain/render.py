"""Lays a built ``Document`` out as plain text, DOCX or PDF; writes the files.

Building (facts → template → blocks) lives in ``documents``; this module only renders blocks, so each format
follows the same block list and the three forms of a document stay in step.
"""

from __future__ import annotations

import io
import os
import re
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
    "CJKFontMissing",
    "render_docx",
    "render_pdf",
    "render_txt",
    "write_documents",
]
