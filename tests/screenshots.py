"""Phone screenshots the OCR tests and bench/ocr.py draw themselves (Pillow + the Noto Sans SC font of the
pylopdf-fonts-zh-cn package, or WQY Micro Hei from /usr/share/fonts when the package is missing)."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1080, 2400


def font_path() -> str:
    try:
        path = importlib.resources.files("pylopdf_fonts_zh_cn") / "NotoSansSC-Regular.otf"
        if path.is_file():
            return str(path)
    except ModuleNotFoundError:
        pass
    for p in Path("/usr/share/fonts").rglob("wqy-microhei.ttc"):
        return str(p)
    raise RuntimeError("没有可用的中文字体：请安装 pylopdf-fonts-zh-cn 或 fonts-wqy-microhei")


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(), size)


def _screen(title: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (WIDTH, HEIGHT), (245, 245, 245))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, WIDTH, 150], fill=(255, 255, 255))
    d.text((WIDTH // 2, 95), title, font=_font(44), fill=(20, 20, 20), anchor="mm")
    return img, d


def _rows(
    d: ImageDraw.ImageDraw, top: int, rows: list[tuple[str, str]], label_x: int = 60, value_x: int = 330
) -> None:
    f = _font(40)
    y = top
    for label, value in rows:
        d.text((label_x, y), label, font=f, fill=(120, 120, 120))
        d.text((value_x, y), value, font=f, fill=(30, 30, 30))
        y += 96


def alipay_bill(path: Path) -> Path:
    img, d = _screen("账单详情")
    d.text((WIDTH // 2, 330), "深圳市某某网络科技有限公司", font=_font(44), fill=(40, 40, 40), anchor="mm")
    d.text((WIDTH // 2, 460), "-1,299.00", font=_font(96), fill=(10, 10, 10), anchor="mm")
    d.text((WIDTH // 2, 570), "交易成功", font=_font(40), fill=(120, 120, 120), anchor="mm")
    _rows(
        d,
        700,
        [
            ("支付时间", "2026-11-20 10:00:05"),
            ("付款方式", "花呗"),
            ("商品说明", "1299元游戏点卡"),
            ("收款方全称", "深圳市某某网络科技有限公司"),
            ("订单号", "2026112022001412345678"),
            ("商家订单号", "KM20261120001"),
        ],
    )
    img.save(path)
    return path


def wechat_bill(path: Path) -> Path:
    img, d = _screen("账单详情")
    d.text((WIDTH // 2, 330), "某某卡盟", font=_font(44), fill=(40, 40, 40), anchor="mm")
    d.text((WIDTH // 2, 460), "-100.00", font=_font(96), fill=(10, 10, 10), anchor="mm")
    _rows(
        d,
        640,
        [
            ("当前状态", "支付成功"),
            ("支付时间", "2026年11月20日 10:00:05"),
            ("商品", "100元游戏点卡"),
            ("商户全称", "广州某某贸易有限公司"),
            ("支付方式", "零钱"),
            ("交易单号", "4200001234202611201234"),
            ("商户单号", "KM20261120002"),
        ],
    )
    img.save(path)
    return path


def order_page(path: Path) -> Path:
    img, d = _screen("订单详情")
    f = _font(40)
    y = 260
    for line in [
        "订单编号：KM20261120001",
        "商品名称：1299元游戏点卡",
        "订单金额：￥1,299.00",
        "下单时间：2026-11-20 09:59:30",
        "支付方式：支付宝",
        "订单状态：已发货",
        "卡密：ABCD-EFGH-2345",
    ]:
        d.text((60, y), line, font=f, fill=(30, 30, 30))
        y += 96
    img.save(path)
    return path


def error_screen(path: Path) -> Path:
    img, d = _screen("卡密充值")
    d.text((WIDTH // 2, 700), "充值失败", font=_font(64), fill=(200, 30, 30), anchor="mm")
    d.text((WIDTH // 2, 820), "该卡密已被使用", font=_font(44), fill=(60, 60, 60), anchor="mm")
    d.text((WIDTH // 2, 920), "2026-11-20 10:05:12", font=_font(36), fill=(120, 120, 120), anchor="mm")
    img.save(path)
    return path
