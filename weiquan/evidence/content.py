"""What the locker accepts, judged by the bytes (never by the file name), and the photo time from EXIF.

Electronic evidence must be kept in its original form (证据规定 Art. 15 ¶2), so nothing here converts or
re-encodes a file: it only decides whether to keep it, and under which content type.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import warnings
from pathlib import Path

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


def exif_taken_at(path: Path) -> dt.datetime | None:
    """DateTimeOriginal from the photo's EXIF; without an OffsetTimeOriginal it is read as Beijing time.

    Phones write local time without a zone; the consumers are in China. Best effort: a missing or broken EXIF
    block never stops the original from being stored.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: we only read the header
            with Image.open(path) as img:
                exif = img.getexif().get_ifd(0x8769)  # the Exif sub-IFD
    except Exception:
        return None
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
