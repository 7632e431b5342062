"""PDF documents: Chinese fonts embedded from the Python install, typeset as Chinese documents, bounded in time.

The layout checks read the PDF back with poppler (``pdffonts``, ``pdftotext -bbox``, ``pdftoppm``), as a reader's
viewer would see it, not Typst's source.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from weiquan.domain import render
from weiquan.domain.documents import (
    DOCUMENT_KINDS,
    Document,
    Field,
    Heading,
    ItemList,
    Note,
    Paragraph,
    Signature,
    Table,
    build_document,
)
from weiquan.domain.escalation import plan
from weiquan.domain.facts import CHINA_TZ, CaseFacts, load_case
from weiquan.domain.render import render_pdf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
TODAY = date(2026, 11, 25)
CLOSING = "，。；：、！？）》」"
OPENING = "（《「【“"
POPPLER = shutil.which("pdffonts") and shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdffonts, pdftotext) is not installed")

# Points: A4 portrait 595 × 842, margins 25 mm; the body's left and right edges.
LEFT, RIGHT = 25 / 25.4 * 72, 595.28 - 25 / 25.4 * 72


def every_document(facts: CaseFacts) -> list[Document]:
    """Every kind for this case, as ``weiquan docs --all`` builds them."""
    result = plan(facts, TODAY)
    return [
        build_document(
            k, facts, problem_type=result.problem_type, today=TODAY, reply_by=result.cs_reply_by.date
        )
        for k in DOCUMENT_KINDS
    ]


def doc_of(*blocks: object, title: str = "测试文书", landscape: bool = False) -> Document:
    return Document(
        kind="test",
        title=title,
        filename="test",
        blocks=list(blocks),  # type: ignore[arg-type]
        footer="本文书为 weiquan 生成的草稿，请核对后签署；不构成法律意见。",
        landscape=landscape,
    )


# --- reading a PDF back -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def words(pdf: Path) -> list[Word]:
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found: list[Word] = []
    for n, page in enumerate(el for el in ET.fromstring(xhtml).iter() if el.tag.endswith("page")):
        for w in page:
            found.append(
                Word(n, w.text or "", *(float(w.get(k, 0)) for k in ("xMin", "yMin", "xMax", "yMax")))
            )
    return found


def line_edges(pdf: Path) -> tuple[list[Word], list[Word]]:
    """The words that begin and the words that end a visual line.

    A word begins a line when nothing on the same line ends just before it (or overlaps it), and ends one when
    nothing starts just after it. ``pdftotext`` alone cannot tell: where Typst compresses two full-width
    punctuation marks (“）：”), the glyphs overlap and pdftotext starts a new text line although the reader sees
    one. So lines are rebuilt from word boxes: same page, overlapping vertically, a neighbour less than 4 pt away
    (table cells are further apart: 3 pt of padding on each side of the rule).
    """
    ws = words(pdf)
    starts, ends = [], []
    for w in ws:
        same_line = [
            v
            for v in ws
            if v is not w and v.page == w.page and min(v.y1, w.y1) - max(v.y0, w.y0) > 0.5 * (w.y1 - w.y0)
        ]
        if not any(v.x0 < w.x0 and v.x1 > w.x0 - 4 for v in same_line):
            starts.append(w)
        if not any(v.x1 > w.x1 and v.x0 < w.x1 + 4 for v in same_line):
            ends.append(w)
    return starts, ends


def pdffonts(pdf: Path) -> list[dict[str, str]]:
    out = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    fonts = []
    for line in out[2:]:
        cols = line.split()
        # name type… encoding emb sub uni object-id generation: count from the right, the type has spaces
        fonts.append({"name": cols[0], "emb": cols[-5], "sub": cols[-4], "uni": cols[-3]})
    return fonts


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    sizes = []
    for line in info.splitlines():
        if line.startswith("Page") and "size:" in line:
            w, _x, h = line.split("size:")[1].split()[:3]
            sizes.append((float(w), float(h)))
    return sizes


def pdftext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def write(tmp_path: Path, name: str, doc: Document) -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(render_pdf(doc))
    return path


# --- every document, fonts from the Python install only -----------------------------------------------------------


@needs_poppler
def test_every_document_of_every_example_embeds_its_fonts_and_breaks_lines_the_chinese_way(
    tmp_path: Path,
) -> None:
    jobs = [(ex.stem, doc) for ex in EXAMPLES for doc in every_document(load_case(ex))]
    assert len(jobs) == len(EXAMPLES) * len(DOCUMENT_KINDS)

    def check(job: tuple[str, Document]) -> list[str]:
        stem, doc = job
        path = write(tmp_path, f"{stem}-{doc.kind}", doc)
        problems = []
        fonts = pdffonts(path)
        if not fonts:
            problems.append(f"{path.name}: no fonts")
        for f in fonts:
            if f["emb"] != "yes" or "NotoS" not in f["name"]:
                problems.append(f"{path.name}: font {f['name']} embedded={f['emb']}")
        starts, ends = line_edges(path)
        for w in starts:
            if w.text[:1] in CLOSING:
                problems.append(f"{path.name} p.{w.page + 1}: a line starts with {w.text[:12]!r}")
        for w in ends:
            if w.text[-1:] in OPENING:
                problems.append(f"{path.name} p.{w.page + 1}: a line ends with {w.text[-12:]!r}")
        sizes = page_sizes(path)
        landscape = [s[0] > s[1] for s in sizes]
        if landscape != [doc.landscape] * len(sizes) or any(round(max(s)) != 842 for s in sizes):
            problems.append(f"{path.name}: pages {sizes}, expected A4 landscape={doc.landscape}")
        return problems

    with ThreadPoolExecutor(render.PDF_CONCURRENCY) as pool:
        problems = [p for found in pool.map(check, jobs) for p in found]
    assert problems == []


@needs_poppler
def test_the_line_check_catches_a_comma_starting_a_line_and_a_bracket_ending_one(tmp_path: Path) -> None:
    # A consumer's own line breaks: the one way either can happen.
    text = "客服说\n，卡密发出后概不退换（\n见截图）。" + "理由不成立。" * 20
    starts, ends = line_edges(write(tmp_path, "breaks", doc_of(Paragraph(text))))
    assert [w.text[:1] for w in starts].count("，") == 1
    assert [w.text[-1:] for w in ends].count("（") == 1


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root for a mount namespace"
)
@needs_poppler
def test_a_machine_without_any_system_font_still_gets_chinese_pdfs(tmp_path: Path) -> None:
    """/usr/share/fonts replaced by an empty tmpfs for the render and for poppler reading it back."""
    out = tmp_path / "small_claims.pdf"
    script = (
        "import sys; from pathlib import Path; from datetime import date;"
        "from weiquan.domain.facts import load_case; from weiquan.domain.documents import build_document;"
        "from weiquan.domain.render import render_pdf;"
        f"doc = build_document('small_claims', load_case({str(EXAMPLES[0])!r}), problem_type='invalid_code',"
        " today=date(2026, 11, 25));"
        f"Path({str(out)!r}).write_bytes(render_pdf(doc))"
    )
    inner = (
        'mount -t tmpfs none /usr/share/fonts && test -z "$(ls /usr/share/fonts)" && '
        f'{sys.executable} -c "$0" && pdffonts {out} && pdftotext {out} -'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", inner, script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    if done.returncode != 0 and "Operation not permitted" in done.stderr:
        pytest.skip("mount namespaces are not allowed here")
    assert done.returncode == 0, done.stderr
    assert "NotoSerifSC" in done.stdout and " no " not in done.stdout.split("民事起诉状")[0]
    assert "民事起诉状" in done.stdout and "诉讼请求" in done.stdout
    assert [f["emb"] for f in pdffonts(out)] == ["yes"] * len(pdffonts(out))


def test_the_fonts_come_from_the_python_package() -> None:
    import pylopdf_fonts_zh_cn

    assert render._font_folder() == pylopdf_fonts_zh_cn.serif_path().parent
    assert render.pdf_unavailable_reason() is None


# --- what the reader sees -----------------------------------------------------------------------------------------


@needs_poppler
def test_text_a_consumer_typed_prints_literally_never_as_typst_markup(tmp_path: Path) -> None:
    hostile = (
        '#set text(fill: red) #panic("x") $x^2$ *粗体* _斜体_ `代码` <label> @ref \\ [链接] '
        "#{1 + 1} // 注释 /* 块 */ = 标题 ~ -- \"引号\" '单' \\#"
    )
    doc = doc_of(
        Heading(hostile),
        Paragraph(hostile),
        Paragraph(hostile, indent=False),
        Field("标签", hostile),
        ItemList((hostile,), numbered=True),
        ItemList((hostile,), numbered=False),
        Table(("列",), ((hostile,),)),
        Signature((hostile,)),
        Note(hostile),
        title=hostile,
    )
    text = pdftext(write(tmp_path, "hostile", doc))

    flat = "".join(text.split())
    expected = "".join(hostile.split())
    # title, heading, 2 paragraphs, field, 2 lists, table, signature, note: each printed as typed
    assert flat.count(expected) == 10, text


@needs_poppler
def test_paragraphs_are_justified_with_a_two_character_indent_and_the_signature_is_right_aligned(
    tmp_path: Path,
) -> None:
    long = "本人于2026年11月20日在某某卡盟购买100元游戏点卡，卡密激活时显示已被使用，客服拒绝处理。" * 4
    doc = doc_of(
        Paragraph(long),
        Paragraph("此致", indent=True),
        Paragraph("某某区人民法院", indent=False),
        Signature(("具状人：张三", "2026年11月25日")),
    )
    ws = [w for w in words(write(tmp_path, "layout", doc)) if w.page == 0]
    lines: dict[float, list[Word]] = {}
    for w in ws:
        lines.setdefault(round(w.y0), []).append(w)
    rows = [sorted(v, key=lambda w: w.x0) for _, v in sorted(lines.items())]
    title, body = rows[0], rows[1:]

    assert abs((title[0].x0 + title[-1].x1) / 2 - 595.28 / 2) < 2  # centred
    para = [r for r in body if "".join(w.text for w in r) in long]
    assert len(para) >= 3
    first, *middle, last = para
    assert abs(first[0].x0 - (LEFT + 24)) < 1.5  # 2 em of 12 pt
    assert all(abs(r[0].x0 - LEFT) < 1.5 for r in (*middle, last))
    assert all(abs(r[-1].x1 - RIGHT) < 1.5 for r in (first, *middle))  # justified to the right edge
    texts = {"".join(w.text for w in r): r for r in body}
    assert abs(texts["此致"][0].x0 - (LEFT + 24)) < 1.5
    assert abs(texts["某某区人民法院"][0].x0 - LEFT) < 1.5
    for line in ("具状人：张三", "2026年11月25日"):
        row = next(r for t, r in texts.items() if t.replace(" ", "") == line)
        assert abs(row[-1].x1 - RIGHT) < 1.5, line


@needs_poppler
def test_placeholders_are_red_and_notes_are_shaded(tmp_path: Path) -> None:
    from PIL import Image

    def colours(doc: Document) -> tuple[int, int]:
        path = write(tmp_path, "colour", doc)
        subprocess.run(
            ["pdftoppm", "-r", "72", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "c")], check=True
        )
        image = Image.open(next(tmp_path.glob("c*.png"))).convert("RGB")
        for p in tmp_path.glob("c*.png"):
            p.unlink()
        counts = image.getcolors(maxcolors=1 << 24) or []
        red = sum(n for n, (r, g, b) in counts if r > 150 and g < 90 and b < 90)
        grey = sum(n for n, rgb in counts if rgb == (242, 242, 242))  # the notes' fill
        return red, grey

    red, grey = colours(doc_of(Paragraph("原告：【请填写：姓名】，联系电话：【待补充：手机号码】")))
    assert red > 100 and grey < 100
    red, grey = colours(
        doc_of(Paragraph("原告：张三，联系电话：13800000000"), Note("提交前删除这条提示。" * 5))
    )
    assert red == 0 and grey > 5000


@needs_poppler
def test_every_page_says_page_x_of_y_and_that_it_is_a_draft(tmp_path: Path) -> None:
    facts = load_case(ROOT / "examples" / "court-8000.json")
    doc = next(d for d in every_document(facts) if d.kind == "small_claims")
    pages = pdftext(write(tmp_path, "small_claims", doc)).split("\f")[:-1]
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert f"第{n}页共{len(pages)}页" in page.replace(" ", "")
        assert "weiquan 生成的草稿" in page


@needs_poppler
def test_a_sha256_wraps_inside_its_cell_and_copies_out_whole(tmp_path: Path) -> None:
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    header = ("序号", "证据名称", "类别", "证明内容", "来源/说明", "时间", "SHA-256", "页数/备注")
    row = (
        "1",
        "订单截图",
        "交易凭证",
        "合同成立",
        "订单详情页截图",
        "2026年11月20日10时00分",
        digest,
        "共1页",
    )
    path = write(tmp_path, "hash", doc_of(Table(header, (row,)), landscape=True))
    ws = words(path)
    assert max(w.x1 for w in ws) < 841.89 - 18 / 25.4 * 72 + 1  # nothing runs past the right margin
    assert digest in "".join(pdftext(path).split())


# --- bounded ------------------------------------------------------------------------------------------------------


def test_a_document_over_the_length_limit_is_refused_with_a_chinese_message() -> None:
    doc = doc_of(Paragraph("很长的经过。" * (render.PDF_MAX_CHARS // 6 + 1)))
    started = time.monotonic()
    with pytest.raises(render.DocumentTooLong, match="超过了 PDF 版本的上限") as exc:
        render_pdf(doc)
    assert time.monotonic() - started < 0.5
    assert "精简" in str(exc.value)


def test_rendering_past_the_time_cap_stops_with_a_chinese_message() -> None:
    doc = doc_of(*(Paragraph(f"第{i}次：卡密无效，客服拒绝退款。" * 30) for i in range(150)))  # ~40 pages
    started = time.monotonic()
    with pytest.raises(render.RenderTimeout, match="用时过长"):
        render_pdf(doc, timeout=0.2)
    assert time.monotonic() - started < 2  # the child was killed, not waited for


def test_a_long_story_full_of_quotes_slots_and_links_renders_in_seconds() -> None:
    sentence = (
        "第{n}次：在 https://km{n}.example.com/order 买的点卡，客服说“卡密发出后概不退换”，"
        "订单号【请填写：订单号】，金额 100.00 元。"
    )
    story = "".join(sentence.format(n=n) for n in range(300))  # 22,000 字, 600 quotation marks
    started = time.monotonic()
    pdf = render_pdf(doc_of(Paragraph(story), Field("经过", story)))
    assert pdf.startswith(b"%PDF")
    assert time.monotonic() - started < 15  # reportlab took a minute for this much (issue 12: 50 KB, 64 s)


# --- when PDFs cannot be made -------------------------------------------------------------------------------------


def hide_font_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pylopdf_fonts_zh_cn", None)  # import raises ImportError


def test_without_the_font_package_the_consumer_gets_a_plain_message(monkeypatch: pytest.MonkeyPatch) -> None:
    hide_font_package(monkeypatch)
    assert "pylopdf-fonts-zh-cn" in (render.pdf_unavailable_reason() or "")
    with pytest.raises(render.PdfUnavailable) as exc:
        render_pdf(doc_of(Paragraph("内容")))
    message = str(exc.value)
    assert "文本或 Word 版本" in message
    for word in ("apt", "install", "pip", "uv ", "sudo", "字体", "typst", "Typst"):
        assert word not in message


def test_serve_warns_the_operator_when_pdfs_are_unavailable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: None
) -> None:
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from weiquan import cli

    def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(
            BaseApplication, "run", lambda self: None
        )  # the warning comes before the server starts
        monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test's database connection

    no_server(monkeypatch)
    hide_font_package(monkeypatch)
    assert cli.main(["serve", "--port", "8999"]) == 0
    assert "PDF 文书无法生成" in capsys.readouterr().err

    monkeypatch.undo()
    no_server(monkeypatch)
    assert cli.main(["serve", "--port", "8999"]) == 0
    assert "PDF" not in capsys.readouterr().err


@pytest.fixture
def _in_china_today():
    import time_machine

    with time_machine.travel(dt.datetime(2026, 11, 25, 10, tzinfo=CHINA_TZ), tick=False):
        yield


@pytest.mark.django_db
@pytest.mark.usefixtures("_in_china_today")
def test_the_case_page_explains_and_keeps_the_other_formats_when_a_pdf_fails(
    alice_client, alice_case, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.urls import reverse

    hide_font_package(monkeypatch)
    url = reverse("case_document", args=[alice_case.public_id, "12315", "pdf"])
    response = alice_client.get(url, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert render.UNAVAILABLE_MESSAGE in page
    for fmt in ("txt", "docx"):
        assert reverse("case_document", args=[alice_case.public_id, "12315", fmt]) in page
    assert "apt-get" not in page and "pip install" not in page
    txt = alice_client.get(reverse("case_document", args=[alice_case.public_id, "12315", "txt"]))
    assert txt.status_code == 200 and "12315" in txt.content.decode()
