"""Chat logs with customer service: decode, parse the common export formats, find promises, refusals and runaround.

Formats read (line by line; messages keep their exact wording, findings are looked for after NFKC):

- QQ 消息管理器 text export: ``2026-11-20 10:30:15 某某客服`` on its own line, the message on the following lines;
- WeChat text exports (WechatMsg/留痕 and similar): the same header shape, or ``发送人 2026-11-20 10:30:15``, or
  ``[2026-11-20 10:30] 发送人: 内容`` on one line;
- WeChat CSV exports (columns such as CreateTime/StrTime, NickName/Sender, StrContent, IsSender; or 时间/发送人/内容);
- WeChat HTML exports (the page's text, one block per line: sender, time, content);
- plain copy-paste: ``发送人：内容`` lines, with date lines (``2026年11月20日 10:30``) in between.

Encodings: UTF-8 (with or without BOM), UTF-16 (BOM or not), GBK/GB18030; anything else goes to charset-normalizer.

Only the platform's side makes a promise or a refusal. Which sender is the platform is told by the caller or guessed
from names (客服, 官方, 店 …) and wording (亲, 您, 请耐心等待 …); the consumer is 我/Me or the CSV's IsSender row.
Promise deadlines use the project's working-day calendar (workdays.parse_promise).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html.parser
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from weiquan.domain.workdays import SHANGHAI, WorkCalendar, default_calendar, parse_promise

FindingKind = Literal["promise", "refusal", "runaround"]


class ChatLogError(ValueError):
    """Input that is not a chat log we can read; the message is Chinese and says what to do."""


@dataclass(frozen=True, slots=True)
class Message:
    at: dt.datetime | None
    sender: str
    text: str
    from_platform: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat() if self.at else None,
            "sender": self.sender,
            "from_platform": self.from_platform,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    at: dt.datetime | None
    sender: str
    text: str
    deadline: dt.datetime | None = None
    explain: str = ""  # how the deadline was computed, or why this is runaround (Chinese)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at.isoformat() if self.at else None,
            "sender": self.sender,
            "text": self.text,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "explain": self.explain,
        }


@dataclass(frozen=True, slots=True)
class ChatLog:
    encoding: str
    format: str
    messages: tuple[Message, ...]
    findings: tuple[Finding, ...] = ()
    platform_senders: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "format": self.format,
            "platform_senders": list(self.platform_senders),
            "messages": [m.to_dict() for m in self.messages],
            "findings": [f.to_dict() for f in self.findings],
        }


# --------------------------------------------------------------------------------------------------------------
# Decoding

_NORMAL = re.compile(
    r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u0020-\u007e\s\u2010-\u206f\u00a0-\u00ff\U0001f000-\U0001faff]"
)


def _looks_like_text(text: str) -> bool:
    sample = text[:20000]
    if not sample.strip():
        return False
    normal = len(_NORMAL.findall(sample))
    if normal / len(sample) < 0.97:
        return False
    # UTF-8 read as Latin-1 ("å¡å¯"): many accented Latin letters and hardly any Chinese
    latin = len(re.findall(r"[\u00c0-\u00ff]", sample))
    cjk = len(re.findall(r"[\u4e00-\u9fff]", sample))
    return not (latin > 20 and latin > cjk)


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) — encoding is one of utf-8, utf-16, gbk, gb18030 or charset-normalizer's name."""
    if not data.strip():
        raise ChatLogError("文件是空的：请导出聊天记录后再导入")
    for bom, codec, name in (
        (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec), name
            except UnicodeDecodeError:
                break
    candidates: list[tuple[str, str]] = [("utf-8", "utf-8")]
    head = data[:4000]
    if head.count(0) > len(head) // 8:  # ASCII and CJK in UTF-16 without a BOM: many zero bytes
        even = head[0::2].count(0)
        odd = head[1::2].count(0)
        candidates.insert(0, ("utf-16-le" if odd >= even else "utf-16-be", "utf-16"))
    candidates += [("gbk", "gbk"), ("gb18030", "gb18030")]
    for codec, name in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, name
        if codec == "utf-8":
            break  # valid UTF-8 that reads as garbage (double-encoded text): no other reading is better
    import charset_normalizer

    best = None if _valid_utf8(data) else charset_normalizer.from_bytes(data).best()
    if best is not None:
        text = str(best)
        if _looks_like_text(text):
            return text, best.encoding
    raise ChatLogError(
        "无法识别文件的文字编码，内容像是乱码或不是文本：请用 QQ 消息管理器或微信导出工具重新导出为 txt/CSV/HTML，"
        "或把聊天内容直接复制粘贴到一个文本文件里"
    )


# --------------------------------------------------------------------------------------------------------------
# Times

_DT = (
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?:星期|周)[一二三四五六日天])?"
    r"(?:[\sT]*(?P<ap>上午|下午|凌晨|早上|中午|晚上)?\s*(?P<h>\d{1,2})[:：](?P<mi>\d{2})(?:[:：](?P<s>\d{2}))?)?"
)
_TIME_ONLY = (
    r"(?P<ap2>上午|下午|凌晨|早上|中午|晚上)?\s*(?P<h2>\d{1,2})[:：](?P<mi2>\d{2})(?:[:：](?P<s2>\d{2}))?"
)
_OPEN, _CLOSE = r"[\[(（【<]?", r"[\])）】>]?"
# a line that is only a time stamp (a date separator in a copy-paste, or the time block of an HTML export)
_STAMP_LINE = re.compile(rf"^{_OPEN}(?:{_DT}|{_TIME_ONLY}){_CLOSE}$")
# time first: "2026-11-20 10:30:15 sender" or "[2026-11-20 10:30] sender: text"
_TIME_FIRST = re.compile(rf"^{_OPEN}{_DT}{_CLOSE}\s+(?P<rest>\S.*)$")
# sender first: "sender 2026-11-20 10:30:15" / "sender (2026-11-20 10:30):" / "sender: [2026-11-20 10:30] text"
_SENDER_FIRST = re.compile(
    rf"^(?P<sender>[^\s:：].{{0,40}}?)\s*{_OPEN}{_DT}{_CLOSE}\s*(?:[:：]\s*(?P<rest>.*))?$"
)
_INLINE = re.compile(r"^(?P<sender>[^\s:：\[(（][^:：\t]{0,29}?)\s*[:：\t]\s*(?P<text>\S.*)$")
_QQ_SUFFIX = re.compile(r"\s*(?:\(\d{5,12}\)|<[^<>@\s]+@[^<>\s]+>|（\d{5,12}）)$")

_HEADER_LINES = re.compile(
    r"^(?:消息记录（此消息记录为文本格式，不支持重新导入）|消息记录|=+|-+|消息分组[:：].*|消息对象[:：].*|"
    r"聊天记录|与.{1,30}的聊天记录.*|导出时间[:：].*|以下为新消息|以上是打招呼的内容|"
    r"\[图片\]|\[表情\]|\[文件\]|.{0,20}撤回了一条消息|.{0,20}recalled a message)$"
)


def _stamp(m: re.Match[str], date_of: dt.date | None = None, suffix: str = "") -> dt.datetime | None:
    g = m.groupdict()
    if g.get("y"):
        try:
            day = dt.date(int(g["y"]), int(g["mo"]), int(g["d"]))
        except ValueError:
            return None
        h, mi, s, ap = g.get("h"), g.get("mi"), g.get("s"), g.get("ap")
    else:
        if date_of is None:
            return None
        day = date_of
        h, mi, s, ap = g.get("h2"), g.get("mi2"), g.get("s2"), g.get("ap2")
    hour = int(h) if h else 0
    if ap in ("下午", "晚上") and hour < 12 or ap == "中午" and hour < 6:
        hour += 12
    try:
        return dt.datetime.combine(day, dt.time(hour, int(mi) if mi else 0, int(s) if s else 0), SHANGHAI)
    except ValueError:
        return None


def _parse_any_time(value: str) -> dt.datetime | None:
    value = value.strip()
    if re.fullmatch(r"\d{9,13}", value):  # epoch seconds or milliseconds (WeChat CreateTime)
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        return dt.datetime.fromtimestamp(seconds, SHANGHAI)
    m = re.match(_DT, value)
    if m:
        return _stamp(m)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=SHANGHAI) if parsed.tzinfo is None else parsed.astimezone(SHANGHAI)


# --------------------------------------------------------------------------------------------------------------
# Parsing


@dataclass
class _Draft:
    at: dt.datetime | None
    sender: str
    lines: list[str]
    me: bool | None = None  # True/False when the export says (CSV IsSender), else None


def _clean_sender(sender: str) -> str:
    return _QQ_SUFFIX.sub("", sender.strip()).strip(" :：")


def _timed(m: re.Match[str] | None) -> re.Match[str] | None:
    """A header match only when it carries a time of day: "2026-11-20 我买的…" is a message, not a header."""
    return m if m is not None and m.group("h") is not None else None


def _parse_lines(lines: list[str]) -> list[_Draft]:
    """The shared state machine for text, HTML-as-text and copy-paste."""
    drafts: list[_Draft] = []
    # Header-style exports (time + sender on one line, text below) may have "订单号：123" inside a message, so
    # "name: text" only starts a message when the file has no header lines.
    header_mode = False
    for line in lines[:2000]:
        m = _timed(_TIME_FIRST.match(line.strip()))
        if m and not _INLINE.match(m.group("rest")) and len(m.group("rest")) <= 40:
            header_mode = True
            break
        m2 = _timed(_SENDER_FIRST.match(line.strip()))
        if m2 and not m2.group("rest"):
            header_mode = True
            break
    current: _Draft | None = None
    clock: dt.datetime | None = None
    pending: str | None = None  # a short bare line right before a time line: the sender (HTML exports)
    expect_sender = False  # a time line with no sender before it: the next short line may be the sender
    cleaned = [raw.strip() for raw in lines]
    cleaned = [x for x in cleaned if x and not _HEADER_LINES.match(x)]
    # Block exports put the sender before the time, or after it: the first time line tells which.
    first_stamp = next((i for i, x in enumerate(cleaned) if _STAMP_LINE.match(x)), None)
    sender_first = bool(first_stamp)  # a line (the sender) comes before the first time line
    for i, line in enumerate(cleaned):
        m = _STAMP_LINE.match(line)
        if m:
            stamp = _stamp(m, clock.date() if clock else None)
            if stamp is not None:
                clock = stamp
                if pending is not None and sender_first:
                    if current is not None and current.lines and current.lines[-1] == pending:
                        current.lines.pop()
                    current = _Draft(clock, _clean_sender(pending), [])
                    drafts.append(current)
                    pending = None
                else:
                    current = None
                    expect_sender = not sender_first
                    pending = None
                continue
        m = _timed(_TIME_FIRST.match(line))
        if m:
            stamp = _stamp(m)
            rest = m.group("rest").strip()
            if stamp is not None:
                clock = stamp
                inline = _INLINE.match(rest)
                if "\t" in rest:
                    sender, _, text = rest.partition("\t")
                    current = _Draft(stamp, _clean_sender(sender), [text.strip()] if text.strip() else [])
                elif inline and not header_mode:
                    current = _Draft(stamp, _clean_sender(inline.group("sender")), [inline.group("text")])
                else:
                    current = _Draft(stamp, _clean_sender(rest), [])
                drafts.append(current)
                pending, expect_sender = None, False
                continue
        m = _timed(_SENDER_FIRST.match(line))
        if m:
            stamp = _stamp(m)
            if stamp is not None:
                clock = stamp
                rest = (m.group("rest") or "").strip()
                current = _Draft(stamp, _clean_sender(m.group("sender")), [rest] if rest else [])
                drafts.append(current)
                pending, expect_sender = None, False
                continue
        if not header_mode:
            inline = _INLINE.match(line)
            if inline:
                current = _Draft(clock, _clean_sender(inline.group("sender")), [inline.group("text")])
                drafts.append(current)
                pending, expect_sender = None, False
                continue
        if expect_sender and current is None:
            # time, then sender, then content (some HTML exports): a short name followed by a non-time line
            following = cleaned[i + 1] if i + 1 < len(cleaned) else ""
            expect_sender = False
            if len(line) <= 30 and following and not _STAMP_LINE.match(following):
                current = _Draft(clock, _clean_sender(line), [])
                drafts.append(current)
                pending = None
                continue
        if current is not None:
            current.lines.append(line)
        pending = line if len(line) <= 30 else None
    return [d for d in drafts if d.sender and any(x.strip() for x in d.lines)]


class _TextOfHtml(html.parser.HTMLParser):
    BLOCKS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table", "section", "article", "dd", "dt"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data.replace("\n", " "))


def _html_lines(text: str) -> list[str]:
    p = _TextOfHtml()
    p.feed(text)
    p.close()
    out = []
    for line in "".join(p.parts).split("\n"):
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        if cells:
            out.append("\t".join(cells))
    return out


_CSV_TIME = (
    "strtime",
    "createtime",
    "time",
    "时间",
    "发送时间",
    "日期",
    "date",
    "datetime",
    "timestamp",
    "消息时间",
)
_CSV_SENDER = (
    "nickname",
    "sender",
    "talker",
    "发送人",
    "发送者",
    "发言人",
    "昵称",
    "用户",
    "name",
    "from",
    "talkerid",
)
_CSV_TEXT = ("strcontent", "content", "内容", "消息内容", "消息", "message", "msg", "text", "文本")
_CSV_ME = ("issender", "is_sender", "是否发送者", "是否自己发送")


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    low = [h.strip().lower() for h in header]
    for name in names:
        if name in low:
            return low.index(name)
    return None


def _parse_csv(text: str) -> list[_Draft] | None:
    sample = text[:4096]
    first = sample.splitlines()[0] if sample else ""
    if first.count(",") + first.count("\t") + first.count(";") < 2:
        return None
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    header = next(rows, [])
    t, s, c = _pick(header, _CSV_TIME), _pick(header, _CSV_SENDER), _pick(header, _CSV_TEXT)
    if c is None or (t is None and s is None):
        return None
    me = _pick(header, _CSV_ME)
    kind = _pick(header, ("type", "类型", "消息类型"))
    drafts: list[_Draft] = []
    for row in rows:
        if len(row) <= c:
            continue
        if kind is not None and len(row) > kind and row[kind].strip() not in ("1", "文本", "text", ""):
            continue
        body = row[c].strip()
        if not body:
            continue
        at = _parse_any_time(row[t]) if t is not None and len(row) > t else None
        is_me = row[me].strip() in ("1", "true", "True", "是") if me is not None and len(row) > me else None
        sender = _clean_sender(row[s]) if s is not None and len(row) > s else ""
        if not sender:
            sender = "我" if is_me else "对方"
        drafts.append(_Draft(at, sender, [body], is_me))
    return drafts


# --------------------------------------------------------------------------------------------------------------
# Who is the platform

_ME_NAMES = {"我", "me", "自己", "本人", "我自己"}
_PLATFORM_NAME = re.compile(
    r"客服|官方|商家|店|卡盟|售后|小二|平台|support|service|shop|store|kefu|客服中心|小助手", re.I
)
_PLATFORM_WORDS = re.compile(
    r"亲|您|为您|请耐心等待|已记录|已反馈|已提交|正在处理|稍等|感谢您|给您|核实|工作日"
)
_CONSUMER_WORDS = re.compile(
    r"我买|我的|我充|我付|退款吗|怎么回事|为什么|骗|投诉|12315|还没到|没到账|什么时候"
)


def guess_platform(drafts: list[_Draft], platform: str | None = None, me: str | None = None) -> set[str]:
    senders = list(dict.fromkeys(d.sender for d in drafts))
    if platform:
        return {s for s in senders if s == platform or platform in s}
    mine = {d.sender for d in drafts if d.me}
    if any(d.me is not None for d in drafts):
        return {d.sender for d in drafts if d.me is False} - mine
    if me:
        return {s for s in senders if s != me}
    score: Counter[str] = Counter({s: 0 for s in senders})
    for s in senders:
        if s.lower() in _ME_NAMES:
            score[s] -= 1000
        elif _PLATFORM_NAME.search(s):
            score[s] += 50
    for d in drafts[:5000]:
        body = " ".join(d.lines)
        score[d.sender] += len(_PLATFORM_WORDS.findall(body)) - 2 * len(_CONSUMER_WORDS.findall(body))
    if len(senders) == 1:
        return {senders[0]} if score[senders[0]] > 0 else set()
    named = {s for s in senders if s.lower() not in _ME_NAMES and _PLATFORM_NAME.search(s)}
    if named:
        return named
    if any(s.lower() in _ME_NAMES for s in senders):
        return {s for s in senders if s.lower() not in _ME_NAMES}
    best = max(senders, key=lambda s: score[s])
    return {best} if score[best] > min(score[s] for s in senders) else set()


# --------------------------------------------------------------------------------------------------------------
# Findings

_ACTION = re.compile(
    r"处理|回复|答复|退款|退还|退回|退给|补发|发货|到账|解决|核实|反馈|联系|给您|给你|安排|审核|充值|结果|办理|返还"
)
_PROMISE_HINT = re.compile(r"小时|钟头|工作日|天|日|周|星期|礼拜|月|今|明|后天")
_REFUSAL = re.compile(
    r"概不退换|不退不换|不予退款|不予退还|不支持退款|不支持退换|不能退款|无法退款|不可退款|不给退|不退款|不退|退不了|"
    r"拒绝退款|不予处理|不予受理|不负责|不承担|无法处理|不能处理|不售后|不提供售后|恕不退|无法补发|不补发|不换"
)
_NOT_REFUSAL = re.compile(r"不是不退|不会不退|并非不退|不退.{0,2}吗")
_STALL = re.compile(
    r"请耐心等待|请您耐心等待|耐心等候|请耐心等候|正在处理中?|已记录|已反馈|已提交|加急处理|催促|在核实|正在核实|"
    r"已经在处理|稍后给您|请等待|等通知"
)
_QUESTION = re.compile(
    r"[?？]|吗|呢|什么时候|多久|怎么|为什么|能不能|可不可以|何时|几天|退款|退钱|处理一下|给个说法"
)
UNANSWERED = dt.timedelta(hours=24)


def find_promises_and_refusals(messages: list[Message], cal: WorkCalendar) -> list[Finding]:
    out: list[Finding] = []
    stall_seen = 0
    for m in messages:
        if not m.from_platform:
            continue
        text = unicodedata.normalize("NFKC", m.text)
        if _REFUSAL.search(text) and not _NOT_REFUSAL.search(text):
            out.append(Finding("refusal", m.at, m.sender, m.text))
            continue
        if m.at is not None and _ACTION.search(text) and _PROMISE_HINT.search(text):
            d = parse_promise(text, m.at, cal)
            if d is not None:
                out.append(Finding("promise", m.at, m.sender, m.text, d.ends_at, d.explain()))
                continue
        if _STALL.search(text):
            stall_seen += 1
            if stall_seen >= 2:
                out.append(
                    Finding(
                        "runaround",
                        m.at,
                        m.sender,
                        m.text,
                        explain=f"第{stall_seen}次只让你等待，没有给出处理结果或期限",
                    )
                )
    return out


def _fmt_gap(gap: dt.timedelta) -> str:
    days = gap.total_seconds() / 86400
    return f"{int(days)}天" if days >= 1 else f"{int(gap.total_seconds() // 3600)}小时"


def find_unanswered(messages: list[Message]) -> list[Finding]:
    """A consumer's question the platform left without any reply for a day or more (while the chat went on)."""
    out: list[Finding] = []
    platform_name = next((m.sender for m in messages if m.from_platform), "平台客服")
    i = 0
    n = len(messages)
    while i < n:
        m = messages[i]
        if m.from_platform or m.at is None or not _QUESTION.search(unicodedata.normalize("NFKC", m.text)):
            i += 1
            continue
        j = i + 1
        last_seen = m.at
        while j < n and not messages[j].from_platform:
            last_seen = messages[j].at or last_seen
            j += 1
        reply_at = messages[j].at if j < n else None
        end = reply_at or last_seen
        if end - m.at >= UNANSWERED:
            what = f"{_fmt_gap(end - m.at)}后才回复" if reply_at else f"{_fmt_gap(end - m.at)}内一直没有回复"
            out.append(
                Finding(
                    "runaround", m.at, platform_name, m.text, explain=f"你问的问题，{platform_name}{what}"
                )
            )
        i = j
    return out


# --------------------------------------------------------------------------------------------------------------
# Entry points


def parse_text(
    text: str, encoding: str = "utf-8", *, platform: str | None = None, me: str | None = None
) -> ChatLog:
    # Lines are matched as written (the patterns accept full- and half-width forms) and messages keep the exact
    # original wording; NFKC is applied only where findings are looked for.
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    stripped = text.lstrip()
    fmt = "text"
    drafts: list[_Draft] | None = None
    if stripped[:1] == "<" and re.search(r"<(?:html|body|div|table|p)\b", stripped[:5000], re.I):
        fmt = "html"
        drafts = _parse_lines(_html_lines(text))
    else:
        drafts = _parse_csv(text)
        if drafts:
            fmt = "csv"
        else:
            drafts = _parse_lines(text.split("\n"))
            if drafts and any(d.at for d in drafts) and "消息对象" in text[:3000]:
                fmt = "qq"
    if not drafts:
        raise ChatLogError(
            "没有从文件中读出任何聊天消息：支持 QQ 消息管理器导出的 txt、微信导出的 txt/CSV/HTML，"
            "以及复制粘贴的「发送人：内容」（每条一行，日期时间单独一行或写在发送人前面）"
        )
    platform_side = guess_platform(drafts, platform, me)
    messages = [
        Message(d.at, d.sender, "\n".join(x for x in d.lines if x.strip()), d.sender in platform_side)
        for d in drafts
    ]
    return ChatLog(encoding, fmt, tuple(messages), (), tuple(sorted(platform_side)))


def read_chat(
    data: bytes,
    *,
    platform: str | None = None,
    me: str | None = None,
    cal: WorkCalendar | None = None,
) -> ChatLog:
    """Decode, parse and analyse a chat export; raises ChatLogError (Chinese) for unreadable input."""
    text, encoding = decode(data)
    log = parse_text(text, encoding, platform=platform, me=me)
    findings = analyse(list(log.messages), cal or default_calendar())
    return ChatLog(log.encoding, log.format, log.messages, tuple(findings), log.platform_senders)


def analyse(messages: list[Message], cal: WorkCalendar) -> list[Finding]:
    found = find_promises_and_refusals(messages, cal) + find_unanswered(messages)
    far = dt.datetime.max.replace(tzinfo=SHANGHAI)
    return sorted(found, key=lambda f: f.at or far)


# --------------------------------------------------------------------------------------------------------------
# Into the case file

_RESPONSE = {"promise": "promised", "refusal": "refused", "runaround": "no_reply"}


def findings_as_contacts(findings: tuple[Finding, ...] | list[Finding]) -> list[dict[str, Any]]:
    """Case-file contacts (docs/case-file.md) for the findings that carry a time, one per finding."""
    contacts: list[dict[str, Any]] = []
    for f in findings:
        if f.at is None:
            continue
        c: dict[str, Any] = {"at": f.at.isoformat(), "channel": "platform_cs", "response": _RESPONSE[f.kind]}
        if f.kind == "promise":
            c["promise"] = f.text[:200]  # the case model keeps 200 characters
            if f.deadline is not None:
                c["promise_by"] = f.deadline.isoformat()
        elif f.kind == "refusal":
            c["answer"] = f.text[:300]
        else:
            c["answer"] = f.explain[:300]
        contacts.append(c)
    return contacts


def merge_into_case(case: dict[str, Any], findings: tuple[Finding, ...] | list[Finding]) -> dict[str, Any]:
    """The case-file object with the findings added as platform_cs contacts (an existing contact at the same moment
    and channel is kept, not duplicated), sorted by time."""
    existing = list(case.get("contacts") or [])
    seen = {(str(c.get("at")), c.get("channel")) for c in existing if isinstance(c, dict)}
    added = [c for c in findings_as_contacts(findings) if (c["at"], c["channel"]) not in seen]

    def when(c: Any) -> str:
        value = _parse_any_time(str(c.get("at", ""))) if isinstance(c, dict) else None
        return value.isoformat() if value else ""

    return {**case, "contacts": sorted(existing + added, key=when)}


_KIND_LABEL = {"promise": "承诺", "refusal": "拒绝", "runaround": "推诿"}


def render_text(log: ChatLog) -> str:
    """A short Chinese summary for the terminal."""
    lines = [
        f"读取了 {len(log.messages)} 条消息（编码 {log.encoding}）；平台一方：{'、'.join(log.platform_senders) or '未能判断'}"
    ]
    if not log.platform_senders:
        lines.append("没有认出哪一方是平台客服：用 --platform 写上客服在记录中的名字再试一次。")
    if not log.findings:
        lines.append("没有找到客服的承诺、拒绝或推诿。")
    for f in log.findings:
        when = f.at.strftime("%Y-%m-%d %H:%M") if f.at else "时间不明"
        lines.append(f"[{_KIND_LABEL[f.kind]}] {when} {f.sender}：{f.text}")
        if f.deadline is not None:
            lines.append(f"    期限：{f.deadline.strftime('%Y-%m-%d %H:%M')}　{f.explain}")
        elif f.explain:
            lines.append(f"    {f.explain}")
    return "\n".join(lines) + "\n"
