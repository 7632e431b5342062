"""Checks for what identifies a platform: 统一社会信用代码, ICP备案号 and domain names.

Every error is a Django ``ValidationError`` with a Chinese message, so the admin, forms and the 三查 page can show it
as it is. The functions also work on their own (no database).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc

# --- 统一社会信用代码 (GB 32100-2015) ------------------------------------------------------------------------------


def validate_credit_code(value: str) -> str:
    """The code in its compact form (18 characters, upper case), or ValidationError saying what is wrong.

    python-stdnum checks the length, the alphabet (no I, O, S, V, Z) and the final check digit. It does not check
    the embedded organisation code or the region, so "valid" means well-formed, not "registered": the company still
    has to be looked up in 国家企业信用信息公示系统.
    """
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        raise ValidationError(_("请填写统一社会信用代码"), code="required")
    try:
        return str(uscc.validate(text))
    except stdnum_errors.InvalidLength:
        raise ValidationError(_("统一社会信用代码应为18位"), code="length") from None
    except stdnum_errors.InvalidFormat:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符（只能是数字和除 I、O、S、V、Z 以外的大写字母）"),
            code="format",
        ) from None
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _("统一社会信用代码校验位不对：可能抄错了一位，或是伪造的代码"), code="checksum"
        ) from None
    except (stdnum_errors.ValidationError, ValueError):
        raise ValidationError(_("统一社会信用代码格式不对"), code="invalid") from None


def credit_code_problem(value: str) -> str | None:
    """None when the code is well-formed, else the reason (for reports that list problems rather than raise)."""
    try:
        validate_credit_code(value)
    except ValidationError as exc:
        return str(exc.messages[0])
    return None


# --- ICP备案号 / ICP许可证 ----------------------------------------------------------------------------------------

# The one-character names the MIIT's provincial communication administrations print in filing numbers. Sichuan
# files as 蜀, Gansu as 陇, Guizhou as 黔, Yunnan as 滇 (川/甘/贵/云 do not occur in real numbers).
ICP_PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝蜀黔滇藏陕陇青宁新"

# 粤ICP备12345678号-1 (a filing; -1 is the site number), 京ICP备2021012345号 (numbers since ~2019 start with the
# year), 京ICP证030173号 (a commercial-service licence).
_ICP = re.compile(
    rf"^(?P<province>[{ICP_PROVINCES}])ICP(?P<kind>备|证)(?P<number>\d{{4,10}})号(?:-(?P<site>\d{{1,3}}))?$"
)


@dataclass(frozen=True, slots=True)
class IcpNumber:
    province: str
    kind: str  # "备" (filing, 备案) or "证" (licence for commercial services, 经营许可证)
    number: str
    site: str | None

    def __str__(self) -> str:
        return f"{self.province}ICP{self.kind}{self.number}号" + (f"-{self.site}" if self.site else "")

    @property
    def is_licence(self) -> bool:
        return self.kind == "证"


def normalize_icp(value: str) -> str:
    # Full-width digits and dashes (１２３, －) become ASCII; spaces and a trailing 。 are dropped; "icp" is upper-cased.
    text = unicodedata.normalize("NFKC", value or "")
    text = re.sub(r"\s+", "", text).rstrip("。.")
    text = re.sub(r"icp", "ICP", text, flags=re.IGNORECASE)
    return re.sub(r"[‐‑‒–—―－]", "-", text)


def parse_icp(value: str) -> IcpNumber:
    """The filing or licence number, or ValidationError naming the part that is wrong.

    A well-formed number is not proof of a filing: it must still be looked up at beian.miit.gov.cn, where it has to
    belong to this domain and this operator (a copied number is a common trick).
    """
    text = normalize_icp(value)
    if not text:
        raise ValidationError(_("请填写ICP备案号"), code="required")
    m = _ICP.match(text)
    if m:
        return IcpNumber(m["province"], m["kind"], m["number"], m["site"])
    if "ICP" not in text:
        raise ValidationError(
            _("不是ICP备案号：应形如“粤ICP备12345678号-1”或“京ICP证030173号”"), code="format"
        )
    if text[0] not in ICP_PROVINCES:
        raise ValidationError(
            _("ICP备案号应以省份简称开头（如 京、沪、粤、浙、蜀），“%(head)s”不是") % {"head": text[0]},
            code="province",
        )
    if not re.search(r"ICP(备|证)", text):
        raise ValidationError(_("ICP后面应是“备”（备案）或“证”（经营许可证）"), code="kind")
    if "号" not in text:
        raise ValidationError(_("ICP备案号缺少“号”字，应形如“粤ICP备12345678号-1”"), code="suffix")
    raise ValidationError(
        _("ICP备案号的编号部分不对：应为4到10位数字，后接“号”，可再接“-网站序号”"), code="number"
    )


def validate_icp(value: str) -> str:
    return str(parse_icp(value))


def icp_problem(value: str) -> str | None:
    try:
        parse_icp(value)
    except ValidationError as exc:
        return str(exc.messages[0])
    return None


# --- domains -----------------------------------------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_domain(value: str) -> str:
    """The host name a consumer means, as the registry stores it: lower case, ASCII (punycode), no www.

    Takes a bare domain or a whole address: ``HTTPS://WWW.Example.com:8080/shop?id=1`` → ``example.com``;
    ``卡盟.中国`` → ``xn--...``. Chinese full stops (。．) count as dots. IPv4/IPv6 addresses are kept as they are.
    """
    text = unicodedata.normalize("NFKC", value or "").strip()
    # NFKC turns the full-width ． into "." but leaves the ideographic full stop 。 alone.
    text = text.replace("。", ".").replace("｡", ".")
    if not text:
        raise ValidationError(_("请填写网址或域名"), code="required")
    if "://" not in text:
        text = "//" + text.lstrip("/")
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        raise ValidationError(_("网址格式不对"), code="invalid") from None
    host = host.strip(".").lower()
    if not host:
        raise ValidationError(_("网址里没有域名"), code="invalid")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host.startswith("www."):
        host = host[4:]
    try:
        # Python's idna codec (IDNA 2003, as browsers still accept for these names) encodes each label.
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(_("域名含有不能用于网址的字符"), code="invalid") from None
    labels = ascii_host.split(".")
    if len(labels) < 2:
        raise ValidationError(_("域名不完整：应形如 example.com"), code="invalid")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError(_("域名格式不对：只能含字母、数字、连字符和点"), code="invalid")
    if labels[-1].isdigit():
        raise ValidationError(_("域名格式不对：最后一段不能全是数字"), code="invalid")
    return ascii_host


def domain_or_none(value: str) -> str | None:
    try:
        return normalize_domain(value)
    except ValidationError:
        return None


def display_domain(domain: str) -> str:
    """The Unicode form of a punycode domain, for people (xn--… is unreadable)."""
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain


def parent_domains(domain: str) -> list[str]:
    """``a.b.example.com`` → ``[b.example.com, example.com]``: a shop on a 分站 subdomain belongs to the main site."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
