"""Masking personal data out of complaint text before anything is shown in public.

``mask(text, known=...)`` replaces names, phone numbers, ID numbers, bank cards, QQ/WeChat ids, e-mails, full order
numbers (the last four characters stay, so the platform can find the order), card codes (卡密) and passwords with
Chinese placeholders such as 【手机号已隐藏】. ``known`` holds the exact values the case itself stores (the consumer's
name, phone, e-mail, order number, address): they are masked wherever they appear, whatever their shape.

The rules run in a fixed order, most specific first:

1. known values;
2. values announced by a label (卡密：…, 密码：…, 订单号…, QQ…, 微信…, 身份证…, 银行卡…, 电话…, 我叫…);
3. values recognisable by their shape alone (e-mail, 18/15-digit ID, mobile and landline numbers, 13–19 digit card
   numbers passing the Luhn check, other long digit runs, grouped codes like XXXX-XXXX-XXXX, long letter+digit codes).

What is deliberately left alone: amounts (100元, ¥1,299.00), dates (2026-11-20, 11月20日), times, the platform's
domain and service hotlines (400/800/95xxx numbers belong to the business, not to the consumer).

Masking is idempotent (``mask(mask(x)) == mask(x)``): placeholders contain nothing a rule would match again.
Pure Python; no Django.

``mask`` is the one function every public text goes through (the 黑猫 draft, a published complaint and its title,
the open-data export, what a platform receives by webhook, a platform's public reply). ``personal_values(facts)``
is what it should know about a case: every personal field, plus the names the consumer wrote in the story
("我叫王小明") — so a platform's reply "王小明您好" is masked even when no field holds the name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weiquan.domain.facts import CaseFacts

__all__ = ["TOKENS", "luhn_ok", "mask", "names_in", "personal_values"]

TOKENS = {
    "name": "【姓名已隐藏】",
    "phone": "【手机号已隐藏】",
    "landline": "【电话已隐藏】",
    "id": "【身份证号已隐藏】",
    "bank": "【银行卡号已隐藏】",
    "card_no": "【卡号已隐藏】",
    "qq": "【QQ号已隐藏】",
    "wechat": "【微信号已隐藏】",
    "email": "【邮箱已隐藏】",
    "code": "【卡密已隐藏】",
    "password": "【密码已隐藏】",
    "account": "【账号已隐藏】",
    "number": "【编号已隐藏】",
    "address": "【地址已隐藏】",
    "private": "【个人信息已隐藏】",
}

# Full-width letters, digits and @ typed on a Chinese keyboard (１３８…, ＱＱ) become ASCII first, so every rule sees
# one form. Nothing else of the text changes.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}
_FULLWIDTH.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})
_FULLWIDTH.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})
_FULLWIDTH[0xFF20] = ord("@")

_CJK = "\u4e00-\u9fff"
# What may stand between a label and its value: spaces, a colon, 是/为, an opening bracket.
_SEP = r"\s*(?:[:：=＝]|是|为|[（(【\[])?\s*"
_DATE_AHEAD = r"(?!\d{4}[-/.年]\d{1,2}(?!\d))"
_NOT_MONEY = r"(?![\d元块圆])"

# A rule runs only when its gate is open: one of its label words occurs in the lower-cased text, or its trigger
# pattern matches. Each gate is a necessary condition of its rule's pattern (a cheap ``in`` or one simple search
# instead of a scan with look-arounds at every position); tests check that gating never changes the result.
Gate = tuple[str, ...] | re.Pattern[str]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _tail(value: str) -> str:
    """An order number keeps at most its last four characters: enough for the platform, useless to anyone else."""
    compact = re.sub(r"[\s-]", "", value)
    return "…" + compact[-4:] if len(compact) >= 8 else TOKENS["number"]


def _keep_label(token: str) -> Callable[[re.Match[str]], str]:
    return lambda m: m.group("label") + token


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


# --- labelled values -----------------------------------------------------------------------------------------------

_CODE = (
    r"(?=[A-Za-z0-9-]{4,})[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*"
    # space-separated groups (ABCD EFGH IJKL), but never swallow a following amount ("… 100元")
    r"(?:[ \u3000](?![\d.]+\s*[元块])[A-Za-z0-9]{4,}(?:-[A-Za-z0-9]+)*)*"
)
_CODE_LABEL = (
    r"卡密|卡号(?:和|及)?(?:卡)?密码?|激活码|兑换码|充值码|礼品码|礼包码|提货码|券码|序列号|授权码|"
    r"(?<![A-Za-z])(?:cd-?keys?|cdk|keys?|license|serial)(?![A-Za-z])"
)
_PASSWORD_LABEL = (
    r"(?:支付|登录|登陆|交易|账号|游戏)?密码|口令|(?<![A-Za-z])(?:passwords?|passwd|pass|pwd)(?![A-Za-z])"
)
_ORDER_LABEL = (
    r"(?:商户|商家|支付|付款|交易|充值)?订单(?:号码?|编号)?|单号|(?:交易|支付|付款)(?:流水)?号|流水号|"
    r"(?<![A-Za-z])order\s*(?:no\.?|id|number|#)?(?![A-Za-z])"
)
_QQ_LABEL = r"(?<![A-Za-z])(?:QQ|qq|Qq|qQ|扣扣|企鹅)(?:号码?)?(?:\s*[/／或、]\s*(?:微信|VX|vx|WX|wx)号?)?"
_WECHAT_CN = r"(?:微信|威信|薇信|V信|v信|维信)(?:号码?|账号|id|ID)?(?:\s*[/／或、]\s*(?:QQ|qq)号?)?"
_WECHAT_ASCII = r"(?<![A-Za-z0-9.])(?:vx|VX|Vx|wx|WX|Wx|weixin|wechat|WeChat|Wechat)(?:号|id|ID)?"
_WECHAT_VALUE = (
    r"[A-Za-z][-_A-Za-z0-9]{4,19}(?![-_A-Za-z0-9@])|" + _DATE_AHEAD + r"\+?\d(?:[\s-]?\d){4,14}" + _NOT_MONEY
)
_PHONE_LABEL = (
    r"(?:手机|电话|联系电话|手机号码?|电话号码?|联系方式|座机|本人电话|我的电话|"
    r"(?<![A-Za-z])(?:tel|phone|mobile|mob)(?![A-Za-z]))"
)
_NAME_LABEL = (
    r"我叫|我的名字(?:是|叫)|本人姓名|真实姓名|姓名|名字叫|收件人|收货人|联系人|持卡人|开户名|开户人|户名|"
    r"账户名|实名(?:认证)?(?:的)?(?:名字|姓名)?"
)
# Characters that end a name captured after a label ("我叫张伟在某某卡盟…" → 张伟).
_NAME_STOP = set("在的是和与及于从向给买已用说要把被对电手身微地联账住今昨前上下这那，")
_NAME_NOT_FIRST = "和与及、或都被等也的是了未没不已"


def _name(m: re.Match[str]) -> str:
    value = m.group("value")
    cut = len(value)
    for i, ch in enumerate(value):
        if i >= 2 and ch in _NAME_STOP:
            cut = i
            break
    return m.group("label") + TOKENS["name"] + value[cut:]


def _card_no(m: re.Match[str]) -> str:
    label, value = m.group("label"), m.group("value")
    digits = _digits(value)
    bank = any(w in label for w in ("银行", "信用", "储蓄", "借记")) or (
        digits == re.sub(r"[\s-]", "", value) and 13 <= len(digits) <= 19 and luhn_ok(digits)
    )
    return label + (TOKENS["bank"] if bank else TOKENS["card_no"])


def _qq_or_wechat(m: re.Match[str]) -> str:
    label, value = m.group("label"), m.group("value")
    if value.isdigit() and ("QQ" in label.upper() or "扣扣" in label or "企鹅" in label):
        return label + TOKENS["qq"]
    return label + TOKENS["wechat"]


def _phone_value(m: re.Match[str]) -> str:
    digits = _digits(m.group("value"))
    return m.group("label") + (
        TOKENS["phone"] if re.fullmatch(r"(?:86)?1[3-9]\d{9}", digits) else TOKENS["landline"]
    )


def _labelled(label: str, value: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(rf"(?P<label>(?:{label}){_SEP})(?P<value>{value})", flags)


# --- shapes ----------------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ID18 = re.compile(
    r"(?<!\d)[1-9]\d{5}[\s-]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[\s-]?\d{3}[\dXx](?![\dA-Za-z])"
)
_ID15 = re.compile(r"(?<!\d)[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![\dA-Za-z])")
_MOBILE = re.compile(
    r"(?<![\d])(?:(?:\+|00)?86[\s-]?|[(（]\+?86[)）]\s*)?1[3-9]\d(?:[ \u3000-]?\d){8}" + _NOT_MONEY
)
_LANDLINE = re.compile(
    r"(?<![\d])(?:(?:\+|00)86[\s-]?\(?0?\d{2,3}\)?|[(（]0\d{2,3}[)）]|0\d{2,3})[\s-]?[2-9]\d{2,3}[\s-]?\d{4}"
    + _NOT_MONEY
    + r"(?:\s*(?:转|-|ext\.?)\s*\d{1,5})?"
)
# 13 digits or more, bare or in groups of 4–6 (6222 0212 3456 7890 123); dates (groups of 2) never match.
_LONG_DIGITS = re.compile(r"(?<![\d.])(?:\d{4,6}(?:[ -]\d{4,6})+(?:[ -]\d{1,3})?|\d{12,})(?![\d.])")
_GROUPED_CODE = re.compile(
    r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9-]*[0-9A-Z])[A-Za-z0-9]{4,8}(?:-[A-Za-z0-9]{4,8}){2,}(?![A-Za-z0-9_-])"
    r"|(?<![A-Za-z0-9])(?=[A-Z0-9 ]*[A-Z])[A-Z0-9]{4,5}(?: [A-Z0-9]{4,5}){3,}(?![A-Za-z0-9])"
)
# A long run of letters and digits mixing both (an unlabelled card code or order id). Not part of a domain, an e-mail
# or a path segment with dots ("km8888abc123.com" stays).
_MIXED_CODE = re.compile(
    r"(?<![A-Za-z0-9_@.-])(?=(?:[A-Za-z]*\d){4})(?=(?:\d*[A-Za-z]){2})[A-Za-z0-9]{10,}(?![A-Za-z0-9_@-]|\.[A-Za-z0-9])"
)


def _long_digits(m: re.Match[str]) -> str:
    digits = _digits(m.group(0))
    if 13 <= len(digits) <= 19 and luhn_ok(digits):
        return TOKENS["bank"]
    return _tail(digits)


_DIGIT_RUN = re.compile(r"\d[\d\s-]{5,}\d")  # every phone, ID, card or long number contains one
_CODE_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{9,}")  # every grouped or long code contains one
_CODE_WORDS = (
    "卡密", "卡号", "激活码", "兑换码", "充值码", "礼品码", "礼包码", "提货码", "券码", "序列号", "授权码",
    "cd", "key", "license", "serial",
)  # fmt: skip
_HAS_FULLWIDTH = re.compile("[\uff10-\uff19\uff20-\uff3a\uff41-\uff5a]")

# (gate, pattern, replacement) in the order they run.
_RULES: list[tuple[Gate, re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    # 2. labelled values
    (
        _CODE_WORDS,
        _labelled(_CODE_LABEL, _CODE + r"(?:\s*[,，、/;；]\s*" + _CODE + ")*", re.I),
        _keep_label(TOKENS["code"]),
    ),
    (
        ("密码", "口令", "pass", "pwd"),
        _labelled(_PASSWORD_LABEL, r"[^\s，。；、,;）)】」』\"'“”‘’" + _CJK + r"]{3,64}", re.I),
        _keep_label(TOKENS["password"]),
    ),
    (("@",), _EMAIL, lambda m: TOKENS["email"]),
    (
        ("订单", "单号", "交易号", "支付号", "付款号", "流水号", "order"),
        _labelled(_ORDER_LABEL, _DATE_AHEAD + r"(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9][A-Za-z0-9_-]{5,63}", re.I),
        lambda m: m.group("label") + _tail(m.group("value")),
    ),
    (
        ("身份证", "证件号", "身份号"),
        _labelled(
            r"身份证(?:号码?)?|证件号码?|身份号码?", r"\d{6}[\s-]?\d{8}[\s-]?\d{3}[\dXx]|\d{15}|\d{17}[\dXx]"
        ),
        _keep_label(TOKENS["id"]),
    ),
    (
        ("银行", "信用卡", "储蓄卡", "借记卡", "卡号"),
        _labelled(
            r"(?:银行|信用|储蓄|借记)卡(?:卡号|号码?)?|银行账号|卡号",
            r"\d(?:[\s-]?\d){9,22}(?!\d)|[A-Za-z0-9][A-Za-z0-9-]{5,40}",
        ),
        _card_no,
    ),
    (
        ("账号", "帐号", "用户名", "登录名"),
        _labelled(r"游戏账号|(?:登录|游戏)?(?:账号|帐号)|用户名|登录名", r"[A-Za-z0-9_.@-]{4,40}"),
        _keep_label(TOKENS["account"]),
    ),
    (("qq", "扣扣", "企鹅"), _labelled(_QQ_LABEL, r"[1-9]\d{4,10}(?!\d)"), _qq_or_wechat),
    (("微信", "威信", "薇信", "v信", "维信"), _labelled(_WECHAT_CN, _WECHAT_VALUE), _qq_or_wechat),
    (
        ("vx", "wx", "weixin", "wechat"),
        re.compile(rf"(?P<label>(?:{_WECHAT_ASCII})(?:\s*[:：=]\s*|\s+|(?<=号)))(?P<value>{_WECHAT_VALUE})"),
        _qq_or_wechat,
    ),
    (
        # A labelled number is the consumer's, whatever its shape — except service hotlines (400/800/95xxx).
        ("手机", "电话", "联系方式", "座机", "tel", "phone", "mob"),
        _labelled(
            _PHONE_LABEL,
            r"(?!400|800|95|96)" + _DATE_AHEAD + r"\+?[\d(（][\d\s()（）-]{5,18}\d" + _NOT_MONEY,
            re.I,
        ),
        _phone_value,
    ),
    (
        ("我叫", "名字", "姓名", "收件人", "收货人", "联系人", "持卡人", "开户", "户名", "实名"),
        re.compile(
            rf"(?P<label>(?:{_NAME_LABEL})\s*(?:[:：]|是|为)?\s*)(?P<value>(?![{_NAME_NOT_FIRST}])[{_CJK}][{_CJK}·]{{1,3}})"
        ),
        _name,
    ),
    # 3. shapes
    (_DIGIT_RUN, _ID18, lambda m: TOKENS["id"]),
    (_DIGIT_RUN, _MOBILE, lambda m: TOKENS["phone"]),
    (_DIGIT_RUN, _LANDLINE, lambda m: TOKENS["landline"]),
    (_DIGIT_RUN, _ID15, lambda m: TOKENS["id"]),
    (_DIGIT_RUN, _LONG_DIGITS, _long_digits),
    (_CODE_RUN, _GROUPED_CODE, lambda m: TOKENS["code"]),
    (_CODE_RUN, _MIXED_CODE, lambda m: TOKENS["number"]),
]


def _known_token(value: str) -> str:
    if _EMAIL.fullmatch(value):
        return TOKENS["email"]
    if re.fullmatch(r"\d{17}[\dXx]|\d{15}", value):
        return TOKENS["id"]
    digits = _digits(value)
    if re.fullmatch(r"[\d\s()+（）-]+", value):
        if re.fullmatch(r"(?:86)?1[3-9]\d{9}", digits):
            return TOKENS["phone"]
        if len(digits) in (15, 18) or (len(digits) == 17 and value[-1] in "Xx"):
            return TOKENS["id"]
        return TOKENS["landline"] if len(digits) <= 12 else _tail(digits)
    if re.fullmatch(rf"[{_CJK}·]{{2,5}}", value):
        return TOKENS["name"]
    if re.fullmatch(r"[A-Za-z0-9_-]+", value) and digits:
        return _tail(value)  # an order number
    if len(value) > 8 and re.search(rf"[{_CJK}]", value):
        return TOKENS["address"]
    return TOKENS["private"]


def _known_pattern(known: Iterable[str]) -> tuple[re.Pattern[str], dict[str, str]] | None:
    tokens: dict[str, str] = {}
    for raw in known:
        value = (raw or "").strip().translate(_FULLWIDTH)
        # Very short values ("王", "100") would mask ordinary words and amounts everywhere.
        if len(value) < 2 or (value.isdigit() and len(value) < 5):
            continue
        tokens[value] = _known_token(value)
    if not tokens:
        return None
    alternatives = "|".join(re.escape(v) for v in sorted(tokens, key=len, reverse=True))
    return re.compile(alternatives, re.I), {k.lower(): v for k, v in tokens.items()}


_GATE_WORDS = sorted(
    {w for gate, _p, _r in _RULES if isinstance(gate, tuple) for w in gate}, key=len, reverse=True
)
# Every gate word at every position (a look-ahead, so overlapping words are found too: 信用卡号 has 卡号).
_GATE_WORDS_RE = re.compile("(?=(" + "|".join(re.escape(w) for w in _GATE_WORDS) + "))")
# A position yields only its longest word; the words it contains are present as well.
_CONTAINED = {w: frozenset(v for v in _GATE_WORDS if v in w) for w in _GATE_WORDS}


def _apply_rules(text: str, *, gated: bool = True) -> str:
    present: set[str] = set()
    for word in set(_GATE_WORDS_RE.findall(text.lower())):
        present |= _CONTAINED[word]
    triggered: dict[re.Pattern[str], bool] = {}
    for gate, pattern, replace in _RULES:
        if gated:
            if isinstance(gate, tuple):
                if present.isdisjoint(gate):
                    continue
            else:
                if gate not in triggered:
                    triggered[gate] = gate.search(text) is not None
                if not triggered[gate]:
                    continue
        text = pattern.sub(replace, text)
    return text


def mask(text: str, *, known: Iterable[str] = ()) -> str:
    """``text`` with personal data replaced by Chinese placeholders (see the module docstring)."""
    if not text:
        return text or ""
    out = text.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(text) else text
    compiled = _known_pattern(known)
    if compiled is not None:
        pattern, tokens = compiled
        out = pattern.sub(lambda m: tokens.get(m.group(0).lower(), TOKENS["private"]), out)
    return _apply_rules(out)


# --- what a case knows ------------------------------------------------------------------------------------------

_NAME_ANNOUNCED = re.compile(
    rf"(?:{_NAME_LABEL})\s*(?:[:：]|是|为)?\s*(?P<value>(?![{_NAME_NOT_FIRST}])[{_CJK}][{_CJK}·]{{1,3}})"
)


def names_in(text: str | None) -> list[str]:
    """Names the text announces ("我叫王小明，…", "收货人：李红"), cut where the name ends, as ``mask`` cuts them.

    A three-character name also yields its given name ("小明您好" is the same person).
    """
    found: list[str] = []
    for m in _NAME_ANNOUNCED.finditer((text or "").translate(_FULLWIDTH)):
        value = m.group("value")
        cut = next((i for i, ch in enumerate(value) if i >= 2 and ch in _NAME_STOP), len(value))
        name = value[:cut]
        for candidate in (name, name[1:] if len(name) == 3 else ""):
            if len(candidate) >= 2 and candidate not in found:
                found.append(candidate)
    return found


def personal_values(facts: CaseFacts) -> list[str]:
    """Every personal value of a case (``weiquan.domain.facts.CaseFacts``) that ``mask`` should know.

    The consumer's fields, the order number, the contacts' reference numbers, and the names found in the story and
    in what the consumer wrote about each contact. The platform's own data (its name, domain, company) is not here:
    it is public on purpose.
    """
    c = facts.consumer
    values: list[str | None] = [
        c.name,
        c.phone,
        c.email,
        c.address,
        c.id_number,
        c.service_address,
        c.e_service_address,
        facts.order_no,
    ]
    texts: list[str | None] = [facts.description]
    for contact in facts.contacts:
        values.append(contact.reference)
        texts += [contact.asked, contact.answer]
    values += [n for t in texts for n in names_in(t)]
    if c.name:
        values += names_in(f"我叫{c.name}")
    out: list[str] = []
    for v in values:
        if v and v.strip() and v.strip() not in out:
            out.append(v.strip())
    return out
