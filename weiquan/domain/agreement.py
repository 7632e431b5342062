"""Do the order page, the payment bill, the chat and what the consumer typed tell the same story?

Amounts, order numbers and times are compared across every source that has them. A disagreement is a gap, told
in Chinese with what to do about it: a court or a 12315 officer who sees two amounts or two order numbers will ask
whether the evidence belongs to the same purchase.

The case page calls ``check_agreement(sources)`` with one ``Source`` per confirmed reading (ocr_fields.Reading
values), one for the chat (``chat_source``) and one for the case file (``case_source``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# A bill is paid a few minutes after the order is placed; more than this apart, it is probably another purchase.
TIME_TOLERANCE = dt.timedelta(hours=1)
AMOUNT_TOLERANCE = 0.005


@dataclass(frozen=True, slots=True)
class Source:
    """One piece of evidence's values: ``label`` is how the consumer knows it ("支付宝账单截图")."""

    label: str
    kind: str  # order_screenshot | payment_record | cs_chat | case_file | …
    amount: float | None = None
    order_numbers: tuple[str, ...] = ()  # every order number it shows (its own and the merchant's)
    at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class AgreementGap:
    field: str  # amount | order_no | time
    message: str  # what disagrees, in Chinese
    how: str  # how to fix it
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "how": self.how, "sources": list(self.sources)}


def _iso(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or "T" not in value:
        return None  # a date without a time cannot be compared to the minute
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _clean_no(value: str) -> str:
    return re.sub(r"[\s_-]", "", unicodedata.normalize("NFKC", value)).upper()


def reading_source(label: str, kind: str, values: Mapping[str, Any]) -> Source:
    """A Source from a (confirmed) screenshot reading's values."""
    numbers = tuple(str(values[k]) for k in ("order_no", "merchant_order_no") if values.get(k))
    amount = values.get("amount")
    return Source(
        label, kind, float(amount) if amount is not None else None, numbers, _iso(values.get("paid_at"))
    )


def case_source(case: Mapping[str, Any]) -> Source:
    """A Source from a case-file object (what the consumer typed in)."""
    amount = case.get("amount")
    order = case.get("order_no")
    return Source(
        "你填写的案件信息",
        "case_file",
        float(amount) if amount is not None else None,
        (str(order),) if order else (),
        _iso(case.get("paid_at")) if case.get("paid_at_time_known", True) else None,
    )


_CHAT_ORDER = re.compile(r"(?:订单号?|单号|订单编号)\s*[:：是为]?\s*([A-Za-z0-9][A-Za-z0-9_-]{5,40})")
_CHAT_AMOUNT = re.compile(r"(?:[¥￥]\s*(\d+(?:\.\d{1,2})?))|(\d+(?:\.\d{1,2})?)\s*元")


def chat_source(texts: Iterable[str], label: str = "客服聊天记录") -> Source:
    """Order numbers written next to 订单号 in the chat (an amount only when the chat names exactly one)."""
    numbers: list[str] = []
    amounts: set[float] = set()
    for text in texts:
        t = unicodedata.normalize("NFKC", text)
        numbers += [m.group(1) for m in _CHAT_ORDER.finditer(t) if any(c.isdigit() for c in m.group(1))]
        amounts |= {float(m.group(1) or m.group(2)) for m in _CHAT_AMOUNT.finditer(t)}
    return Source(
        label, "cs_chat", amounts.pop() if len(amounts) == 1 else None, tuple(dict.fromkeys(numbers))
    )


def _money(v: float) -> str:
    return f"{v:,.2f}元"


def check_agreement(sources: Sequence[Source]) -> list[AgreementGap]:
    """Every disagreement between the sources on amount, order number and time (empty list: they agree)."""
    gaps: list[AgreementGap] = []

    with_amount = [s for s in sources if s.amount is not None]
    if with_amount:
        values = sorted({round(s.amount or 0.0, 2) for s in with_amount})
        if len(values) > 1:
            told = "，".join(f"{s.label}是{_money(s.amount or 0.0)}" for s in with_amount)
            gaps.append(
                AgreementGap(
                    "amount",
                    f"金额不一致：{told}。",
                    "先确认这些截图是不是同一笔订单；如果有优惠券、红包、手续费或分次付款，把显示优惠或分次付款的页面一并截图，"
                    "并在投诉中写明实际付款金额。填写错了就改正案件信息里的金额。",
                    tuple(s.label for s in with_amount),
                )
            )

    with_numbers = [s for s in sources if s.order_numbers]
    if len(with_numbers) > 1:
        sets = {s.label: {_clean_no(n) for n in s.order_numbers} for s in with_numbers}
        # Each source must share at least one number with every other (the bill's 商家订单号 is the order page's 订单号).
        for i, a in enumerate(with_numbers):
            for b in with_numbers[i + 1 :]:
                if not sets[a.label] & sets[b.label]:
                    gaps.append(
                        AgreementGap(
                            "order_no",
                            f"订单号对不上：{a.label}显示{'、'.join(a.order_numbers)}，{b.label}显示{'、'.join(b.order_numbers)}。",
                            "支付账单上的「商家订单号/商户单号」应当与卡盟订单页的订单号相同：请打开账单详情，截下显示商家订单号的完整页面；"
                            "如果确实是两笔订单，分别整理，不要混在一起提交。",
                            (a.label, b.label),
                        )
                    )

    with_time = [s for s in sources if s.at is not None]
    for i, a in enumerate(with_time):
        for b in with_time[i + 1 :]:
            assert a.at is not None and b.at is not None
            if abs(a.at - b.at) > TIME_TOLERANCE:
                gaps.append(
                    AgreementGap(
                        "time",
                        f"时间相差较大：{a.label}是{a.at:%Y-%m-%d %H:%M}，{b.label}是{b.at:%Y-%m-%d %H:%M}。",
                        "下单时间和付款时间通常只差几分钟：请核对是不是同一笔订单，截图时保留页面上的完整时间；"
                        "填写错了就改正案件信息里的付款时间。",
                        (a.label, b.label),
                    )
                )
    return gaps
