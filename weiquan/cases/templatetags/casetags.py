"""Small display helpers for the case pages: highlighted story words, deadlines in working days, short hashes."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def _spans(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    # Compare in NFKC lower case (as the classifier does), one source character at a time, so a match in the
    # normalised text maps back to the characters the person typed.
    norm, where = "", []
    for i, ch in enumerate(text):
        piece = unicodedata.normalize("NFKC", ch).lower()
        norm += piece
        where += [i] * len(piece)
    spans = []
    for word in {unicodedata.normalize("NFKC", w).lower() for w in words if w}:
        start = norm.find(word)
        while start != -1:
            spans.append((where[start], where[start + len(word) - 1] + 1))
            start = norm.find(word, start + len(word))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


@register.filter
def highlight(text: str, words: Iterable[str]) -> SafeString:
    """The text, escaped, with each of the words wrapped in <mark>."""
    out, pos = [], 0
    for a, b in _spans(text or "", words or ()):
        out += [escape(text[pos:a]), "<mark>", escape(text[a:b]), "</mark>"]
        pos = b
    out.append(escape((text or "")[pos:]))
    return mark_safe("".join(out))


@register.filter
def workdays(left: int | None) -> str:
    """E.g. 还剩 3 个工作日 / 今天截止 / 已过期 2 个工作日."""
    if left is None:
        return ""
    if left > 0:
        return ngettext("还剩 %(n)d 个工作日", "还剩 %(n)d 个工作日", left) % {"n": left}
    if left == 0:
        return _("今天截止")
    return ngettext("已过期 %(n)d 个工作日", "已过期 %(n)d 个工作日", -left) % {"n": -left}


@register.filter
def urgency(left: int | None) -> str:
    if left is None:
        return ""
    return "overdue" if left < 0 else "soon" if left <= 2 else "later"


@register.filter
def short_hash(sha256: str) -> str:
    return f"{sha256[:8]}…{sha256[-4:]}" if sha256 and len(sha256) > 12 else sha256 or ""


@register.filter
def cn_date(iso: str | None) -> str:
    """2026-12-02 → 2026年12月2日."""
    if not iso:
        return ""
    y, m, d = iso[:10].split("-")
    return _("%(y)s年%(m)d月%(d)d日") % {"y": y, "m": int(m), "d": int(d)}


@register.simple_tag
def choice_label(choices: Iterable[tuple[str, str]], value: str) -> str:
    return dict(choices).get(value, value)


@register.filter
def get(mapping: dict[str, object], key: str) -> object:
    return mapping.get(key, "")


@register.filter
def held_labels(fact: dict[str, object]) -> str:
    """The labels of the evidence kinds a case holds for one fact, 、-separated."""
    held = set(fact.get("held") or ())  # type: ignore[call-overload]
    return "、".join(k["label"] for k in fact.get("proven_by") or () if k["kind"] in held)  # type: ignore[attr-defined]


@register.filter
def for_consumer(text: str) -> str:
    """A plan text without our working notes (see ``weiquan.cases.views.for_consumer``), for e-mails."""
    from weiquan.cases.views import for_consumer as clean

    return str(clean(text))


@register.filter
def with_code(warnings: Iterable[dict[str, object]], code: str) -> list[dict[str, object]]:
    """The plan warnings of one code, e.g. the stored values to correct ("fact_to_correct")."""
    return [w for w in warnings or () if w.get("code") == code]
