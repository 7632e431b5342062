"""The case file: what the consumer tells us, validated with Chinese messages that name the field.

The JSON format is documented in docs/case-file.md. The web app builds the same object from its rows, so the CLI,
the API and the case page plan from identical facts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from weiquan.domain.taxonomy import TYPE_IDS

CHINA_TZ = ZoneInfo("Asia/Shanghai")

# --- bounds (issue 12): one table for every way in — wizard, forms, API, CLI case files — and the Django models ---

# Longest text per field, in characters. weiquan/cases/models.py takes its max_length from here, so the web rows
# and the case file cannot disagree; fields the models keep as TextField are bounded here all the same.
MAX_LENGTH: dict[str, int] = {
    "description": 5000,
    "order_no": 128,
    "item": 200,
    "province": 16,
    "platform.name": 200,
    "platform.domain": 253,
    "platform.company": 200,
    "platform.credit_code": 18,
    "platform.icp": 64,
    "platform.address": 300,
    "platform.location": 100,
    "platform.merchant_name": 200,
    "platform.contact": 200,
    "shop.name": 200,
    "shop.company": 200,
    "shop.credit_code": 18,
    "shop.address": 300,
    "shop.contact": 200,
    "contact.asked": 300,
    "contact.promise": 200,
    "contact.answer": 2000,
    "contact.reference": 128,
    "evidence.file": 1000,
    "evidence.description": 300,
    "consumer.name": 64,
    "consumer.phone": 32,
    "consumer.address": 300,
    "consumer.id_number": 18,
    "consumer.email": 254,
    "consumer.ethnicity": 16,
    "consumer.service_address": 300,
    "consumer.e_service_address": 254,
}
MAX_CONTACTS = 500  # contacts per case: a real dispute has dozens; thousands only slow every page down
MAX_EVIDENCE = 500  # evidence items listed in one case file
MAX_JSON_DEPTH = 32  # a case file is 4 levels deep; anything far deeper is not a case file
EARLIEST = dt.date(2000, 1, 1)  # 卡盟 sites did not exist before; an earlier year is a typo
LATEST_AHEAD = dt.timedelta(days=366)  # a promise or an appointment may lie up to a year ahead
BIRTH_EARLIEST = dt.date(1900, 1, 1)
TODAY_RANGE = (EARLIEST, dt.date(2099, 12, 31))  # the "today" a plan may be computed for (--today, ?today=)


def china_today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


def latest_date() -> dt.date:
    return china_today() + LATEST_AHEAD


def date_range_message() -> str:
    return f"日期超出合理范围：应在 {EARLIEST.isoformat()} 至 {latest_date().isoformat()} 之间（最晚为今天起一年内），请检查年份"


def check_today(day: dt.date) -> str | None:
    """The Chinese problem with a "today" to plan for, or None."""
    low, high = TODAY_RANGE
    if not low <= day <= high:
        return f"日期超出范围：应在 {low.isoformat()} 至 {high.isoformat()} 之间"
    return None


def json_depth(value: Any) -> int:
    """Nesting depth of decoded JSON, counted without recursion (a hostile document may be 100,000 deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


class JSONTooDeep(ValueError):
    pass


def find_nul(value: Any) -> str | None:
    """The path ("title", "contacts[0].answer") of the first key or text holding U+0000, or None. Iterative."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path or "请求体"
        elif isinstance(item, dict):
            for key, v in item.items():
                name = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    return name
                stack.append((v, name))
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
    return None


NUL_MESSAGE = "含有空字符（\\0），请删除后重试"


def loads_bounded(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads with a depth limit; JSONTooDeep (a ValueError) when the document nests deeper."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise JSONTooDeep(f"JSON 嵌套过深（最多 {max_depth} 层）") from None
    if json_depth(data) > max_depth:
        raise JSONTooDeep(f"JSON 嵌套过深（最多 {max_depth} 层）")
    return data


def _text(key: str, description: str | None = None) -> Any:
    return Field(default=None, max_length=MAX_LENGTH[key], description=description)


ChannelId = Literal[
    "platform_cs",
    "12315",
    "heimao",
    "alipay",
    "wechat_pay",
    "industry_assoc",
    "police",
    "12321",
    "12377",
    "12345",
    "small_claims",
    "payment_order",
]
CHANNEL_IDS: tuple[str, ...] = typing.get_args(ChannelId)
PaymentMethod = Literal["alipay", "wechat_pay", "bank_card", "other"]
Response = Literal["pending", "promised", "refused", "no_reply", "accepted", "rejected", "failed", "resolved"]
EvidenceKind = Literal[
    "order_screenshot",
    "payment_record",
    "platform_terms",
    "cs_chat",
    "email",
    "call_recording",
    "code_failure_screenshot",
    "error_recording",
    "violation_screenshot",
    "platform_identity",
    "harassment_record",
    "police_receipt",
    "complaint_receipt",
    "notarization",
]
Demand = Literal["deliver", "reissue", "refund", "compensation", "stop_and_remedy", "delete_data"]


_DATE_ONLY = re.compile(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*$")


def _mark_date_only(data: Any, field: str, flag: str) -> Any:
    """A day given without a time stays a day: remember it, so no text invents "0时00分" (issue 7)."""
    value = data.get(field) if isinstance(data, dict) else None
    if isinstance(value, str) and flag not in data and _DATE_ONLY.match(value):
        return {**data, flag: False}
    return data


def _as_china_time(value: dt.datetime) -> dt.datetime:
    # A time written without an offset is what the consumer saw on a Chinese phone: Beijing time.
    try:
        return value.replace(tzinfo=CHINA_TZ) if value.tzinfo is None else value.astimezone(CHINA_TZ)
    except (OverflowError, ValueError):  # 0001-01-01T00:00:00+14:00 has no Beijing time
        raise ValueError(date_range_message()) from None


def _bounded_time(value: Any) -> Any:
    """Beijing time, and within EARLIEST … a year from today: dates the deadline arithmetic can use."""
    if not isinstance(value, dt.datetime):
        return value
    value = _as_china_time(value)
    if not EARLIEST <= value.date() <= latest_date():
        raise ValueError(date_range_message())
    return value


def _bounded_date(value: Any) -> Any:
    if isinstance(value, dt.date) and not EARLIEST <= value <= latest_date():
        raise ValueError(date_range_message())
    return value


def _no_number(value: Any) -> Any:
    # A date is written as text (ISO 8601); pydantic would read 1700000000 as a Unix time — not what anyone meant.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"不是有效的日期时间（{_DATETIME_HINT}）")
    return value


def _no_nul(value: Any) -> Any:
    # PostgreSQL cannot store U+0000 in text; no consumer types it on purpose.
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    _nul = field_validator("*", mode="before")(_no_nul)


class Shop(_Model):
    """A seller on a marketplace (平台内经营者): the defendant when the platform only hosts the shop."""

    name: str | None = _text("shop.name", "店铺名称")
    company: str | None = _text("shop.company", "店铺经营者全称")
    credit_code: str | None = _text("shop.credit_code")
    address: str | None = _text("shop.address")
    contact: str | None = _text("shop.contact")


class Platform(_Model):
    name: str | None = _text("platform.name")
    domain: str | None = _text("platform.domain")
    reachable: StrictBool = True
    company: str | None = _text("platform.company", "经营者（公司）全称；未知填 null")
    credit_code: str | None = _text("platform.credit_code")
    icp: str | None = _text("platform.icp")
    address: str | None = _text("platform.address")
    location: str | None = _text("platform.location", "经营者所在省市，如已知")
    merchant_name: str | None = _text("platform.merchant_name", "支付凭证上显示的收款商户名称（收款方全称）")
    contact: str | None = _text("platform.contact")
    sold_by: Literal["platform", "shop"] | None = Field(
        default=None, description="商品由平台自营（platform）还是平台内经营者/店铺（shop）出售；不知道为 null"
    )
    shop: Shop | None = Field(default=None, description="平台内经营者（店铺）的信息，sold_by 为 shop 时填写")
    odr: StrictBool | None = Field(
        default=None, description="平台是否为 12315 在线消费纠纷解决（ODR）企业；不知道为 null"
    )

    @model_validator(mode="after")
    def _named(self) -> Platform:
        if not (self.name or self.domain):
            raise ValueError("platform_needs_name")
        return self

    @property
    def display_name(self) -> str:
        if self.name and self.domain:
            return f"{self.name}（{self.domain}）"
        return self.name or self.domain or "该平台"

    @property
    def operator_known(self) -> bool:
        return bool(self.company)


class Contact(_Model):
    at: dt.datetime
    at_time_known: StrictBool = Field(
        default=True, description="false：只知道日期，不知道几点（at 只写日期时自动设置）"
    )
    channel: ChannelId
    asked: str | None = _text("contact.asked", "提出的诉求，如 退款")
    promise: str | None = _text("contact.promise", "对方承诺的原话，如 3个工作日内处理")
    promise_by: dt.datetime | None = None
    response: Response = "pending"
    answer: str | None = _text("contact.answer", "对方的答复内容")
    reference: str | None = _text("contact.reference", "受理编号、报警回执号等")
    served_at: dt.datetime | None = Field(default=None, description="支付令送达债务人的时间")
    agreed_amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)] | None = Field(
        default=None, description="对方明确同意退还的金额（书面答复中写明的数额）"
    )

    _date_only = model_validator(mode="before")(lambda data: _mark_date_only(data, "at", "at_time_known"))
    _tz = field_validator("at", "promise_by", "served_at")(_bounded_time)
    _text_dates = field_validator("at", "promise_by", "served_at", mode="before")(_no_number)

    @field_validator("promise")
    @classmethod
    def _promise_usable(cls, promise: str | None, info: ValidationInfo) -> str | None:
        # "9999999个工作日内" is a typo, not a deadline: refused here, so no plan ever has to count it.
        at = info.data.get("at")
        if promise and isinstance(at, dt.datetime):
            from weiquan.domain.workdays import parse_promises

            try:
                found = parse_promises(promise, at)
            except (OverflowError, ValueError):
                raise ValueError("promise_out_of_range") from None
            if any(d.date > at.date() + 2 * LATEST_AHEAD for d in found):
                raise ValueError("promise_out_of_range")
        return promise


class EvidenceItem(_Model):
    kind: EvidenceKind
    file: str | None = _text("evidence.file")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    description: str | None = _text("evidence.description")
    captured_at: dt.datetime | None = None

    _tz = field_validator("captured_at")(_bounded_time)
    _text_dates = field_validator("captured_at", mode="before")(_no_number)


class Consumer(_Model):
    name: str | None = _text("consumer.name")
    phone: str | None = _text("consumer.phone")
    address: str | None = _text("consumer.address")
    id_number: str | None = _text("consumer.id_number")
    email: str | None = _text("consumer.email")
    gender: Literal["男", "女"] | None = None
    birth_date: dt.date | None = None
    ethnicity: str | None = _text("consumer.ethnicity", "民族，如 汉族")
    service_address: str | None = _text("consumer.service_address", "送达地址；缺省为 address")
    e_service: StrictBool | None = Field(default=None, description="是否同意电子送达；不知道为 null")
    e_service_address: str | None = _text("consumer.e_service_address", "电子送达地址：手机号或邮箱")

    _text_dates = field_validator("birth_date", mode="before")(_no_number)

    @field_validator("birth_date")
    @classmethod
    def _born(cls, v: dt.date | None) -> dt.date | None:
        if v is not None and not BIRTH_EARLIEST <= v <= china_today():
            raise ValueError(f"出生日期应在 {BIRTH_EARLIEST.isoformat()} 至今天之间，请检查年份")
        return v


class CaseFacts(_Model):
    description: str | None = _text("description")
    # "other": the consumer rejected every suggested type; the plan then uses the generic ladder.
    problem_type: Literal[(*TYPE_IDS, "other")] | None = None  # type: ignore[valid-type]
    amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
    paid_at: dt.datetime
    paid_at_time_known: StrictBool = Field(
        default=True, description="false：只知道付款日期（paid_at 只写日期时自动设置）"
    )
    order_no: str | None = _text("order_no")
    item: str | None = _text("item", "所购商品，如 100元游戏点卡")
    payment_method: PaymentMethod = "other"
    province: str | None = _text("province")
    platform: Platform
    contacts: list[Contact] = Field(default=[], max_length=MAX_CONTACTS)
    evidence: list[EvidenceItem] = Field(default=[], max_length=MAX_EVIDENCE)
    consumer: Consumer = Consumer()
    demands: list[Demand] | None = Field(default=None, max_length=len(typing.get_args(Demand)))
    fraud_shown: StrictBool | None = Field(
        default=None, description="是否已有证据表明经营者欺诈（消法第五十五条）"
    )
    knew_harm_at: dt.date | None = Field(default=None, description="知道权益受损的日期；缺省为付款日")

    _date_only = model_validator(mode="before")(
        lambda data: _mark_date_only(data, "paid_at", "paid_at_time_known")
    )
    _tz = field_validator("paid_at")(_bounded_time)
    _day = field_validator("knew_harm_at")(_bounded_date)
    _text_dates = field_validator("paid_at", "knew_harm_at", mode="before")(_no_number)

    @model_validator(mode="after")
    def _has_story_or_type(self) -> CaseFacts:
        if not self.description and not self.problem_type:
            raise ValueError("needs_description_or_type")
        return self

    def contacts_with(self, channel: str) -> list[Contact]:
        return sorted((c for c in self.contacts if c.channel == channel), key=lambda c: c.at)

    def has_evidence(self, kind: str) -> bool:
        return any(e.kind == kind for e in self.evidence)


# --- Chinese error messages -------------------------------------------------------------------------------------

FIELD_LABELS = {
    "description": "经过描述",
    "problem_type": "问题类型",
    "amount": "金额",
    "paid_at": "付款时间",
    "order_no": "订单号",
    "payment_method": "付款方式",
    "province": "所在省份",
    "platform": "平台信息",
    "name": "名称",
    "domain": "网址/域名",
    "reachable": "能否联系",
    "company": "经营者名称",
    "contacts": "联系记录",
    "at": "时间",
    "channel": "渠道",
    "promise_by": "承诺期限",
    "response": "答复结果",
    "evidence": "证据",
    "kind": "证据种类",
    "sha256": "SHA-256",
    "demands": "诉求",
    "asked": "诉求",
    "promise": "对方承诺",
    "answer": "对方答复",
    "reference": "受理编号",
    "served_at": "支付令送达时间",
    "agreed_amount": "同意退还的金额",
    "captured_at": "拍摄时间",
    "knew_harm_at": "知道权益受损的日期",
    "item": "所购商品",
    "consumer": "消费者信息",
    "phone": "电话",
    "address": "地址",
    "id_number": "身份证号",
    "email": "邮箱",
    "birth_date": "出生日期",
    "credit_code": "统一社会信用代码",
    "merchant_name": "收款商户名称",
    "shop": "店铺信息",
}

_DATETIME_HINT = "例如 2026-11-20T10:00:00+08:00 或 2026-11-20 10:00"


class CaseFileError(ValueError):
    """A case file that cannot be planned; ``problems`` lists (field path, Chinese message)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{path}：{msg}" if path else msg for path, msg in problems))


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("literal[", "function-")):
            continue
        else:
            out += ("." if out else "") + part
    return out


def message_for(err: Any) -> str:
    """The Chinese message for one pydantic error (also used by the API for its own request bodies)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "缺少必填字段"
    if kind == "extra_forbidden":
        return "未知字段（是否拼写错误？字段说明见 docs/case-file.md）"
    if kind == "string_too_long":
        return f"太长（最多 {ctx.get('max_length')} 个字）"
    if kind == "too_long":
        return f"条目太多（最多 {ctx.get('max_length')} 条）"
    if kind == "finite_number":
        return "必须是有限的数字，不能是 NaN 或 Infinity"
    if kind.startswith("datetime") or kind.startswith("date_"):
        return f"不是有效的日期时间（{_DATETIME_HINT}）"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"取值无效，可选：{'、'.join(expected.split(', '))}"
    if kind in ("greater_than", "greater_than_equal"):
        return f"必须大于 {ctx.get('gt', ctx.get('ge'))}"
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type", "int_parsing"):
        return "必须是数字（单位：元），例如 100 或 99.5"
    if kind in ("decimal_max_places",):
        return "金额最多保留两位小数"
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return "金额过大"
    if kind == "bool_parsing" or kind == "bool_type":
        return "必须是 true 或 false"
    if kind == "string_type":
        return "必须是文字"
    if kind == "string_pattern_mismatch":
        return "格式不正确（SHA-256 应为 64 位十六进制）"
    if kind == "list_type":
        return "必须是列表 [...]"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "必须是对象 {...}"
    if kind == "value_error":
        reason = str(ctx.get("error", ""))
        if "needs_description_or_type" in reason:
            return "请至少给出 description（经过描述）或 problem_type（问题类型）"
        if "platform_needs_name" in reason:
            return "平台至少要有 name（名称）或 domain（网址）"
        if "promise_out_of_range" in reason:
            return "承诺的期限太长（最多两年），请检查数字，例如 3个工作日内、24小时内"
        return reason
    return str(err.get("msg", "取值无效"))


def parse_case(data: Any) -> CaseFacts:
    """Validate a decoded case-file object; raises CaseFileError naming each bad field in Chinese."""
    if not isinstance(data, dict):
        raise CaseFileError([("", "案件文件的最外层必须是一个 JSON 对象 {...}")])
    try:
        return CaseFacts.model_validate(data)
    except ValidationError as exc:
        raise CaseFileError(_problems(exc)) from None


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        path = _path(err["loc"])
        label = FIELD_LABELS.get(path.split(".")[-1].split("[")[0], "")
        shown = f"{path}（{label}）" if label else path
        problems.append((shown, message_for(err)))
    return problems


def parse_contact(data: Any) -> Contact:
    """One contact (an API event, a form entry, a correction) under the case file's rules; CaseFileError otherwise."""
    if not isinstance(data, dict):
        raise CaseFileError([("", "联系记录必须是一个 JSON 对象 {...}")])
    try:
        return Contact.model_validate(data)
    except ValidationError as exc:
        raise CaseFileError(_problems(exc)) from None


def load_case(path: str | Path) -> CaseFacts:
    """Read and validate a case file; relative evidence paths are resolved against the file's folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (Windows Notepad) is not an error
    except FileNotFoundError:
        raise CaseFileError([("", f"找不到案件文件：{path}")]) from None
    except IsADirectoryError:
        raise CaseFileError([("", f"{path} 是一个文件夹，请给出案件文件（.json）")]) from None
    except PermissionError:
        raise CaseFileError([("", f"没有权限读取案件文件：{path}")]) from None
    except UnicodeDecodeError:
        raise CaseFileError([("", f"案件文件不是 UTF-8 编码的文本：{path}")]) from None
    except OSError as exc:
        raise CaseFileError([("", f"无法读取案件文件：{path}（{exc.strerror or exc}）")]) from None
    try:
        data = loads_bounded(text)
    except JSONTooDeep as exc:
        raise CaseFileError([("", str(exc))]) from None
    except json.JSONDecodeError as exc:
        raise CaseFileError(
            [("", f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列（{exc.msg}）")]
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise CaseFileError([("", f"JSON 无法读取（{exc}）")]) from None
    facts = parse_case(data)
    base = path.resolve().parent
    if any(e.file for e in facts.evidence):
        evidence = [
            e.model_copy(update={"file": str(base / e.file)})
            if e.file and not Path(e.file).is_absolute()
            else e
            for e in facts.evidence
        ]
        facts = facts.model_copy(update={"evidence": evidence})
    return facts


# --- stored values the plan cannot use (issue 12) ---------------------------------------------------------------


@dataclass(frozen=True)
class Unusable:
    """A stored value the plan cannot use: left out of the plan and reported, so the owner can correct it.

    ``contact`` is the index of the contact (in the stored order) the value belongs to, if any.
    """

    path: str
    label: str
    message: str
    contact: int | None = None
    dropped_entry: bool = True  # for a contact or evidence item: the whole entry was left out, not one value

    @property
    def text(self) -> str:
        return f"{self.label or self.path}：{self.message}"


_ITEM_ESSENTIALS = ("at", "channel", "kind")
_REQUIRED_FALLBACKS: dict[str, Any] = {
    "amount": "0.01",
    "platform": {"name": "未命名平台"},
}


def _plain_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    return tuple(p for p in loc if not (isinstance(p, str) and p.startswith(("literal[", "function-"))))


def _drop(data: Any, loc: tuple[int | str, ...]) -> bool:
    """Removes the value at ``loc`` from nested dicts/lists; False when there is nothing there to remove."""
    container = data
    for part in loc[:-1]:
        try:
            container = container[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(container, dict) and loc[-1] in container:
        del container[loc[-1]]
        return True
    return False


def parse_stored_case(
    data: dict[str, Any], fallbacks: dict[str, Any] | None = None
) -> tuple[CaseFacts, list[Unusable]]:
    """The facts of a stored case even when some stored value is no longer valid (e.g. a contact dated
    9999-12-31 stored before the bounds existed): such a contact or evidence item is left out, such a field falls
    back to its default, and each is reported as an ``Unusable`` fact to correct. Never raises on stored data.

    ``fallbacks`` supplies required fields (paid_at) when the stored one is unusable. ``data`` is changed in place.
    """
    fallbacks = {**_REQUIRED_FALLBACKS, **(fallbacks or {})}
    problems: list[Unusable] = []
    contacts = data.get("contacts")
    origin = (
        list(range(len(contacts))) if isinstance(contacts, list) else []
    )  # current position -> stored index
    for _round in range(8):
        try:
            return CaseFacts.model_validate(data), problems
        except ValidationError as exc:
            errors = exc.errors()
        dropped: dict[str, set[int]] = {"contacts": set(), "evidence": set()}
        for err in errors:
            loc = _plain_loc(tuple(err["loc"]))
            path = _path(loc)
            label = FIELD_LABELS.get(path.split(".")[-1].split("[")[0], "")
            if err["type"] == "missing" and len(loc) == 1 and loc[0] in fallbacks:
                data[str(loc[0])] = fallbacks[str(loc[0])]
                continue
            if len(loc) >= 2 and loc[0] in dropped and isinstance(loc[1], int):
                index = origin[loc[1]] if loc[0] == "contacts" and loc[1] < len(origin) else None
                # A bad promise or photo time loses only that value; a bad date or channel, the whole entry.
                if len(loc) >= 3 and loc[2] not in _ITEM_ESSENTIALS and _drop(data, loc[:3]):
                    problems.append(Unusable(path, label, message_for(err), index, dropped_entry=False))
                else:
                    dropped[str(loc[0])].add(loc[1])
                    problems.append(Unusable(path, label, message_for(err), index))
            elif loc in (("contacts",), ("evidence",)) and err["type"] == "too_long":
                limit = MAX_CONTACTS if loc[0] == "contacts" else MAX_EVIDENCE
                data[str(loc[0])] = data[str(loc[0])][:limit]
                problems.append(Unusable(path, label, f"条目太多（最多 {limit} 条），只计入前 {limit} 条"))
            elif not loc:
                data["problem_type"] = "other"
            elif _drop(data, loc) or _drop(data, loc[:1]):
                problems.append(Unusable(path, label, message_for(err)))
        for key, gone in dropped.items():
            if gone and isinstance(data.get(key), list):
                data[key] = [item for i, item in enumerate(data[key]) if i not in gone]
                if key == "contacts":
                    origin = [o for i, o in enumerate(origin) if i not in gone]
    # Unreachable for rows the web app stores; kept total for any JSON: the bare minimum case.
    minimal = {"problem_type": "other", "amount": "0.01", "platform": {"name": "未命名平台"}}
    minimal["paid_at"] = fallbacks.get("paid_at") or dt.datetime.now(CHINA_TZ).isoformat()
    problems.append(Unusable("", "", "案件信息无法读取，请重新填写"))
    return CaseFacts.model_validate(minimal), problems
