"""The case file: what the consumer tells us, validated with Chinese messages that name the field.

The JSON format is documented in docs/case-file.md. The web app builds the same object from its rows, so the CLI,
the API and the case page plan from identical facts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from weiquan.domain.taxonomy import TYPE_IDS

CHINA_TZ = ZoneInfo("Asia/Shanghai")

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
    return value.replace(tzinfo=CHINA_TZ) if value.tzinfo is None else value.astimezone(CHINA_TZ)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Shop(_Model):
    """A seller on a marketplace (平台内经营者): the defendant when the platform only hosts the shop."""

    name: str | None = Field(default=None, description="店铺名称")
    company: str | None = Field(default=None, description="店铺经营者全称")
    credit_code: str | None = None
    address: str | None = None
    contact: str | None = None


class Platform(_Model):
    name: str | None = None
    domain: str | None = None
    reachable: bool = True
    company: str | None = Field(default=None, description="经营者（公司）全称；未知填 null")
    credit_code: str | None = None
    icp: str | None = None
    address: str | None = None
    location: str | None = Field(default=None, description="经营者所在省市，如已知")
    merchant_name: str | None = Field(default=None, description="支付凭证上显示的收款商户名称（收款方全称）")
    contact: str | None = None
    sold_by: Literal["platform", "shop"] | None = Field(
        default=None, description="商品由平台自营（platform）还是平台内经营者/店铺（shop）出售；不知道为 null"
    )
    shop: Shop | None = Field(default=None, description="平台内经营者（店铺）的信息，sold_by 为 shop 时填写")
    odr: bool | None = Field(
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
    at_time_known: bool = Field(
        default=True, description="false：只知道日期，不知道几点（at 只写日期时自动设置）"
    )
    channel: ChannelId
    asked: str | None = Field(default=None, description="提出的诉求，如 退款")
    promise: str | None = Field(default=None, description="对方承诺的原话，如 3个工作日内处理")
    promise_by: dt.datetime | None = None
    response: Response = "pending"
    answer: str | None = Field(default=None, description="对方的答复内容")
    reference: str | None = Field(default=None, description="受理编号、报警回执号等")
    served_at: dt.datetime | None = Field(default=None, description="支付令送达债务人的时间")
    agreed_amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)] | None = Field(
        default=None, description="对方明确同意退还的金额（书面答复中写明的数额）"
    )

    _date_only = model_validator(mode="before")(lambda data: _mark_date_only(data, "at", "at_time_known"))
    _tz = field_validator("at", "promise_by", "served_at")(
        lambda v: _as_china_time(v) if isinstance(v, dt.datetime) else v
    )


class EvidenceItem(_Model):
    kind: EvidenceKind
    file: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    description: str | None = None
    captured_at: dt.datetime | None = None

    _tz = field_validator("captured_at")(lambda v: _as_china_time(v) if isinstance(v, dt.datetime) else v)


class Consumer(_Model):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    id_number: str | None = None
    email: str | None = None
    gender: Literal["男", "女"] | None = None
    birth_date: dt.date | None = None
    ethnicity: str | None = Field(default=None, description="民族，如 汉族")
    service_address: str | None = Field(default=None, description="送达地址；缺省为 address")
    e_service: bool | None = Field(default=None, description="是否同意电子送达；不知道为 null")
    e_service_address: str | None = Field(default=None, description="电子送达地址：手机号或邮箱")


class CaseFacts(_Model):
    description: str | None = None
    # "other": the consumer rejected every suggested type; the plan then uses the generic ladder.
    problem_type: Literal[(*TYPE_IDS, "other")] | None = None  # type: ignore[valid-type]
    amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
    paid_at: dt.datetime
    paid_at_time_known: bool = Field(
        default=True, description="false：只知道付款日期（paid_at 只写日期时自动设置）"
    )
    order_no: str | None = None
    item: str | None = Field(default=None, description="所购商品，如 100元游戏点卡")
    payment_method: PaymentMethod = "other"
    province: str | None = None
    platform: Platform
    contacts: list[Contact] = []
    evidence: list[EvidenceItem] = []
    consumer: Consumer = Consumer()
    demands: list[Demand] | None = None
    fraud_shown: bool | None = Field(default=None, description="是否已有证据表明经营者欺诈（消法第五十五条）")
    knew_harm_at: dt.date | None = Field(default=None, description="知道权益受损的日期；缺省为付款日")

    _date_only = model_validator(mode="before")(
        lambda data: _mark_date_only(data, "paid_at", "paid_at_time_known")
    )
    _tz = field_validator("paid_at")(lambda v: _as_china_time(v) if isinstance(v, dt.datetime) else v)

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
        return reason
    return str(err.get("msg", "取值无效"))


def parse_case(data: Any) -> CaseFacts:
    """Validate a decoded case-file object; raises CaseFileError naming each bad field in Chinese."""
    if not isinstance(data, dict):
        raise CaseFileError([("", "案件文件的最外层必须是一个 JSON 对象 {...}")])
    try:
        return CaseFacts.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = _path(err["loc"])
            label = FIELD_LABELS.get(path.split(".")[-1].split("[")[0], "")
            shown = f"{path}（{label}）" if label else path
            problems.append((shown, message_for(err)))
        raise CaseFileError(problems) from None


def load_case(path: str | Path) -> CaseFacts:
    """Read and validate a case file; relative evidence paths are resolved against the file's folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseFileError([("", f"找不到案件文件：{path}")]) from None
    except UnicodeDecodeError:
        raise CaseFileError([("", f"案件文件不是 UTF-8 编码的文本：{path}")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseFileError(
            [("", f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列（{exc.msg}）")]
        ) from None
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
