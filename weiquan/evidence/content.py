"""What the locker accepts, judged by the bytes (never by the file name), and the photo time from EXIF.

Electronic evidence must be kept in its original form (证据规定 Art. 15 ¶2), so nothing here converts or
re-encodes a file: it only decides whether to keep it, and under which content type.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import struct
from pathlib import Path
from typing import Any

import filetype
from django.utils.translation import gettext as _

from weiquan.domain.facts import CHINA_TZ

ACCEPTED: dict[str, str] = {
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/apng": "PNG",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "image/gif": "GIF",
    "video/mp4": "MP4",
    "video/quicktime": "MOV",
    "video/webm": "WebM",
    "video/3gpp": "3GP",
    "audio/mpeg": "MP3",
    "audio/mp4": "M4A",
    "audio/amr": "AMR",
    "audio/x-wav": "WAV",
    "audio/ogg": "OGG",
    "application/pdf": "PDF",
    "text/plain": "TXT",
    "message/rfc822": "EML",
    "text/html": "HTML",
}
EXECUTABLE = {
    "application/x-msdownload",
    "application/x-executable",
    "application/wasm",
    "application/x-shockwave-flash",
    "application/x-google-chrome-extension",
    "application/x-deb",
    "application/x-rpm",
}
ARCHIVE = {
    "application/zip",
    "application/x-rar-compressed",
    "application/x-7z-compressed",
    "application/gzip",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-tar",
    "application/zstd",
}
TEXT_SAMPLE = 64 * 1024
_EMAIL_HEADER = re.compile(
    r"(?i)(from|to|subject|date|received|return-path|message-id|mime-version|delivered-to|x-[\w-]+):"
)


class EvidenceRejected(Exception):
    """An upload the locker refuses; ``message`` is shown to the consumer as it is. Nothing was stored."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status  # what the API answers: 413 over the size limit, 422 otherwise


def accepted_summary() -> str:
    return _(
        "可以上传：图片（JPG、PNG、WebP、HEIC、GIF）、视频（MP4、MOV、WebM、3GP）、音频（MP3、M4A、AMR、WAV、OGG）、"
        "PDF、文字记录（TXT、EML）、网页（HTML）。"
    )


def too_large(name: str | None, limit: int) -> EvidenceRejected:
    subject = _("文件「%(name)s」") % {"name": name} if name else _("文件")
    return EvidenceRejected(
        _("%(subject)s超过 %(limit)s 的上限，未保存。较长的录屏请分段录制后逐段上传。")
        % {"subject": subject, "limit": human_size(limit)},
        status=413,
    )


def human_size(n: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} 字节"


def detect_content_type(path: Path, name: str) -> str:
    """The content type of the file at ``path`` if the locker keeps it, else ``EvidenceRejected``."""
    with open(path, "rb") as fh:
        head = fh.read(TEXT_SAMPLE)
    mime = _iso_media(head) or _guess(head)
    if mime in ACCEPTED:
        return mime
    if mime is None:
        mime = _text_type(head)
        if mime in ACCEPTED:
            return mime
    if mime in EXECUTABLE or mime == "text/x-script":
        raise EvidenceRejected(
            _(
                "「%(name)s」的内容是可执行程序或脚本，不能作为证据保存（是否接受按文件内容判断，与扩展名无关）。"
            )
            % {"name": name}
        )
    if mime in ARCHIVE:
        raise EvidenceRejected(
            _("「%(name)s」是压缩包。请解压后把里面的截图、录屏、聊天记录逐个上传。") % {"name": name}
        )
    if mime:
        raise EvidenceRejected(
            _("「%(name)s」的类型（%(mime)s）不能保存为证据。") % {"name": name, "mime": mime}
            + accepted_summary()
        )
    raise EvidenceRejected(
        _("无法识别「%(name)s」的文件类型，未保存。") % {"name": name} + accepted_summary()
    )


def _guess(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind else None


def _iso_media(head: bytes) -> str | None:
    """MP4-family files told apart by their major brand.

    filetype checks compatible brands first, so an iPhone voice memo (M4A, compatible with mp42) comes out as
    video/mp4, and it never recognises 3GP (it looks for "ftyp3gp" at offset 0 instead of 4).
    """
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    brand = head[8:12].decode("latin-1")
    if brand.startswith(("3gp", "3g2")):
        return "video/3gpp"
    if brand == "qt  ":
        return "video/quicktime"
    if brand in ("M4A ", "M4B "):
        return "audio/mp4"
    if brand in ("heic", "heix", "heim", "heis", "mif1", "msf1"):
        return "image/heic" if brand.startswith("he") or b"heic" in head[16:64] else None
    if brand.startswith(("mp4", "iso", "avc1", "M4V", "dash", "MSNV", "f4v")):
        return "video/mp4"
    return None


def _text_type(head: bytes) -> str | None:
    """text/plain, message/rfc822 or text/html when the sample reads as text; None for binary data.

    Chat exports and e-mails are UTF-8, UTF-16 with a BOM (Windows tools) or GB18030/GBK (older Chinese
    software). Binary data almost always holds NUL bytes or sequences that are invalid in all of these.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode(head, "utf-16")
    elif b"\x00" in head:
        return None
    else:
        text = _decode(head, "utf-8-sig") or _decode(head, "gb18030")
    if not text:
        return None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b")
    if controls > len(text) // 100:
        return None
    start = text.lstrip("\ufeff \t\r\n")
    if start.startswith("#!"):
        return "text/x-script"
    if start[:15].lower().startswith(("<!doctype html", "<html")):
        return "text/html"
    if _EMAIL_HEADER.match(start):  # an e-mail starts with a header line
        return "message/rfc822"
    return "text/plain"


def _decode(data: bytes, encoding: str) -> str | None:
    try:
        # Not final: the sample may end inside a multi-byte character.
        return codecs.getincrementaldecoder(encoding)().decode(data, final=False)
    except UnicodeDecodeError:
        return None


def _pixel_limit() -> int:
    from django.conf import settings
    from PIL import Image

    # Pillow's own guard: it warns above MAX_IMAGE_PIXELS and raises above twice that. The warning is an error
    # here (weiquan.evidence.apps sets the filter once at start-up, for every thread), so both are refused.
    Image.MAX_IMAGE_PIXELS = settings.EVIDENCE_MAX_IMAGE_PIXELS
    return int(settings.EVIDENCE_MAX_IMAGE_PIXELS)


def _pixels(n: int) -> str:
    return f"{n / 10_000:g} 万像素" if n >= 10_000 else f"{n} 像素"


def bomb(name: str, pixels: int | None = None) -> EvidenceRejected:
    size = _("有 %s，") % _pixels(pixels) if pixels else ""
    return EvidenceRejected(
        _(
            "图片「%(name)s」%(size)s超过 %(limit)s的上限，可能是恶意构造的文件（解压炸弹），未保存。"
            "如果是手机原图，请用相机的常规分辨率重新拍摄，或截图后上传。"
        )
        % {"name": name, "size": size, "limit": _pixels(_pixel_limit())}
    )


def _bomb_pixels(exc: Exception) -> int | None:
    # Pillow says "Image size (144000000 pixels) exceeds limit of …".
    match = re.search(r"\((\d+) pixels\)", str(exc))
    return int(match.group(1)) if match else None


def inspect_image(path: Path, name: str) -> dt.datetime | None:
    """Refuses a decompression bomb, then returns the photo time from EXIF; never decodes a pixel.

    ``Image.open`` reads only the header (format, size, and for JPEG/WebP/TIFF the EXIF block). A PNG keeps EXIF in
    an eXIf chunk that may come after the image data, where Pillow's ``getexif()`` would decode the whole image to
    reach it (12000×12000 pixels: about 540 MB); that chunk is found by walking the chunk headers instead.
    """
    from PIL import Image, UnidentifiedImageError

    limit = _pixel_limit()
    try:
        with Image.open(path) as img:
            width, height = img.size
            if width * height > limit:
                raise bomb(name, width * height)
            if img.format == "PNG":
                exif = Image.Exif()
                raw = img.info.get("exif") or _png_exif_chunk(path)
                if raw:
                    exif.load(raw)
            else:
                exif = img.getexif()  # read at open from the file's EXIF segment: no decoding
            return _taken_at(exif.get_ifd(0x8769))  # the Exif sub-IFD
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise bomb(name, _bomb_pixels(exc)) from None
    except EvidenceRejected:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, KeyError, struct.error):
        return None  # Best effort: a missing or broken EXIF block never stops the original from being stored.


def _png_exif_chunk(path: Path) -> bytes | None:
    """The eXIf chunk's data, found by reading chunk headers and seeking past their data."""
    with open(path, "rb") as fh:
        if fh.read(8) != b"\x89PNG\r\n\x1a\n":
            return None
        while header := fh.read(8):
            if len(header) < 8:
                return None
            length, kind = struct.unpack(">I4s", header)
            if kind == b"eXIf":
                return fh.read(min(length, 1024 * 1024))
            if kind == b"IEND":
                return None
            fh.seek(length + 4, 1)  # data and CRC
    return None


def exif_taken_at(path: Path) -> dt.datetime | None:
    """DateTimeOriginal from the photo's EXIF (see ``inspect_image``); None for a bomb or a broken file."""
    try:
        return inspect_image(path, path.name)
    except EvidenceRejected:
        return None


def _taken_at(exif: Any) -> dt.datetime | None:
    """DateTimeOriginal; without an OffsetTimeOriginal it is read as Beijing time.

    Phones write local time without a zone; the consumers are in China.
    """
    raw, offset = exif.get(36867), exif.get(36881)  # DateTimeOriginal, OffsetTimeOriginal
    if not isinstance(raw, str):
        return None
    try:
        taken = dt.datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None  # "0000:00:00 00:00:00" and other placeholders
    if isinstance(offset, str) and re.fullmatch(r"[+-]\d\d:\d\d", offset.strip("\x00 ")):
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        return taken.replace(tzinfo=dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes)))
    return taken.replace(tzinfo=CHINA_TZ)
