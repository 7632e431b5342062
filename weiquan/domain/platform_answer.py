"""What a platform's public reply or progress update means for the consumer's ladder (issue 13).

A reply is the platform's answer to the complaint, so the case records it as a contact with the platform's customer
service: a refusal moves the ladder on to 12315, a promise ("3个工作日内退款") gets a deadline, and anything else
is an answer the consumer waits on for the usual two working days. A platform's "已退款/已补发/已解决" is only its
own claim: it is recorded as a promise to be checked and the consumer is asked to confirm; it never closes a case.
Pure: no Django.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from weiquan.domain.workdays import parse_promise

Response = Literal["refused", "promised", "pending", "accepted"]

# "不予退款", "无法补发", "拒绝退款", "概不退换", "恕不退款", "不能退", "不支持退款": the platform says no.
REFUSAL = re.compile(
    r"(不予|无法|不能|不可|不会|不支持|不同意|拒绝|概不|恕不)(退|补|赔|处理|受理|办理|返还|换)"
    r"|拒绝(你|您)?的?(诉求|要求|申请)"
)
# Standard replies and progress steps a platform can choose, and what they claim.
CLAIMS = {"refunded": "平台称已退款", "reissued": "平台称已补发", "resolved": "平台称已解决"}
STANDARD_TEXT = {"refunded": "已退款", "reissued": "已补发", "need_info": "需要更多信息"}
PROGRESS_TEXT = {"accepted": "已受理", "processing": "处理中", "resolved": "已解决"}
PROMISE_MAX = 200


@dataclass(frozen=True, slots=True)
class Answer:
    response: Response
    promise: str | None  # the words that promise something, for the engine's promise deadline
    answer: str  # what the platform said, as the case history shows it
    claims_resolved: bool  # the platform says it is done: the consumer is asked to confirm


def _promise_sentence(text: str, at: dt.datetime) -> str | None:
    """The sentence of ``text`` that holds a time promise, if any."""
    for sentence in re.split(r"(?<=[。！？!?；;\n])", text):
        sentence = sentence.strip()
        if sentence and parse_promise(sentence, at) is not None:
            return sentence[:PROMISE_MAX]
    return None


def read_reply(standard: str, text: str, at: dt.datetime) -> Answer:
    """A public reply (standard choice and/or free text, already masked) as an answer on the ladder."""
    words = "；".join(p for p in (STANDARD_TEXT.get(standard, ""), text.strip()) if p)
    if REFUSAL.search(text):
        return Answer("refused", None, words, False)
    if standard in CLAIMS:
        return Answer("promised", CLAIMS[standard], words, True)
    if standard == "need_info":
        return Answer("pending", None, words, False)
    promise = _promise_sentence(text, at)
    return Answer("promised", promise or text.strip()[:PROMISE_MAX] or None, words, False)


def read_progress(progress: str) -> Answer:
    """A progress update ("已受理", "处理中", "已解决") as an answer on the ladder."""
    words = f"处理进度：{PROGRESS_TEXT.get(progress, progress)}"
    if progress == "resolved":
        return Answer("promised", CLAIMS["resolved"], words, True)
    if progress == "accepted":
        return Answer("accepted", None, words, False)
    return Answer("pending", None, words, False)
