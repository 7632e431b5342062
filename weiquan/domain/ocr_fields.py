"""Fields read from the text of a screenshot: amount, payment time, order numbers, payee, item, payment method, error.

Input is what an OCR engine returns (weiquan/evidence/reader.py): text boxes with a score. Everything here is pure:
it works the same on boxes typed in by hand, which is how the tests pin the rules down.

Layouts handled: 支付宝 and 微信支付 bill details (label on the left, value on the same row to the right, the amount
big and alone near the top), 卡盟 order pages ("订单编号：KM…" in one box, or label and value side by side, or the
value on the line below), activation-error screens ("充值失败", "该卡密已被使用"). Text is NFKC-normalised before
extraction (full-width ：￥１ become :¥1); the text shown to the consumer keeps the reading as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels

FIELD_NAMES = (
    "amount",
    "paid_at",
    "order_no",
    "merchant_order_no",
    "merchant_name",
    "item",
    "payment_method",
    "error_text",
)

FIELD_LABELS = {
    "amount": "金额",
    "paid_at": "付款时间",
    "order_no": "订单号",
    "merchant_order_no": "商家订单号",
    "merchant_name": "收款方全称",
    "item": "商品",
    "payment_method": "付款方式",
    "error_text": "错误提示",
}


@dataclass(frozen=True, slots=True)
class OcrLine:
    text: str
    box: Box
    score: float = 1.0

    @property
    def norm(self) -> str:
        return unicodedata.normalize("NFKC", self.text).strip()

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> float:
        return max(1.0, self.box[3] - self.box[1])


@dataclass(frozen=True, slots=True)
class ReadField:
    value: Any
    confidence: float
    box: Box
    text: str  # the words as read, before the value was parsed out of them

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "box": [round(v) for v in self.box],
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Reading:
    kind: str  # the evidence kind it looks like (facts.EvidenceKind) or "unknown"
    layout: str  # alipay_bill | wechat_pay_bill | order_page | error_screen | unknown
    text: str
    fields: dict[str, ReadField] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "layout": self.layout,
            "text": self.text,
            "fields": {k: v.to_dict() for k, v in self.fields.items()},
        }

    def values(self) -> dict[str, Any]:
        return {k: v.value for k, v in self.fields.items()}


# --------------------------------------------------------------------------------------------------------------
# Values

_MONEY = re.compile(
    r"(?P<sign>[-−—+])?\s*(?:¥|￥|RMB|CNY)?\s*(?P<num>\d{1,3}(?:[,，]\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)\s*元?"
)
_MONEY_ONLY = re.compile(r"^[-−—+]?\s*(?:¥|￥)?\s*(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{2}\s*元?$")


def parse_amount(text: str) -> float | None:
    """ "-1,299.00" → 1299.0, "¥100.00" → 100.0, "100元" → 100.0; the sign of a bill's expense is dropped."""
    t = unicodedata.normalize("NFKC", text).replace(" ", "")
    # OCR sometimes reads a thousands comma as a dot ("1.299.00"): all dots but the last are separators.
    if t.count(".") > 1:
        head, _, tail = t.rpartition(".")
        t = head.replace(".", "") + "." + tail
    m = _MONEY.search(t)
    if not m:
        return None
    try:
        value = float(m.group("num").replace(",", "").replace("，", ""))
    except ValueError:
        return None
    return value if value > 0 else None


_DATETIME = re.compile(
    r"(?P<y>20\d{2})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"\s*(?:(?P<h>\d{1,2})\s*:\s*(?P<mi>\d{2})(?:\s*:\s*(?P<s>\d{2}))?)?"
)


def parse_time(text: str) -> str | None:
    """ISO 8601 in Beijing time; a date alone stays a date ("2026-11-20")."""
    m = _DATETIME.search(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    try:
        day = dt.date(int(m["y"]), int(m["mo"]), int(m["d"]))
        if m["h"] is None:
            return day.isoformat()
        t = dt.time(int(m["h"]), int(m["mi"]), int(m["s"] or 0))
    except ValueError:
        return None
    return dt.datetime.combine(day, t, CHINA_TZ).isoformat()


_ORDER_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{5,63}")


def parse_order_no(text: str) -> str | None:
    t = unicodedata.normalize("NFKC", text).replace(" ", "")
    m = _ORDER_NO.search(t)
    return m.group(0) if m and any(c.isdigit() for c in m.group(0)) else None


def parse_payment_method(text: str, layout: str) -> str | None:
    """The case file's payment_method (alipay | wechat_pay | bank_card | other)."""
    t = unicodedata.normalize("NFKC", text)
    if layout == "alipay_bill":
        return "alipay"  # 花呗, 余额宝, a bank card: all paid through 支付宝
    if layout == "wechat_pay_bill":
        return "wechat_pay"
    if re.search(r"支付宝|alipay|花呗|余额宝", t, re.I):
        return "alipay"
    if re.search(r"微信|wechat|财付通|零钱", t, re.I):
        return "wechat_pay"
    if re.search(r"银行|储蓄卡|信用卡|银联|网银", t):
        return "bank_card"
    return "other" if t.strip() else None


def _text_value(text: str) -> str | None:
    t = unicodedata.normalize("NFKC", text).strip(" :")
    return t or None


# --------------------------------------------------------------------------------------------------------------
# Labels

# (field, label pattern); the first label found for a field wins, so the more specific come first.
_LABELS: list[tuple[str, str]] = [
    ("merchant_order_no", r"商家订单号|商户订单号|商户单号|商家单号"),
    ("order_no", r"订单编号|订单号码|订单号|交易单号|交易号|订单ID|订单id|流水号"),
    ("merchant_name", r"收款方全称|商户全称|收款方|收款商户|商户名称|收款人|商家名称|对方账户"),
    (
        "amount",
        r"实付金额|实付款|支付金额|付款金额|订单金额|订单总额|订单总价|应付金额|交易金额|商品金额|商品总价|总金额|"
        r"实际支付|实付|合计|总计|总价|金额",
    ),
    ("paid_at", r"支付时间|付款时间|交易时间|创建时间|下单时间|订单时间|购买时间|成交时间"),
    ("item", r"商品说明|商品名称|商品名|商品信息|购买商品|商品|产品名称"),
    ("payment_method", r"付款方式|支付方式|支付渠道|付款渠道"),
    # rows that look like the labels above but are something else: recognised so they are never misread
    (
        "",
        r"商品单价|单价|商品数量|购买数量|数量|优惠金额|优惠|红包|运费|手续费|服务费|退款金额|退款时间|发货时间",
    ),
]
_LABEL_OF = {label: name for name, p in _LABELS for label in p.split("|")}
# longest first: "商品金额" must not be read as the label "商品" followed by "金额"
_LABEL_RE = re.compile(
    r"^(?P<label>" + "|".join(sorted(_LABEL_OF, key=len, reverse=True)) + r")\s*[:：]?\s*(?P<value>.*)$"
)
# a later label for the same field beats an earlier one only when it ranks higher here (支付时间 over 下单时间)
_TIME_RANK = ["支付时间", "付款时间", "交易时间", "成交时间", "创建时间", "下单时间", "订单时间", "购买时间"]

_VERBATIM = ("merchant_name", "item")
_WRAPPING = ("order_no", "merchant_order_no", "merchant_name", "item")
_ERROR = re.compile(
    r"已被使用|已使用|已被兑换|已兑换|已被充值|充值失败|激活失败|兑换失败|使用失败|卡密错误|卡密无效|无效的?卡密|"
    r"卡号或密码错误|密码错误|不存在|已过期|已失效|已冻结|已作废|无法使用|验证失败|无效|失败|错误|异常"
)


def _field_of(label: str) -> str | None:
    return _LABEL_OF.get(label) or None


def _rows(lines: Sequence[OcrLine]) -> list[list[OcrLine]]:
    """Boxes grouped into visual rows (vertical centres within half a line height), each row left to right."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda x: (x.cy, x.box[0])):
        if rows:
            last = rows[-1]
            ref = sum(x.cy for x in last) / len(last)
            if abs(line.cy - ref) < 0.5 * min(line.height, min(x.height for x in last)):
                last.append(line)
                continue
        rows.append([line])
    return [sorted(r, key=lambda x: x.box[0]) for r in rows]


def _union(boxes: Sequence[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _layout(text: str) -> str:
    if re.search(r"收款方全称|商家订单号|收单机构", text) or (
        re.search(r"账单详情", text) and re.search(r"支付宝|花呗|余额宝|交易成功", text)
    ):
        return "alipay_bill"
    if re.search(r"商户全称|商户单号|交易单号|微信支付|财付通|零钱通|当前状态", text):
        return "wechat_pay_bill"
    order = re.search(r"订单编号|订单详情|订单号|下单时间|订单金额|商品名称|购买数量", text)
    if _ERROR.search(text) and not order:
        return "error_screen"
    if order or "卡密" in text:
        return "order_page"
    return "unknown"


_KIND = {
    "alipay_bill": "payment_record",
    "wechat_pay_bill": "payment_record",
    "order_page": "order_screenshot",
    "error_screen": "code_failure_screenshot",
    "unknown": "unknown",
}


def _parse(name: str, text: str, layout: str) -> Any:
    if name == "amount":
        return parse_amount(text)
    if name == "paid_at":
        return parse_time(text)
    if name in ("order_no", "merchant_order_no"):
        return parse_order_no(text)
    if name == "payment_method":
        return parse_payment_method(text, layout)
    return _text_value(text)


def extract(lines: Sequence[OcrLine]) -> Reading:
    """The evidence kind, all text (row by row) and each field found, with the box to show it on."""
    rows = _rows([x for x in lines if x.text.strip()])
    text = "\n".join(" ".join(x.text.strip() for x in row) for row in rows)
    norm_text = unicodedata.normalize("NFKC", text)
    layout = _layout(norm_text)
    found: dict[str, ReadField] = {}
    time_rank: dict[str, int] = {}

    def put(name: str, parts: Sequence[OcrLine], raw: str, label: str = "", original: str = "") -> None:
        value = _parse(name, raw, layout)
        if value is None:
            return
        if name in _VERBATIM and original.strip():
            # names keep their own characters: a company's full-width （深圳） is part of its registered name
            value = original.strip(" :：")
        if name == "paid_at" and name in found:
            rank = _TIME_RANK.index(label) if label in _TIME_RANK else len(_TIME_RANK)
            if rank >= time_rank.get(name, len(_TIME_RANK)):
                return
        elif name in found:
            return
        if name == "paid_at":
            time_rank[name] = _TIME_RANK.index(label) if label in _TIME_RANK else len(_TIME_RANK)
        score = min(p.score for p in parts)
        found[name] = ReadField(value, score, _union([p.box for p in parts]), raw.strip())

    for r, row in enumerate(rows):
        for i, line in enumerate(row):
            m = _LABEL_RE.match(line.norm)
            if not m:
                continue
            name = _field_of(m.group("label"))
            if name is None:
                continue
            value = m.group("value").strip()
            if value:
                # "订单编号：KM123" in one box: the box is the whole line (the label is part of it)
                whole = line.text.strip()
                original = whole[len(whole) - len(value) :] if len(whole) == len(line.norm) else ""
                put(name, [line], value, m.group("label"), original)
                continue
            right = [
                x for x in row[i + 1 :] if not _LABEL_RE.match(x.norm) or _field_of_label(x.norm) is None
            ]
            if right:
                parts = right
                # a long number or name wrapped onto the next row, under the value (left- or right-aligned)
                if name in _WRAPPING and r + 1 < len(rows):
                    below = rows[r + 1]
                    tol = 2 * below[0].height
                    if (
                        len(below) == 1
                        and (
                            abs(below[0].box[0] - right[0].box[0]) < tol
                            or abs(below[0].box[2] - right[-1].box[2]) < tol
                        )
                        and below[0].box[0] > row[i].box[2]  # nothing in the label column
                        and not _LABEL_RE.match(below[0].norm)
                        and (
                            name in ("merchant_name", "item")
                            or re.fullmatch(r"[A-Za-z0-9_-]+", below[0].norm)
                        )
                        and not parse_time(below[0].norm)
                        and not _MONEY_ONLY.match(below[0].norm)
                    ):
                        parts = [*right, below[0]]
                joiner = " " if name == "paid_at" else ""
                put(
                    name,
                    parts,
                    joiner.join(x.norm for x in parts),
                    m.group("label"),
                    joiner.join(x.text.strip() for x in parts),
                )
            elif r + 1 < len(rows):
                below = rows[r + 1]
                if not any(_LABEL_RE.match(x.norm) and _field_of_label(x.norm) for x in below):
                    put(
                        name,
                        below,
                        " ".join(x.norm for x in below),
                        m.group("label"),
                        " ".join(x.text.strip() for x in below),
                    )

    if "amount" not in found:
        # the bill's headline amount: a number alone on its row, the tallest one
        alone = [row[0] for row in rows if len(row) == 1 and _MONEY_ONLY.match(row[0].norm)]
        if alone:
            best = max(alone, key=lambda x: x.height)
            put("amount", [best], best.norm)
    if layout in ("alipay_bill", "wechat_pay_bill") and "payment_method" not in found:
        found["payment_method"] = ReadField(
            "alipay" if layout == "alipay_bill" else "wechat_pay", 1.0, _union([x.box for x in rows[0]]), ""
        )
    if layout in ("error_screen", "order_page", "unknown"):
        errors = [x for row in rows for x in row if _ERROR.search(x.norm) and not _LABEL_RE.match(x.norm)]
        if errors:
            # the most specific message: "该卡密已被使用" over a bare "充值失败"
            specific = [x for x in errors if not re.fullmatch(r".{0,4}(?:失败|错误)", x.norm)]
            chosen = specific or errors
            found["error_text"] = ReadField(
                "；".join(x.text.strip() for x in chosen),
                min(x.score for x in chosen),
                _union([x.box for x in chosen]),
                "；".join(x.text for x in chosen),
            )
    ordered = {k: found[k] for k in FIELD_NAMES if k in found}
    return Reading(_KIND[layout], layout, text, ordered)


def _field_of_label(text: str) -> str | None:
    m = _LABEL_RE.match(text)
    if not m or m.group("value").strip():
        return None
    return _field_of(m.group("label"))
