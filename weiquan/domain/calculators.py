"""Legal calculators: punitive damages, small-claims eligibility, court fees, payment-order fit, amounts in words.

Pure functions over ``decimal.Decimal``: no clock (the caller passes the date), no I/O beyond the cached data files
``data/small_claims.yaml`` and ``data/court_fees.yaml``. Every result carries the citations it rests on and a
Chinese explanation, and ``to_dict()`` gives a JSON-friendly form (amounts as strings with two decimals).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import cn2an

from weiquan.domain.citations import Citation, cite
from weiquan.domain.datafiles import load

if TYPE_CHECKING:
    from weiquan.domain.facts import CaseFacts, Contact

Money = Decimal | int | str | float
Procedure = Literal["ordinary", "simplified", "small_claims", "payment_order"]
SmallClaimsStatus = Literal["eligible", "by_agreement", "not_eligible", "unknown"]

CENT = Decimal("0.01")
YUAN = Decimal("1")


# ---------------------------------------------------------------------------------------------------------------
# helpers


def to_decimal(value: Money) -> Decimal:
    """A finite Decimal from user input; floats go through ``str`` so 0.1 stays 0.1."""
    try:
        d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValueError(f"金额格式不正确：{value!r}") from None
    if not d.is_finite():
        raise ValueError(f"金额格式不正确：{value!r}")
    return d


def _positive(value: Money, what: str = "金额") -> Decimal:
    d = to_decimal(value)
    if d <= 0:
        raise ValueError(f"{what}必须大于0，收到：{value!r}")
    return d


def _money(d: Decimal) -> str:
    """JSON form: two decimals, e.g. "1050.00"."""
    return str(d.quantize(CENT, rounding=ROUND_HALF_UP))


def yuan(d: Decimal) -> str:
    """Display form with thousands separators, dropping ".00": 1,050 / 68,378.50."""
    q = d.quantize(CENT, rounding=ROUND_HALF_UP)
    if q == q.to_integral_value():
        return f"{int(q):,}"
    return f"{q:,.2f}"


def _percent(rate: Decimal) -> str:
    return f"{format((rate * 100).normalize(), 'f')}%"


def _basis_dicts(basis: tuple[Citation, ...]) -> list[dict[str, str]]:
    return [c.to_dict() for c in basis]


def _add_months(d: date, months: int) -> date:
    """Calendar month arithmetic, clamping the day (Jan 31 + 1 month = Feb 28/29)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------------------------------------------------
# 消法第五十五条第一款：惩罚性赔偿


PUNITIVE_MULTIPLE = Decimal(3)
PUNITIVE_MINIMUM = Decimal(500)


@dataclass(frozen=True, slots=True)
class PunitiveResult:
    applicable: bool
    price: Decimal
    # What Art. 55 ¶1 would give if fraud is shown: max(3 × price, 500). Shown even when not applicable, so the
    # user sees what is at stake, but ``amount`` is None until fraud is shown.
    potential_amount: Decimal
    amount: Decimal | None
    floor_applied: bool
    explanation: str
    basis: tuple[Citation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "applicable": self.applicable,
            "price": _money(self.price),
            "multiple": str(PUNITIVE_MULTIPLE),
            "minimum": _money(PUNITIVE_MINIMUM),
            "potential_amount": _money(self.potential_amount),
            "amount": _money(self.amount) if self.amount is not None else None,
            "floor_applied": self.floor_applied,
            "explanation": self.explanation,
            "basis": _basis_dicts(self.basis),
        }


def punitive_damages(price: Money, fraud_shown: bool) -> PunitiveResult:
    """消法 Art. 55 ¶1: on fraud, extra damages of 3 × the price paid, at least 500 yuan. Never automatic."""
    p = _positive(price, "价款")
    triple = (p * PUNITIVE_MULTIPLE).quantize(CENT, rounding=ROUND_HALF_UP)
    floor_applied = triple < PUNITIVE_MINIMUM
    potential = PUNITIVE_MINIMUM if floor_applied else triple
    basis = (cite("consumer_law_55"), cite("penalty_measures_5_10"), cite("penalty_measures_6"))
    arithmetic = f"{yuan(p)}元×3={yuan(triple)}元" + (
        f"，不足{yuan(PUNITIVE_MINIMUM)}元，按{yuan(PUNITIVE_MINIMUM)}元计算" if floor_applied else ""
    )
    fraud_meaning = (
        "这里的\u201c欺诈\u201d主要指：收取价款后不提供或者不按照约定提供商品或服务（如虚假库存、收款不发卡密，"
        "《侵害消费者权益行为处罚办法》第五条第（十）项），以及虚假或引人误解的宣传（如虚构交易、夸大或隐瞒服务内容，"
        "同办法第六条）；同办法第十六条第二款规定这些行为属于欺诈。"
    )
    if fraud_shown:
        explanation = (
            f"经营者有欺诈行为的，你可以要求增加赔偿：{arithmetic}，即{yuan(potential)}元"
            "（消费者权益保护法第五十五条第一款）。这是退还价款之外另行增加的赔偿（通常说的\u201c退一赔三\u201d），"
            "须由你主动提出；经营者不认可的，最终由法院认定是否构成欺诈。"
        )
        return PunitiveResult(True, p, potential, potential, floor_applied, explanation, basis)
    explanation = (
        "尚未证明经营者有欺诈行为，三倍赔偿不适用：三倍赔偿不是自动的，只有证明经营者欺诈才能主张。"
        f"{fraud_meaning}能证明的，可按价款三倍主张增加赔偿（不足500元的按500元），本案为{arithmetic}。"
        "不能证明欺诈时，仍可以要求退款、补发或赔偿实际损失（消费者权益保护法第五十二条、民法典第五百七十七条）。"
    )
    return PunitiveResult(False, p, potential, None, floor_applied, explanation, basis)


# ---------------------------------------------------------------------------------------------------------------
# 民事诉讼法第一百六十五条、第一百六十六条：小额诉讼


@dataclass(frozen=True, slots=True)
class ThresholdRow:
    province: str
    limit: Decimal
    agreed_band_ceiling: Decimal
    effective_from: date
    wage_year: int
    wage_series: str
    wage_base: Decimal
    wage_base_note: str
    source: str
    confidence: str
    note: str


def _threshold_rows() -> tuple[ThresholdRow, ...]:
    raw = load("small_claims")
    return tuple(
        ThresholdRow(
            province=r["province"],
            limit=Decimal(r["limit"]),
            agreed_band_ceiling=Decimal(r["agreed_band_ceiling"]),
            effective_from=r["effective_from"],
            wage_year=r["wage_year"],
            wage_series=r["wage_series"],
            wage_base=Decimal(r["wage_base"]),
            wage_base_note=r["wage_base_note"],
            source=r["source"],
            confidence=r["confidence"],
            note=r.get("note", ""),
        )
        for r in raw["rows"]
    )


THRESHOLD_ROWS: tuple[ThresholdRow, ...] = _threshold_rows()
STALE_AFTER_MONTHS: int = load("small_claims")["stale_after_months"]
_PROVINCE_ALIASES: dict[str, str] = load("small_claims")["aliases"]
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")

SMALL_CLAIMS_EXCLUSIONS: tuple[str, ...] = (
    "人身关系、财产确权案件",
    "涉外案件",
    "需要评估、鉴定或者对诉前评估、鉴定结果有异议的案件",
    "一方当事人下落不明的案件（经营者跑路、找不到人的属于此类）",
    "当事人提出反诉的案件",
    "其他不宜适用小额诉讼程序审理的案件",
)


def normalize_province(name: str) -> str:
    """江苏省 / 江苏 / jiangsu → 江苏."""
    s = name.strip()
    alias = _PROVINCE_ALIASES.get(s.lower())
    if alias:
        return alias
    for suffix in _PROVINCE_SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)]
    return s


def threshold_for(province: str, on: date) -> ThresholdRow | None:
    """The newest row for the province already in force on ``on``."""
    key = normalize_province(province)
    rows = [r for r in THRESHOLD_ROWS if r.province == key and r.effective_from <= on]
    return max(rows, key=lambda r: r.effective_from) if rows else None


def _latest_known_limits(on: date) -> list[Decimal]:
    provinces = {r.province for r in THRESHOLD_ROWS}
    rows = [threshold_for(p, on) for p in provinces]
    return [r.limit for r in rows if r is not None]


@dataclass(frozen=True, slots=True)
class SmallClaimsResult:
    status: SmallClaimsStatus
    amount: Decimal
    province: str | None
    on: date
    limit: Decimal | None
    agreed_band_ceiling: Decimal | None
    effective_from: date | None
    wage_year: int | None
    source: str | None
    confidence: str | None
    stale: bool
    exclusions: tuple[str, ...]
    explanation: str
    basis: tuple[Citation, ...]

    @property
    def eligible(self) -> bool:
        return self.status == "eligible"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "amount": _money(self.amount),
            "province": self.province,
            "on": self.on.isoformat(),
            "limit": _money(self.limit) if self.limit is not None else None,
            "agreed_band_ceiling": (
                _money(self.agreed_band_ceiling) if self.agreed_band_ceiling is not None else None
            ),
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "wage_year": self.wage_year,
            "source": self.source,
            "confidence": self.confidence,
            "stale": self.stale,
            "exclusions": list(self.exclusions),
            "explanation": self.explanation,
            "basis": _basis_dicts(self.basis),
        }


_RULE_TEXT = (
    "规则是：标的额不超过本省、自治区、直辖市上年度就业人员年平均工资百分之五十的简单金钱给付案件，适用小额诉讼程序，"
    "一审终审；超过百分之五十但在二倍以下的，双方可以约定适用（民事诉讼法第一百六十五条）。"
    "工资以已经公布的最近年度数据为准（民诉法解释第二百七十二条），各省数额每年调整，且各省采用的工资口径不同。"
)
_EXCLUSIONS_TEXT = (
    "另外，一方当事人下落不明（如经营者跑路、找不到人）、需要评估鉴定、对方提出反诉、涉外等案件不适用小额诉讼"
    "（民事诉讼法第一百六十六条）；小额诉讼还要求事实清楚、权利义务明确、争议不大，由基层人民法院审理，"
    "立案之日起两个月内审结（第一百六十八条）。"
)


def small_claims_eligibility(amount: Money, province: str | None, on: date) -> SmallClaimsResult:
    """Whether a claim fits the province's small-claims limit in force on ``on`` (CPL Arts. 165–166).

    Never falls back to a national figure: with no row for the province the result is ``unknown`` and the rule is
    explained instead (product decision 2).
    """
    a = _positive(amount)
    basis = (
        cite("civil_procedure_165"),
        cite("civil_procedure_166"),
        cite("civil_procedure_168"),
        cite("civil_procedure_interp_272"),
    )
    row = threshold_for(province, on) if province and province.strip() else None

    if row is None:
        if not province or not province.strip():
            why = "没有提供省份，无法确定适用的小额诉讼标的额。"
        else:
            key = normalize_province(province)
            earliest = [r.effective_from for r in THRESHOLD_ROWS if r.province == key]
            if earliest:
                why = f"本表收录的{key}数额最早自{min(earliest).isoformat()}起适用，{on.isoformat()}适用的数额未收录。"
            else:
                why = f"本表尚未收录{key}的小额诉讼标的额，不作猜测。"
        known = _latest_known_limits(on)
        hint = ""
        if known:
            lo, hi = min(known), max(known)
            span = f"本表已知各省限额约为{yuan(lo)}元至{yuan(hi)}元"
            if a <= lo / 2:
                hint = f"推断：{span}，{yuan(a)}元远低于这些数额，很可能低于任何省份的限额，但仍请以当地法院为准。"
            elif a <= lo:
                hint = f"推断：{span}，{yuan(a)}元低于已知最低数额，但未收录省份和最新年度的数额未知，请向法院核实。"
            else:
                hint = f"{span}，{yuan(a)}元可能超过部分省份的限额，请向法院核实。"
        explanation = (
            f"{why}{_RULE_TEXT}请向当地基层人民法院（诉讼服务中心）或12368诉讼服务热线询问当年的数额。"
            f"{hint}{_EXCLUSIONS_TEXT}"
        )
        return SmallClaimsResult(
            "unknown",
            a,
            normalize_province(province) if province and province.strip() else None,
            on,
            None,
            None,
            None,
            None,
            None,
            None,
            False,
            SMALL_CLAIMS_EXCLUSIONS,
            explanation,
            basis,
        )

    stale = row.effective_from < _add_months(on, -STALE_AFTER_MONTHS)
    status: SmallClaimsStatus
    if a <= row.limit:  # "百分之五十以下" includes the figure itself
        status = "eligible"
        verdict = f"{yuan(a)}元不超过该数额，可以适用小额诉讼程序（一审终审）。"
    elif a <= row.agreed_band_ceiling:
        status = "by_agreement"
        verdict = (
            f"{yuan(a)}元超过该数额但不超过{yuan(row.agreed_band_ceiling)}元（工资的二倍），"
            "只有双方约定才可以适用小额诉讼程序；否则按简易程序或普通程序审理。"
        )
    else:
        status = "not_eligible"
        verdict = (
            f"{yuan(a)}元超过约定适用的上限{yuan(row.agreed_band_ceiling)}元，不能适用小额诉讼程序，"
            "可按简易程序或普通程序起诉。"
        )
    source_note = "二手来源" if row.confidence == "secondary-source" else row.confidence
    explanation = (
        f"{row.province}自{row.effective_from.isoformat()}起的小额诉讼标的额上限为{yuan(row.limit)}元"
        f"（{row.wage_year}年{row.wage_series}的百分之五十；双方约定适用的上限为{yuan(row.agreed_band_ceiling)}元；"
        f"{source_note}：{row.source}）。{verdict}"
    )
    if stale:
        explanation += (
            f"注意：该数额自{row.effective_from.isoformat()}起适用，距{on.isoformat()}已超过{STALE_AFTER_MONTHS}个月，"
            "可能已按新的工资数据调整（各省通常每年调整），请向当地基层人民法院或12368诉讼服务热线核实。"
        )
    if row.note:
        explanation += f"（{row.note}）"
    explanation += _EXCLUSIONS_TEXT
    return SmallClaimsResult(
        status,
        a,
        row.province,
        on,
        row.limit,
        row.agreed_band_ceiling,
        row.effective_from,
        row.wage_year,
        row.source,
        row.confidence,
        stale,
        SMALL_CLAIMS_EXCLUSIONS,
        explanation,
        basis,
    )


# ---------------------------------------------------------------------------------------------------------------
# 诉讼费用交纳办法第十三条至第十六条：案件受理费


@dataclass(frozen=True, slots=True)
class FeeBand:
    over: Decimal
    up_to: Decimal | None
    rate: Decimal


@dataclass(frozen=True, slots=True)
class FeeStep:
    """One band as applied to a claim: the part of the amount in the band and the fee it adds."""

    label: str
    portion: Decimal
    rate: Decimal | None  # None for the flat first band
    fee: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "portion": _money(self.portion),
            "rate": str(self.rate) if self.rate is not None else None,
            "fee": _money(self.fee),
        }


_FEES = load("court_fees")
FLAT_UP_TO = Decimal(_FEES["property_case"]["flat_up_to"])
FLAT_FEE = Decimal(_FEES["property_case"]["flat_fee"])
FEE_BANDS: tuple[FeeBand, ...] = tuple(
    FeeBand(Decimal(b["over"]), Decimal(b["up_to"]) if b["up_to"] is not None else None, Decimal(b["rate"]))
    for b in _FEES["property_case"]["bands"]
)


@dataclass(frozen=True, slots=True)
class CourtFeeResult:
    procedure: Procedure
    amount: Decimal
    steps: tuple[FeeStep, ...]
    full_fee: Decimal  # Art. 13 property-case fee before any reduction, unrounded
    factor: Fraction
    exact_fee: Decimal  # full_fee × factor, before rounding
    fee: Decimal  # rounded to the yuan
    arithmetic: str
    rounding: str
    explanation: str
    basis: tuple[Citation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "procedure": self.procedure,
            "amount": _money(self.amount),
            "steps": [s.to_dict() for s in self.steps],
            "full_fee": _money(self.full_fee),
            "factor": str(self.factor),
            "exact_fee": _money(self.exact_fee),
            "fee": _money(self.fee),
            "arithmetic": self.arithmetic,
            "rounding": self.rounding,
            "explanation": self.explanation,
            "basis": _basis_dicts(self.basis),
        }


def property_case_fee(amount: Money) -> tuple[Decimal, tuple[FeeStep, ...]]:
    """Art. 13(1): 50 yuan per case up to 10,000, then each band's part of the amount at its rate, cumulatively."""
    a = _positive(amount)
    steps = [FeeStep(f"不超过{yuan(FLAT_UP_TO)}元的部分（每件定额）", min(a, FLAT_UP_TO), None, FLAT_FEE)]
    for band in FEE_BANDS:
        if a <= band.over:
            break
        top = a if band.up_to is None else min(a, band.up_to)
        portion = top - band.over
        upper = f"至{yuan(band.up_to)}元" if band.up_to is not None else "以上"
        label = f"超过{yuan(band.over)}元{upper}的部分"
        steps.append(FeeStep(label, portion, band.rate, portion * band.rate))
    return sum((s.fee for s in steps), Decimal(0)), tuple(steps)


def court_fee(amount: Money, procedure: Procedure = "ordinary") -> CourtFeeResult:
    """Case-acceptance fee (or payment-order application fee) for a money claim, with the arithmetic shown.

    Rounding: the full Art. 13 fee is computed exactly, reduced by the procedure's factor (½ for simplified and small
    claims, ⅓ for a payment order), then rounded half-up to the yuan. The Measures do not say how to round; courts may
    keep jiao and fen, so the court's own notice of payment governs.
    """
    proc_raw = _FEES["procedures"].get(procedure)
    if proc_raw is None:
        raise ValueError(f"未知的程序：{procedure}（可选：{'、'.join(_FEES['procedures'])}）")
    a = _positive(amount, "诉讼请求金额")
    full, steps = property_case_fee(a)
    factor = Fraction(proc_raw["factor"])
    exact = full * factor.numerator / factor.denominator
    fee = exact.quantize(YUAN, rounding=ROUND_HALF_UP)

    terms = " + ".join(
        yuan(s.fee) if s.rate is None else f"{yuan(s.portion)}×{_percent(s.rate)}" for s in steps
    )
    arithmetic = f"{terms} = {yuan(full)}" if len(steps) > 1 else f"{yuan(full)}"
    if factor != 1:
        arithmetic += f"；{yuan(full)} ÷ {factor.denominator} = {yuan(exact)}"
        if exact != fee:
            arithmetic += f" ≈ {yuan(fee)}"
    rounding = "四舍五入到元（办法未规定取整方式，法院实际收费可能保留角分，以法院交费通知为准）"

    band_text = "；".join(
        f"{s.label}{yuan(s.fee)}元"
        if s.rate is None
        else f"{s.label}{yuan(s.portion)}元×{_percent(s.rate)}={yuan(s.fee)}元"
        for s in steps
    )
    lead = f"按《诉讼费用交纳办法》第十三条分段累计计算：{band_text}；合计{yuan(full)}元。"
    match procedure:
        case "ordinary":
            how = f"普通程序全额交纳：{yuan(fee)}元。"
        case "simplified":
            how = f"适用简易程序的减半交纳（第十六条）：{yuan(full)}÷2，约{yuan(fee)}元。"
        case "small_claims":
            how = f"小额诉讼属于简易程序（民事诉讼法第十三章），按第十六条减半交纳：{yuan(full)}÷2，约{yuan(fee)}元。"
        case "payment_order":
            how = (
                f"申请支付令的，比照财产案件受理费标准的三分之一交纳申请费（第十四条第（三）项）：{yuan(full)}÷3，"
                f"约{yuan(fee)}元；债务人未提出异议的，申请费由债务人负担（第三十六条）。"
            )
    tail = (
        "以调解方式结案或者申请撤诉的，案件受理费减半交纳（第十五条）。诉讼费用由败诉方负担（第二十九条）。"
        if procedure != "payment_order"
        else ""
    )
    explanation = f"{lead}{how}{tail}计算取整：{rounding}。"
    basis = tuple(cite(c) for c in proc_raw["citations"]) + (
        (cite("court_fees_15"), cite("court_fees_29_36")) if procedure != "payment_order" else ()
    )
    return CourtFeeResult(
        procedure, a, steps, full, factor, exact, fee, arithmetic, rounding, explanation, basis
    )


# ---------------------------------------------------------------------------------------------------------------
# 起诉的请求总额（诉讼费用交纳办法第十三条按"诉讼请求的金额"计算）

# Problem types whose facts are themselves fraud under 侵害消费者权益行为处罚办法 Art. 5(10) / Art. 16 ¶2 (taking the
# price and never supplying), so the punitive claim is made unless the case file says fraud_shown: false.
FRAUD_TYPES: tuple[str, ...] = ("fraud_runaway", "fake_stock")


def fraud_claimed(facts: CaseFacts, problem_type: str | None = None) -> bool:
    """Whether the claim includes 消法 Art. 55 ¶1 punitive damages: ``facts.fraud_shown``, else the problem type."""
    if facts.fraud_shown is not None:
        return facts.fraud_shown
    return (problem_type or facts.problem_type) in FRAUD_TYPES


def claim_items(facts: CaseFacts, problem_type: str | None = None) -> list[tuple[str, Decimal]]:
    """What a 起诉状 claims, item by item: the price paid, plus the punitive damages when fraud is claimed."""
    items = [("退还货款", to_decimal(facts.amount))]
    if fraud_claimed(facts, problem_type):
        items.append(
            (
                "增加赔偿（消费者权益保护法第五十五条第一款）",
                punitive_damages(facts.amount, True).potential_amount,
            )
        )
    return items


def claim_total(facts: CaseFacts, problem_type: str | None = None) -> Decimal:
    """标的总额: everything the 起诉状 claims (price + punitive when fraud is claimed); court fees are computed on it."""
    return sum((a for _, a in claim_items(facts, problem_type)), Decimal(0))


def court_procedure(facts: CaseFacts, problem_type: str | None, on: date) -> Procedure:
    """The procedure a suit would go through, for its fee (诉讼费用交纳办法第十三条、第十六条).

    A data leak is a tort (个人信息保护纠纷), never small claims (民诉法第一百六十五条); a defendant who has vanished
    excludes small claims (第一百六十六条) and summary procedure (民诉法解释第二百五十七条): both are ordinary. Otherwise
    small claims when the claim total fits the province's limit (or the limit is unknown), else summary procedure.
    """
    if (problem_type or facts.problem_type) == "data_leak" or not facts.platform.reachable:
        return "ordinary"
    status = small_claims_eligibility(claim_total(facts, problem_type), facts.province, on).status
    return "small_claims" if status in ("eligible", "unknown") else "simplified"


def agreed_refund(facts: CaseFacts) -> Contact | None:
    """The contact on which the seller agreed to refund a stated amount and which nothing later disputes.

    An undisputed money debt is what a 支付令 needs (民诉法第二百二十五条): a promise to "处理" is not an admission
    (no ``agreed_amount``), and a later refusal, rejection or failed mediation is a dispute. None when there is none.
    """
    ordered = sorted(facts.contacts, key=lambda c: c.at)
    agreed = [c for c in ordered if c.agreed_amount is not None]
    if not agreed or any(c.response == "resolved" for c in ordered):
        return None
    last = agreed[-1]
    disputed = any(
        c.at > last.at
        and c.response in ("refused", "rejected", "failed")
        and c.channel not in ("small_claims", "payment_order")
        for c in ordered
    )
    return None if disputed else last


# ---------------------------------------------------------------------------------------------------------------
# 民事诉讼法第二百二十五条至第二百二十八条、民诉法解释第四百二十七条：支付令


@dataclass(frozen=True, slots=True)
class FitResult:
    # fits: every condition holds, including that the operator admits the debt, so a payment order is recommended.
    fits: bool
    # legally_available: the statutory conditions hold (identified, reachable, no counter-dispute); without an
    # admission the debtor will very likely object, which ends the procedure.
    legally_available: bool
    reasons: tuple[str, ...]  # why it does not fit, or concerns; empty when it fits
    explanation: str
    basis: tuple[Citation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "fits": self.fits,
            "legally_available": self.legally_available,
            "reasons": list(self.reasons),
            "explanation": self.explanation,
            "basis": _basis_dicts(self.basis),
        }


_PAYMENT_ORDER_FLOW = (
    "程序：向债务人住所地基层人民法院申请，法院5日内通知是否受理，受理后15日内发出支付令；债务人应自收到之日起15日内"
    "清偿或提出书面异议，逾期既不异议又不清偿的，你可以申请强制执行。书面异议成立的，督促程序终结、支付令失效，"
    "转入诉讼（你在7日内表示不同意起诉的除外）。申请费为财产案件受理费的三分之一。"
)


def payment_order_fit(
    debtor_identified: bool, debtor_reachable: bool, debt_acknowledged: bool, counter_dispute: bool
) -> FitResult:
    """Whether a payment order (督促程序) suits the case: CPL Arts. 225–228, SPC interpretation Arts. 427, 430."""
    basis = (
        cite("civil_procedure_225_228"),
        cite("civil_procedure_interp_427"),
        cite("civil_procedure_interp_430"),
        cite("civil_procedure_interp_438_439"),
    )
    reasons: list[str] = []
    if not debtor_identified:
        reasons.append(
            "经营者身份不明：申请书必须写明债务人，支付令还要送达债务人；先查明经营者的名称和住所。"
        )
    if not debtor_reachable:
        reasons.append(
            "债务人下落不明或无法送达：法院不予受理（民诉法解释第四百二十七条第一款第（四）（五）项），"
            "发出后30日内无法送达的督促程序终结（第四百三十条）。跑路、失联的卡盟不适用。"
        )
    if counter_dispute:
        reasons.append(
            "双方对这笔钱有争议（对方拒绝退款、调解中不同意，或你仍负有对待给付义务）：不符合\u201c没有其他债务纠纷\u201d"
            "\u201c债权人没有对待给付义务\u201d的条件（民事诉讼法第二百二十五条、民诉法解释第四百二十七条），"
            "而且对方一提出书面异议，支付令即失效。"
        )
    legally_available = debtor_identified and debtor_reachable and not counter_dispute
    if legally_available and not debt_acknowledged:
        reasons.append(
            "记录中没有对方同意退还一笔确定金额的答复（只说“会处理”不等于承认欠款）：对方很可能提出书面异议，"
            "支付令随即失效并转入诉讼；证据充分时直接起诉更省时间。"
        )
    fits = legally_available and debt_acknowledged
    if fits:
        explanation = (
            "适合申请支付令：经营者明确、能够送达，并且已经书面同意退还确定的金额却没有支付，"
            f"双方没有其他债务纠纷。支付令不受金额限制，也不用开庭。{_PAYMENT_ORDER_FLOW}"
        )
    else:
        explanation = (
            "不适合申请支付令：" + "".join(reasons) + "支付令适合\u201c对方认账但不付钱\u201d的情形，"
            "即对方书面同意退还确定的金额却一直不付；匿名或跑路的经营者不适合。"
        )
    return FitResult(fits, legally_available, tuple(reasons), explanation, basis)


# ---------------------------------------------------------------------------------------------------------------
# 大写金额


def amount_in_words(amount: Money) -> str:
    """人民币大写金额（如 100 → 壹佰元整），用于起诉状、支付令申请书；先四舍五入到分。"""
    d = to_decimal(amount)
    if d < 0:
        raise ValueError(f"金额不能为负数：{amount!r}")
    q = d.quantize(CENT, rounding=ROUND_HALF_UP)
    return str(cn2an.an2cn(format(q, "f"), "rmb"))
