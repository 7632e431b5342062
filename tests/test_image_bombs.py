"""Issue 12 point 3: a decompression bomb is refused with a Chinese message, nothing stored, memory stays small;
EXIF is read without decoding a pixel."""

from __future__ import annotations

import io
import re
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageFile

from weiquan.evidence.content import EvidenceRejected, inspect_image
from weiquan.evidence.models import Evidence

pytestmark = pytest.mark.django_db


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """An RGB PNG of width×height black pixels, compressed row by row (never the whole image in memory)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = bytes(1 + 3 * width)  # filter byte 0, then black pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def bomb_bytes() -> bytes:
    return png_bomb(12000, 12000)


def exif_block(taken: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = taken  # DateTimeOriginal
    return exif.tobytes()


def png_with_exif_after_the_pixels(taken: str) -> bytes:
    """eXIf after IDAT, where Pillow's own getexif() would decode the whole image to reach it."""
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, "PNG")
    data = buf.getvalue()
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + _chunk(b"eXIf", exif_block(taken)) + data[iend:]


def _memory_kb() -> tuple[int, int]:
    status = Path("/proc/self/status").read_text()
    return (
        int(re.search(r"VmHWM:\s+(\d+)", status).group(1)),
        int(re.search(r"VmRSS:\s+(\d+)", status).group(1)),
    )


def test_png_bomb_is_refused_without_decoding(alice_client, alice_case, bomb_bytes, settings):
    assert len(bomb_bytes) < 600 * 1024  # 144 million pixels in about 420 KB
    url = reverse("evidence_upload", args=[alice_case.public_id])
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak resident size (VmHWM) to the current one
    _, rss_before = _memory_kb()
    tracemalloc.start()
    response = alice_client.post(
        url, {"file": SimpleUploadedFile("截图.png", bomb_bytes), "kind": "cs_chat"}, follow=True
    )
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_kb, _ = _memory_kb()

    page = response.content.decode()
    assert (
        "图片「截图.png」有 14400 万像素，超过 12000 万像素的上限，可能是恶意构造的文件（解压炸弹），未保存。"
        in page
    )
    assert not Evidence.objects.filter(case=alice_case, declared=False).exists()
    stored = [p for p in Path(settings.EVIDENCE_DIR).rglob("*") if p.is_file()]
    assert stored == []  # no blob, no temp file left behind
    # Decoding would need 12000×12000×3 bytes = 412 MB; the whole upload request stays within a few MB.
    print(f"peak RSS growth {(peak_kb - rss_before) / 1024:.1f} MB, Python peak {python_peak / 2**20:.1f} MB")
    assert peak_kb - rss_before < 40 * 1024
    assert python_peak < 20 * 2**20


def test_the_api_refuses_a_png_bomb_in_chinese(client, alice, alice_case, bomb_bytes):
    from weiquan.accounts.models import ApiToken

    token = ApiToken.issue(alice)
    response = client.post(
        f"/api/cases/{alice_case.public_id}/evidence",
        {"file": SimpleUploadedFile("bomb.png", bomb_bytes), "kind": "cs_chat"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("图片「bomb.png」有 14400 万像素，超过 12000 万像素的上限")
    assert not Evidence.objects.filter(case=alice_case, declared=False).exists()


def test_an_image_where_pillow_only_warns_is_refused_too(tmp_path, settings):
    # Between the limit and twice the limit Pillow only warns (DecompressionBombWarning); that is refused too.
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 1000
    path = tmp_path / "wide.png"
    Image.new("RGB", (40, 30)).save(path)  # 1200 pixels
    with pytest.raises(EvidenceRejected, match="图片「wide.png」有 1200 像素，超过 1000 像素的上限"):
        inspect_image(path, "wide.png")
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 1200
    assert inspect_image(path, "wide.png") is None  # within the limit: kept (it has no EXIF)


def test_the_bomb_warning_is_raised_not_printed_in_the_server():
    # The server process (not pytest, which resets warning filters per test) turns Pillow's warning into an error.
    import subprocess
    import sys

    code = (
        "import django, os, warnings; os.environ['DJANGO_SETTINGS_MODULE'] = 'weiquan.settings'; django.setup();"
        "from PIL import Image; print(Image.MAX_IMAGE_PIXELS);"
        "print([f[0] for f in warnings.filters if f[2] is Image.DecompressionBombWarning])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["120000000", "['error']"]


def test_exif_is_read_without_decoding_pixels(tmp_path, monkeypatch):
    def no_decoding(self):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    late = tmp_path / "late-exif.png"
    late.write_bytes(png_with_exif_after_the_pixels("2026:11:20 21:15:03"))
    jpeg = tmp_path / "photo.jpg"
    buf = io.BytesIO()
    monkeypatch.undo()
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = "2026:11:21 08:00:00"
    Image.new("RGB", (32, 24), "white").save(buf, "JPEG", exif=exif)
    jpeg.write_bytes(buf.getvalue())
    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)

    assert inspect_image(late, "late-exif.png").isoformat() == "2026-11-20T21:15:03+08:00"
    assert inspect_image(jpeg, "photo.jpg").isoformat() == "2026-11-21T08:00:00+08:00"


def test_a_large_ordinary_photo_is_still_kept(alice_client, alice_case):
    # 4000×3000 (a 12 MP phone photo) is far below the limit.
    buf = io.BytesIO()
    Image.new("RGB", (4000, 3000), "gray").save(buf, "JPEG", quality=30)
    url = reverse("evidence_upload", args=[alice_case.public_id])
    alice_client.post(url, {"file": SimpleUploadedFile("photo.jpg", buf.getvalue()), "kind": "cs_chat"})
    assert Evidence.objects.filter(case=alice_case, declared=False, original_name="photo.jpg").exists()
