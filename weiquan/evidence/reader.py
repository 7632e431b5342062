"""Reads a screenshot or photo offline with rapidocr 3.x (its ONNX models ship in the wheel).

One engine per process, created on first use (loading takes a few seconds; later images take 1–2 s on 2 cores).
The engine is not thread-safe, so calls are serialised with a lock. Field extraction is pure and lives in
weiquan/domain/ocr_fields.py.
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path
from typing import Any

from weiquan.domain.ocr_fields import OcrLine, Reading, extract

MAX_PIXELS = 40_000_000  # a 1080×2400 screenshot is 2.6 Mpx; refuse decompression bombs

_engine: Any = None
_lock = threading.Lock()


class ReadError(ValueError):
    """The file is not an image we can read; the message is Chinese."""


def _quiet() -> None:
    for name in ("RapidOCR", "rapidocr"):
        logging.getLogger(name).setLevel(logging.WARNING)


def engine() -> Any:
    """The process's OCR engine, created lazily."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _quiet()
                from rapidocr import RapidOCR

                _engine = RapidOCR()
                _quiet()  # RapidOCR() installs its own handlers at INFO
    return _engine


def _image(data: bytes) -> Any:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_PIXELS:
            raise ReadError(f"图片太大（{img.width}×{img.height} 像素）：请截取需要的部分后再上传")
        img = ImageOps.exif_transpose(img)  # phone photos: upright as they were taken
        return img.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise ReadError("不是可以识别的图片：请上传 PNG、JPEG 或 WebP 格式的截图或照片") from exc


def ocr_lines(data: bytes) -> list[OcrLine]:
    import numpy as np

    img = _image(data)
    eng = engine()
    with _lock:
        result = eng(np.asarray(img)[:, :, ::-1])  # rapidocr (OpenCV) expects BGR
    boxes = getattr(result, "boxes", None)
    if boxes is None:
        return []
    lines = []
    for box, text, score in zip(boxes, result.txts, result.scores, strict=False):
        xs, ys = box[:, 0], box[:, 1]
        lines.append(
            OcrLine(
                str(text), (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())), float(score)
            )
        )
    return lines


def read_bytes(data: bytes) -> Reading:
    return extract(ocr_lines(data))


def read_file(path: str | Path) -> Reading:
    try:
        data = Path(path).read_bytes()
    except OSError:
        raise ReadError(f"找不到或无法读取文件：{path}") from None
    return read_bytes(data)
