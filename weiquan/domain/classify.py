"""Explainable complaint classifier: which of the seed's six problem types a consumer's text describes.

First stage: a lexicon of weighted phrases and patterns (data/classifier.yaml) is matched on normalised text
(NFKC, lower case, traditional -> simplified). Every point a type scores comes from a phrase found in the text,
and that phrase is returned as a signal. A phrase that is negated ("没有显示已被使用") or only feared
("会不会跑路", "不会跑路了吧") does not count. For the lexicon alone (``lexicon_type``), text whose best type has too
little evidence, or that is mostly about things outside the taxonomy (auto-renewal, ticket refunds, physical goods),
is ``"other"``. When no type has enough
evidence and nothing points outside the taxonomy, a fallback looks for the general shape of a problem (a virtual good
that was bought + a complaint about what came, or that nothing came); its phrases are signals like any other.

The decision: multinomial logistic regression (data/classifier_model.json, trained by bench/train_classifier.py on
the real complaints in bench/data/ and the hand-written ones in tests/data/) over the text's character 1-3-grams,
its words of 4-6 characters from the vocabulary jieba cut the training texts into, and the lexicon's evidence per
type (negated and feared phrases do not count there). Inference is plain Python: a dict lookup per feature. Its
probabilities are calibrated (temperature chosen on out-of-fold real texts); every candidate carries the lexicon
phrases, words and n-grams that favour it most, quoted from the original text. When the best probability is below
the model's confidence threshold (or the story is "other" without words that place it outside the taxonomy),
``confident`` is False and ``questions`` holds the next question of data/questions.yaml (see questions.py);
answers to those questions settle the type.

Besides the type, ``classify`` reports the 售后推诿 aspect and extracts the amount paid, the order number, dates,
the platform's name and domain and the means of payment.

    >>> from weiquan.domain.classify import classify
    >>> classify("在XX卡盟买的激活码提示已被使用").type
    'invalid_code'
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import re._parser as _sre_parse
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import cn2an

from weiquan.domain.datafiles import DATA_DIR, load
from weiquan.domain.questions import next_step, parse_answers
from weiquan.domain.taxonomy import OTHER, OTHER_LABEL, TYPE_IDS, TYPES

__all__ = ["Candidate", "Classification", "Extracted", "classify", "classify_batch"]

PAYMENT_METHODS = ("alipay", "wechat_pay", "bank_card", "other")

# characters that end a clause: context checks never look across them
_CLAUSE_END = frozenset("，。！？；,.!?;\n\r\t、…~～ ：:")
_SENTENCE_END = frozenset("。！？!?；;\n\r")


# --------------------------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, slots=True)
class Candidate:
    """One problem type the text has evidence for: its score (0..1) and the exact phrases that produced it."""

    type: str
    score: float
    signals: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "score": self.score, "signals": list(self.signals)}


@dataclass(frozen=True, slots=True)
class Extracted:
    """Facts found in the text. ``dates`` are ISO strings in order of appearance."""

    amount: float | None = None
    order_no: str | None = None
    dates: list[str] = field(default_factory=list)
    platform: str | None = None
    platform_domain: str | None = None
    payment_method: str | None = None
    item: str | None = None  # what was bought ("100元的游戏点卡" -> "游戏点卡")
    payee: str | None = None  # who received the money (收款方/收款商户 ...)
    contact_times: int | None = None  # how often the seller was contacted ("联系客服三次" -> 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "order_no": self.order_no,
            "dates": list(self.dates),
            "platform": self.platform,
            "payment_method": self.payment_method,
            "item": self.item,
            "payee": self.payee,
            "contact_times": self.contact_times,
        }


@dataclass(frozen=True, slots=True)
class Classification:
    type: str
    category: str | None
    label: str
    candidates: list[Candidate]
    cs_runaround: bool
    cs_signals: list[str]
    extracted: Extracted
    # evidence that the text is about something outside the taxonomy (not a candidate; explains an "other")
    other_signals: list[str] = field(default_factory=list)
    # False when the text does not settle the type: then ``questions`` holds the next question to ask
    confident: bool = True
    probability: float = 1.0  # the model's calibrated probability of ``type``
    questions: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)  # the answers that were applied
    lexicon_type: str = OTHER  # what the lexicon alone decided (for comparison in bench/classify.py)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "category": self.category,
            "label": self.label,
            "candidates": [c.to_dict() for c in self.candidates],
            "cs_runaround": self.cs_runaround,
            "cs_signals": list(self.cs_signals),
            "extracted": self.extracted.to_dict(),
            "platform_domain": self.extracted.platform_domain,
            "confident": self.confident,
            "probability": self.probability,
            "questions": [dict(q) for q in self.questions],
            "answers": dict(self.answers),
        }


# --------------------------------------------------------------------------------------------------------------
# the compiled lexicon


@dataclass(frozen=True, slots=True)
class _Signal:
    pattern: re.Pattern[str]
    weight: float
    has_hit: bool
    not_after: re.Pattern[str] | None
    not_before: re.Pattern[str] | None
    # literals of which at least one must occur in the text before the (costlier) pattern is tried; None = always
    need: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class _Group:
    signals: tuple[_Signal, ...]
    speculation: bool
    hedge_factor: float | None = None  # overrides the lexicon's hedge_factor for this group


@dataclass(frozen=True, slots=True)
class _Lexicon:
    threshold: float
    score_scale: float
    other_margin: float
    repeat_bonus: float
    tie_order: dict[str, int]
    t2s: dict[int, int]
    types: dict[str, _Group]
    fallback: dict[str, _Group]
    fallback_max_other: float
    other: _Group
    cs: _Group
    cs_threshold: float
    developer: _Group
    developer_threshold: float
    neg_cue: re.Pattern[str]
    rhetorical_cue: re.Pattern[str]
    rhetorical_suffix: re.Pattern[str]
    spec_strong: re.Pattern[str]
    spec_weak: re.Pattern[str]
    spec_question: re.Pattern[str]
    hedge: re.Pattern[str]
    hedge_factor: float


_MACRO = re.compile(r"\{([A-Z]+)\}")


def _required_literals(pattern: str) -> tuple[str, ...]:
    """Literals of which every match of ``pattern`` contains at least one (empty: none could be derived).

    Checking them with ``in`` is much cheaper than scanning the text with a pattern that may start almost
    anywhere (a gap, a numeral class, a common character), so a signal whose literals are all absent is skipped."""

    def of_seq(items: Any) -> set[str] | None:
        best: set[str] | None = None
        run: list[str] = []

        def consider(cand: set[str] | None) -> None:
            nonlocal best
            if not cand or any(not c for c in cand):
                return
            key = (min(len(c) for c in cand), -len(cand))
            if best is None or key > (min(len(c) for c in best), -len(best)):
                best = cand

        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                run.append(chr(av))
                continue
            if run:
                consider({"".join(run)})
                run = []
            if name == "SUBPATTERN":
                consider(of_seq(av[-1]))
            elif name == "BRANCH":
                alts = [of_seq(b) for b in av[1]]
                if all(a for a in alts):
                    consider(set().union(*[a for a in alts if a]))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
                consider(of_seq(av[2]))
        if run:
            consider({"".join(run)})
        return best

    try:
        found = of_seq(_sre_parse.parse(pattern))
    except Exception:  # noqa: BLE001 - a prefilter is only an optimisation; without it the pattern still runs
        return ()
    return tuple(sorted(found)) if found else ()


_PLAIN_ALTERNATION = re.compile(r"[^\\\[\](){}.*+?^$]*")


def _need_pattern(given: Any, pattern: str) -> re.Pattern[str] | None:
    """The prefilter of a signal: its ``need`` literals from the lexicon, else those derived from the pattern."""
    if given:
        literals: tuple[str, ...] = tuple(x for x in str(given).split("|") if x)
    elif _PLAIN_ALTERNATION.fullmatch(pattern):
        return None  # a plain list of words is already as cheap to scan as its prefilter would be
    else:
        literals = _required_literals(pattern)
    if not literals:
        return None
    return re.compile("|".join(re.escape(x) for x in sorted(literals, key=len, reverse=True)))


def _expand(pattern: str, macros: dict[str, str]) -> str:
    for _ in range(3):  # macros may use macros
        pattern = _MACRO.sub(lambda m: macros.get(m.group(1), m.group(0)), pattern)
    return pattern


def _compile_group(
    raw: dict[str, Any], macros: dict[str, str], speculation: bool, hedge_factor: float | None = None
) -> _Group:
    signals = []
    for entry in raw["signals"]:
        pat = re.compile(_expand(str(entry["p"]), macros))
        na = entry.get("not_after")
        nb = entry.get("not_before")
        signals.append(
            _Signal(
                pattern=pat,
                weight=float(entry["w"]),
                has_hit="hit" in pat.groupindex,
                not_after=re.compile(_expand(str(na), macros)) if na else None,
                not_before=re.compile(_expand(str(nb), macros)) if nb else None,
                need=_need_pattern(entry.get("need"), pat.pattern),
            )
        )
    return _Group(signals=tuple(signals), speculation=speculation, hedge_factor=hedge_factor)


@functools.cache
def _lexicon() -> _Lexicon:
    raw = load("classifier")
    macros = {k: str(v) for k, v in raw["macros"].items()}
    # expand macros inside macros once more so that {G} inside {CODE} etc. works
    macros = {k: _expand(v, macros) for k, v in macros.items()}
    pairs = "".join(str(raw["traditional"]).split())
    if len(pairs) % 2:
        raise ValueError("classifier.yaml: traditional 表必须是成对的字符")
    t2s = {ord(pairs[i]): ord(pairs[i + 1]) for i in range(0, len(pairs), 2) if pairs[i] != pairs[i + 1]}

    def group(entry: dict[str, Any]) -> _Group:
        hedge = entry.get("hedge_factor")
        return _compile_group(
            entry, macros, bool(entry.get("speculation", False)), float(hedge) if hedge is not None else None
        )

    types = {tid: group(raw["types"][tid]) for tid in TYPE_IDS}
    fb = raw.get("fallback") or {}
    fallback = {tid: group(fb["types"][tid]) for tid in TYPE_IDS if tid in (fb.get("types") or {})}
    neg = raw["negation"]
    spec = raw["speculation"]
    return _Lexicon(
        threshold=float(raw["threshold"]),
        score_scale=float(raw["score_scale"]),
        other_margin=float(raw["other_margin"]),
        repeat_bonus=float(raw.get("repeat_bonus", 0.0)),
        tie_order={tid: i for i, tid in enumerate(raw.get("tie_order") or TYPE_IDS)},
        t2s=t2s,
        types=types,
        fallback=fallback,
        fallback_max_other=float(fb.get("max_other", 0.0)),
        other=_compile_group(raw["other"], macros, False),
        cs=_compile_group(raw["cs_runaround"], macros, False),
        cs_threshold=float(raw["cs_runaround"]["threshold"]),
        developer=_compile_group(raw["developer"], macros, False),
        developer_threshold=float(raw["developer"]["threshold"]),
        neg_cue=re.compile(str(neg["pattern"])),
        rhetorical_cue=re.compile(f"(?:{neg['rhetorical_cues']})"),
        rhetorical_suffix=re.compile(f"(?:{neg['rhetorical_suffix']})"),
        spec_strong=re.compile(
            f"(?:{spec['strong']})" + r"[^，。！？,.!?；;]{0," + str(int(spec["strong_gap"])) + "}$"
        ),
        spec_weak=re.compile(
            f"(?:{spec['weak']})" + r"[^，。！？,.!?；;]{0," + str(int(spec["weak_gap"])) + "}$"
        ),
        spec_question=re.compile(str(spec["question_suffix"])),
        hedge=re.compile(
            f"(?:{spec['hedge']})" + r"[^，。！？,.!?；;]{0," + str(int(spec["hedge_gap"])) + "}$"
        ),
        hedge_factor=float(spec["hedge_factor"]),
    )


# --------------------------------------------------------------------------------------------------------------
# normalisation: the normalised text plus, for every normalised character, the index of its source character


def _normalize(text: str, lex: _Lexicon) -> tuple[str, list[int] | None]:
    """NFKC + lower case + traditional->simplified. The index map is None when lengths are unchanged (1:1)."""
    norm = unicodedata.normalize("NFKC", text).lower()
    if len(norm) == len(text):
        return norm.translate(lex.t2s), None
    pieces: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        piece = unicodedata.normalize("NFKC", ch).lower()
        pieces.append(piece)
        index.extend([i] * len(piece))
    return "".join(pieces).translate(lex.t2s), index


class _Text:
    """Normalised text with helpers to map spans back to the original and to find clause boundaries."""

    __slots__ = ("original", "norm", "_index")

    def __init__(self, original: str, lex: _Lexicon) -> None:
        self.original = original
        self.norm, self._index = _normalize(original, lex)

    def source(self, start: int, end: int) -> str:
        if self._index is None:
            return self.original[start:end]
        if start >= len(self._index):
            return ""
        s = self._index[start]
        e = self._index[end - 1] + 1 if end > start else s
        return self.original[s:e]

    def clause_before(self, pos: int, limit: int) -> str:
        start = pos
        norm = self.norm
        while start > 0 and pos - start < limit and norm[start - 1] not in _CLAUSE_END:
            start -= 1
        return norm[start:pos]

    def clause_after(self, pos: int, limit: int) -> str:
        end = pos
        norm = self.norm
        n = len(norm)
        while end < n and end - pos < limit and norm[end] not in _CLAUSE_END:
            end += 1
        return norm[pos:end]

    def sentence_after(self, pos: int, limit: int) -> str:
        end = pos
        norm = self.norm
        n = len(norm)
        while end < n and end - pos < limit and norm[end] not in _SENTENCE_END:
            end += 1
        return norm[pos:end]


# --------------------------------------------------------------------------------------------------------------
# matching


def _context_factor(t: _Text, start: int, end: int, lex: _Lexicon, group: _Group) -> float:
    """1.0 if the phrase at [start, end) is asserted; 0 if negated or hypothetical; hedge_factor if only suspected."""
    before = t.clause_before(start, 12)
    if before:
        m = lex.neg_cue.search(before)
        if m is not None:
            cue = m.group(0)
            rhetorical = lex.rhetorical_cue.match(cue) is not None and (
                lex.rhetorical_suffix.search(t.sentence_after(end, 16)) is not None
            )
            if not rhetorical:
                return 0.0
    if not group.speculation:
        return 1.0
    if before and (lex.spec_strong.search(before) or lex.spec_weak.search(before)):
        return 0.0
    if lex.spec_question.match(t.norm[end : end + 4]):
        return 0.0
    if before and lex.hedge.search(before):
        return lex.hedge_factor if group.hedge_factor is None else group.hedge_factor
    return 1.0


@dataclass(slots=True)
class _Hit:
    start: int
    end: int
    weight: float
    phrase: str
    repeats: int


def _match_group(t: _Text, group: _Group, lex: _Lexicon, discounted: list[str] | None = None) -> list[_Hit]:
    """Every signal of the group that occurs (asserted) in the text, overlaps resolved in favour of the heavier.
    Occurrences that were found but do not count (negated, hypothetical, excluded by not_after/not_before) are
    appended to ``discounted`` when it is given."""
    per_signal: list[list[tuple[int, int, float]]] = []
    norm = t.norm
    for sig in group.signals:
        if sig.need is not None and sig.need.search(norm) is None:
            continue
        occurrences: list[tuple[int, int, float]] = []
        for m in sig.pattern.finditer(norm):
            hs, he = m.span("hit") if sig.has_hit and m.start("hit") >= 0 else m.span()
            if (sig.not_after is not None and sig.not_after.search(norm, max(0, hs - 12), hs)) or (
                sig.not_before is not None and sig.not_before.match(norm[he : he + 6])
            ):
                factor = 0.0
            else:
                factor = _context_factor(t, hs, he, lex, group)
            if factor > 0:
                occurrences.append((m.start(), m.end(), sig.weight * factor))
            elif discounted is not None:
                discounted.append(m.group(0))
        if occurrences:
            per_signal.append(occurrences)
    # resolve overlaps: heavier phrases first; a lighter signal counts at its first occurrence that overlaps
    # nothing already kept (so "拉黑" inside "收款不发货还拉黑" still counts where it appears again on its own)
    per_signal.sort(key=lambda occ: (-max(w for _, _, w in occ), occ[0][0]))
    kept: list[_Hit] = []
    for occ in per_signal:
        free = [o for o in occ if not any(o[0] < k.end and k.start < o[1] for k in kept)]
        if not free:
            continue
        start, end, weight = max(free, key=lambda o: (o[2], -o[0]))
        kept.append(_Hit(start, end, weight, t.source(start, end), len(free) - 1))
    kept.sort(key=lambda h: h.start)
    return kept


def _raw_score(hits: list[_Hit], lex: _Lexicon) -> float:
    return sum(h.weight + lex.repeat_bonus * min(h.repeats, 2) for h in hits)


def _unique(phrases: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for p in phrases:
        if p and p not in seen:
            seen[p] = None
    return list(seen)


# --------------------------------------------------------------------------------------------------------------
# the decision: a linear model (multinomial logistic regression) over character n-grams, jieba words and the
# lexicon's evidence, trained by bench/train_classifier.py; inference here is plain Python (a dict lookup per feature)

MODEL_FILE = DATA_DIR / "classifier_model.json"
MAX_N = 3  # character 1..MAX_N-grams

# clause punctuation (and whitespace) as the model reads it: one separator, runs collapsed
_MODEL_SEPARATORS = _CLAUSE_END | _SENTENCE_END


def _model_text(norm: str) -> tuple[str, list[int]]:
    """What the model reads: the normalised text with every run of digits as one "0", every run of clause
    punctuation or whitespace as one "，"; plus, for each of its characters, its index in ``norm``."""
    chars: list[str] = []
    index: list[int] = []
    prev = ""
    for i, ch in enumerate(norm):
        if "0" <= ch <= "9":
            ch = "0"
            if prev == ch:
                continue
        elif ch in _MODEL_SEPARATORS or ch.isspace():
            ch = "，"
            if prev == ch or not chars:
                continue
        chars.append(ch)
        index.append(i)
        prev = ch
    return "".join(chars), index


@functools.cache
def _jieba() -> Any:
    """jieba with the domain words of classifier.yaml (卡密, 点卡, 卡盟 ...) added (used to build the vocabulary)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in load("classifier").get("jieba_words") or ():
        tokenizer.add_word(str(word), freq=20000)
    return tokenizer


MIN_WORD, MAX_WORD = 4, 6  # word features: shorter words are character n-grams already (MAX_N = 3)


def jieba_words(s: str) -> set[str]:
    """The words (MIN_WORD..MAX_WORD characters, no separator) jieba cuts a model text into: the training script
    builds the model's word vocabulary from these, plus the domain words of classifier.yaml."""
    return {w for w in _jieba().lcut(s, HMM=False) if MIN_WORD <= len(w) <= MAX_WORD and "，" not in w}


def _words(s: str, vocabulary: frozenset[str]) -> list[tuple[str, int, int]]:
    """Every vocabulary word in the model text, with its span. The vocabulary is what jieba found in the training
    texts; looking its words up is ~20x faster than segmenting every text again and keeps 2,000 texts/s."""
    out = []
    n = len(s)
    for i in range(n - MIN_WORD + 1):
        for j in range(i + MIN_WORD, min(n, i + MAX_WORD) + 1):
            w = s[i:j]
            if w in vocabulary:
                out.append((w, i, j))
    return out


@dataclass(frozen=True, slots=True)
class _LexiconView:
    """What the lexicon found, as the model reads it."""

    raw: dict[str, float]  # type -> evidence (after the fallback)
    hits: dict[str, list[_Hit]]
    other_raw: float
    discounted: bool
    choice: str  # the lexicon's own decision (OTHER when it abstains)


def _features(s: str, view: _LexiconView, max_n: int, words: list[tuple[str, int, int]]) -> dict[str, float]:
    """The model's features of a text: c:<character n-gram> and w:<jieba word> (present: together of unit length,
    each 1/sqrt(how many)), L:<type> = the
    lexicon's evidence for a type (log 1 + raw), L:other, L:discounted, L:pick:<lexicon's decision>."""
    feats: dict[str, float] = {}
    for n in range(1, max_n + 1):
        for i in range(len(s) - n + 1):
            feats["c:" + s[i : i + n]] = 1.0
    for w, _a, _b in words:
        feats["w:" + w] = 1.0
    if feats:  # unit length: a long text is not more certain than a short one
        norm = 1.0 / math.sqrt(len(feats))
        feats = dict.fromkeys(feats, norm)
    for tid, raw in view.raw.items():
        if raw > 0:
            feats["L:" + tid] = math.log1p(raw)
    if view.other_raw > 0:
        feats["L:other"] = math.log1p(view.other_raw)
    if view.discounted:
        feats["L:discounted"] = 1.0
    feats["L:pick:" + view.choice] = 1.0
    return feats


@dataclass(frozen=True, slots=True)
class _LinearModel:
    labels: tuple[str, ...]  # the classes, OTHER among them
    intercept: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]  # feature -> one weight per label
    vocabulary: frozenset[str]  # the words of the w: features
    # feature -> per label, its weight minus the mean of its weights for the other labels (what favours a label)
    contrast: dict[str, tuple[float, ...]]
    # the same by kind, keyed without the "c:"/"w:" prefix (inference looks n-grams up without building names)
    ngram_rows: dict[str, tuple[float, ...]]
    word_rows: dict[str, tuple[float, ...]]
    ngram_contrast: dict[str, tuple[float, ...]]
    word_contrast: dict[str, tuple[float, ...]]
    max_n: int
    temperature: float  # logits are divided by it (fitted on out-of-fold predictions)
    confident: float  # the probability at or above which no question is asked
    branch: float  # the probability mass that lets the text answer a question of the tree by itself
    n_signals: int  # how many of the most telling features explain a decision
    # how much lower the logit of "other" is when the lexicon finds nothing off-topic in the text
    other_clean_offset: float = 0.0

    @property
    def other_index(self) -> int:
        return self.labels.index(OTHER)


@functools.cache
def _model() -> _LinearModel:
    """The trained model (data/classifier_model.json, made by bench/train_classifier.py)."""
    with open(MODEL_FILE, encoding="utf-8") as fh:
        payload = json.load(fh)
    return _model_from_payload(payload)


def _model_from_payload(payload: dict[str, Any]) -> _LinearModel:
    labels = tuple(str(x) for x in payload["labels"])
    weights = {str(f): tuple(float(w) for w in row) for f, row in payload["weights"].items()}
    contrast = {
        f: tuple(w - (sum(row) - w) / (len(row) - 1) for w in row)
        for f, row in weights.items()
        # only features that can explain: lexicon evidence for a type, words, n-grams of 2+ characters
        if (f.count(":") == 1 and f not in ("L:other", "L:discounted"))
        and not (f[0] == "c" and (len(f) < 4 or "，" in f))
    }
    return _LinearModel(
        labels=labels,
        intercept=tuple(float(x) for x in payload["intercept"]),
        weights=weights,
        vocabulary=frozenset(f[2:] for f in weights if f.startswith("w:")),
        contrast=contrast,
        ngram_rows={f[2:]: r for f, r in weights.items() if f[0] == "c"},
        word_rows={f[2:]: r for f, r in weights.items() if f[0] == "w"},
        ngram_contrast={f[2:]: r for f, r in contrast.items() if f[0] == "c"},
        word_contrast={f[2:]: r for f, r in contrast.items() if f[0] == "w"},
        max_n=int(payload["max_n"]),
        temperature=float(payload["temperature"]),
        confident=float(payload["decision"]["confident"]),
        branch=float(payload["decision"]["branch"]),
        other_clean_offset=float(payload["decision"].get("other_clean_offset", 0.0)),
        n_signals=int(payload["decision"].get("n_signals", 4)),
    )


def _score(
    model: _LinearModel, s: str, words: list[tuple[str, int, int]], view: _LexiconView
) -> tuple[list[float], list[tuple[str, str, float, tuple[float, ...]]]]:
    """Probabilities per label and the explaining features present, (kind, body, value, contrast row) — the same
    numbers as the weights applied to _features(...) (what training reads), without building a name for every
    n-gram."""
    max_n = model.max_n
    grams = {s[i : i + n] for n in range(1, max_n + 1) for i in range(len(s) - n + 1)}
    wset = {w for w, _a, _b in words}
    total = len(grams) + len(wset)
    x = 1.0 / math.sqrt(total) if total else 0.0
    ng, wr = model.ngram_rows, model.word_rows
    # one look-up per n-gram and word; the contrast rows (a subset) are looked up only for those found
    found_g = [(g, r) for g in grams if (r := ng.get(g)) is not None]
    found_w = [(w, r) for w in wset if (r := wr.get(w)) is not None]
    rows = [r for _g, r in found_g]
    rows.extend(r for _w, r in found_w)
    z = list(model.intercept)
    if rows:
        z = [v + x * sum(col) for v, col in zip(z, zip(*rows, strict=True), strict=True)]
    lexf: list[tuple[str, float]] = [
        ("L:" + tid, math.log1p(raw)) for tid, raw in view.raw.items() if raw > 0
    ]
    if view.other_raw > 0:
        lexf.append(("L:other", math.log1p(view.other_raw)))
    if view.discounted:
        lexf.append(("L:discounted", 1.0))
    lexf.append(("L:pick:" + view.choice, 1.0))
    weights = model.weights
    for f, v in lexf:
        row = weights.get(f)
        if row is not None:
            z = [a + v * w for a, w in zip(z, row, strict=True)]
    if view.other_raw <= 0 and model.other_clean_offset:
        # no word places the story outside the taxonomy: "other" must win by more (the gate of train_classifier.py)
        k = model.other_index
        z[k] -= model.other_clean_offset
    t = model.temperature
    probs = _softmax([v / t for v in z])
    nc, wc, lc = model.ngram_contrast, model.word_contrast, model.contrast
    present = [("c", g, x, r) for g, _r in found_g if (r := nc.get(g)) is not None]
    present.extend(("w", w, x, r) for w, _r in found_w if (r := wc.get(w)) is not None)
    present.extend(("L", f[2:], v, r) for f, v in lexf if (r := lc.get(f)) is not None)
    return probs, present


def _softmax(z: list[float]) -> list[float]:
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return [v / total for v in e]


def _model_signals(
    model: _LinearModel,
    t: _Text,
    s: str,
    index: list[int],
    present: list[tuple[str, str, float, tuple[float, ...]]],
    view: _LexiconView,
    label: str,
    words: list[tuple[str, int, int]],
) -> list[str]:
    """The features present in the text that most favour ``label`` over the other classes, quoted from the original
    text: n-grams and words as the stretch of text they cover (overlapping stretches merged), lexicon evidence as the
    lexicon's phrases for that type. ``present``: (feature, value, contrast row) of the text's explaining features."""
    k = model.labels.index(label)
    scored = [(x * row[k], kind + ":" + body) for kind, body, x, row in present if x * row[k] > 0]
    scored.sort(key=lambda g: (-g[0], g[1]))
    spans: list[tuple[int, int]] = []
    lexicon_phrases: list[str] = []
    for _gain, f in scored[: model.n_signals]:
        kind, body = f[0], f[2:]
        if kind == "L":
            lexicon_phrases.extend(h.phrase for h in view.hits.get(body, ()))
        elif kind == "c":
            at = s.find(body)
            if at >= 0:
                spans.append((at, at + len(body)))
        else:
            spans.extend((a, b) for w, a, b in words if w == body)
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    quoted = [t.source(index[a], index[b - 1] + 1) for a, b in merged]
    return _unique([*lexicon_phrases, *quoted])


# --------------------------------------------------------------------------------------------------------------
# extraction


@functools.cache
def _extraction_rules() -> dict[str, Any]:
    raw = load("classifier")["extraction"]
    amount = raw["amount"]
    pay = raw["payment"]
    plat = raw["platform"]
    dom = raw["domain"]
    suffixes = [str(s) for s in plat["suffixes"]]
    suffix_alt = "|".join(re.escape(s) for s in sorted(suffixes, key=len, reverse=True))
    return {
        "paid": re.compile(f"(?:{amount['paid_context']})"),
        "not_paid": re.compile(f"(?:{amount['not_paid_context']})"),
        "pay_strong": [(m, re.compile(str(p))) for m, p in pay["strong"].items()],
        "pay_weak": [(m, re.compile(str(p))) for m, p in pay["weak"].items()],
        "pay_verbs": re.compile(str(pay["verbs"])),
        "pay_neg": re.compile(f"(?:{pay['negation']})[^，。！？,.!?]{{0,2}}$"),
        "suffix_rank": {s: i for i, s in enumerate(suffixes)},
        "suffix_re": re.compile(suffix_alt),
        "cut": re.compile(f".*(?:{plat['cut']})"),
        "generic": frozenset(str(g) for g in plat["generic"]),
        "known": re.compile("|".join(re.escape(str(k)) for k in plat["known"])),
        "domain": re.compile(
            r"(?<![@a-z0-9.\-])(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:"
            + str(dom["tlds"])
            + r"))(?![a-z0-9-])"
        ),
        "domain_ignore": tuple(str(d) for d in dom["ignore"]),
        "item": re.compile(
            f"(?:{raw['item']['verbs']})\\s*(?:(?:{_NUM}|[{_CN_NUM}]+)\\s*(?:元|块钱|块|刀|美元|rmb)(?:面值)?(?:的)?)?"
            f"(?:{raw['item']['skip']})?\\s*"
            f"(?P<item>[^，。！？,.!?；;、\\s（()）:：\\[\\]]{{0,8}}?(?:{raw['item']['goods']}))"
        ),
        "payee": re.compile(
            f"(?:{raw['payee']['keys']})\\s*(?:是|为|叫|显示(?:为|是)?|名(?:称|字)?(?:是|为)?)?\\s*[:：]?\\s*"
            '[“"「『]?(?P<name>[^，。！？,.!?；;\\s“”"」』（）()]{2,40})'
        ),
        "contacts": re.compile(
            f"(?:{raw['contacts']['verbs']})了?(?:[^，。！？,.!?；;]{{0,6}}?)"
            "(?P<n>\\d{1,2}|[一二两三四五六七八九十几]{1,2})\\s*(?:次|回|遍)"
            f"|(?P<m>\\d{{1,2}}|[一二两三四五六七八九十几]{{1,2}})\\s*(?:次|回|遍)(?:[^，。！？,.!?；;]{{0,3}}?)"
            f"(?:{raw['contacts']['verbs']})[^，。！？,.!?；;]{{0,4}}?(?:{raw['contacts']['objects']})"
        ),
        "contacts_after": re.compile(f"^[^，。！？,.!?；;]{{0,6}}?(?:{raw['contacts']['objects']})"),
        "contacts_before": re.compile(f"(?:{raw['contacts']['objects']})[^，。！？,.!?；;]{{0,4}}$"),
    }


_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CN_NUM = "零〇一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟"
_AMOUNT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:¥|\$|rmb|人民币|cny)\s*(" + _NUM + r")(\s*万)?"), "digits"),
    (
        re.compile(r"(?<![\d.])(" + _NUM + r")\s*(万)?\s*(?:多|余)?\s*(?:元|块钱|块|圆|rmb|人民币|cny)"),
        "digits",
    ),
    (re.compile("([" + _CN_NUM + "]+)(?:多)?(?:元|块钱|块|圆)"), "chinese"),
    (
        re.compile(
            r"(?:充值|充了|付了|付款|支付|实付|金额|价格|售价|花了|转账|转了|共计|总计|合计|一共|总共|价值|扣款|扣了|扣费|已扣|花费|续费)"
            r"\s*(?:了)?\s*(?:金额)?\s*[:：]?\s*("
            + _NUM
            + r")(?![\d.]*\s*(?:天|个|张|次|小时|分钟|%|g|月|年|号|日|人|位|片|包|箱|件|台|部|期|倍|折|多个|w|k))"
        ),
        "digits_ctx",
    ),
    # "9.9开通会员", "39.9买的": a price with cents right before the buying verb
    (re.compile(r"(?<![\d.])(\d+\.\d{1,2})(?=开通|购买|充值|买|开了|办理|办了)"), "digits_ctx"),
)
# after a bare 块 only these may follow for it to be money ("3块就过敏" is three pieces)
_BARE_KUAI_FOLLOW = frozenset("钱的买充付了吧啊呢多左人，。！？,.!?；;、 )）\n")


def _cn_to_number(s: str) -> float | None:
    s = s.replace("多", "")
    if not s:
        return None
    try:
        value = cn2an.cn2an(s, "smart")
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    return float(value)


def _extract_amount(t: _Text) -> float | None:
    rules = _extraction_rules()
    norm = t.norm
    best: tuple[float, int, float] | None = None  # (score, -position, value)
    seen_spans: list[tuple[int, int]] = []
    for pattern, kind in _AMOUNT_PATTERNS:
        for m in pattern.finditer(norm):
            s, e = m.span(1)
            if any(s < pe and ps < e for ps, pe in seen_spans):
                continue
            raw = m.group(1)
            if kind == "chinese":
                unit = norm[m.end(1) : m.end()]
                # "一块去" / "两块屏幕" are not money: a bare 块 needs a unit numeral (十百千万)
                if unit.endswith("块") and not any(c in raw for c in "十百千万拾佰仟"):
                    continue
                if raw in ("一", "两") and unit != "块钱" and not unit.endswith("元"):
                    continue
                value = _cn_to_number(raw)
            else:
                try:
                    value = float(raw.replace(",", ""))
                except ValueError:
                    value = None
                if (
                    value is not None
                    and m.lastindex
                    and m.lastindex >= 2
                    and m.group(2)
                    and "万" in m.group(2)
                ):
                    value *= 10000
            if value is None or value <= 0 or value > 10_000_000:
                continue
            if kind == "digits" and norm[m.end() - 1 : m.end()] == "块":
                follower = norm[m.end() : m.end() + 1]
                if follower and follower not in _BARE_KUAI_FOLLOW:
                    continue
            seen_spans.append((s, e))
            before = norm[max(0, m.start() - 8) : m.start()]
            after = norm[m.end() : m.end() + 4]
            score = 0.0
            if kind == "digits_ctx" or rules["paid"].search(before):
                score += 2
            if rules["not_paid"].search(before) or rules["not_paid"].search(after):
                score -= 3
            key = (score, -s, value)
            if best is None or key[:2] > best[:2]:
                best = key
    # only a compensation demand, a fee or a coupon value was found: that is not the amount paid
    return None if best is None or best[0] < 0 else best[2]


_ORDER_KEY = re.compile(
    r"(订单号码?|订单编号|订单id|交易单号|交易号|交易编号|商户单号|商户订单号|流水号|支付单号|订单|单号)"
    r"\s*(?:是|为|:|：|#|no\.?|\s)*([a-z0-9][a-z0-9\-_*]{5,39})"
)
_LONG_DIGITS = re.compile(r"(?<![\d*a-z])\d{12,30}(?![\d*])")
_ORDER_CONTEXT = re.compile(r"订单|单号|交易|流水|编号|tb|order")
_NOT_ORDER_KEY = re.compile(r"(?:快递|物流|运|退货)$")


def _nfkc(s: str) -> str:
    """Full-width letters and digits as ASCII, case kept (order numbers and names are reported this way)."""
    return unicodedata.normalize("NFKC", s)


def _extract_order_no(t: _Text) -> str | None:
    norm = t.norm
    best: tuple[int, int, str] | None = None
    for m in _ORDER_KEY.finditer(norm):
        key = m.group(1)
        value = m.group(2)
        if sum(c.isdigit() for c in value) < 4:
            continue
        rank = 0 if key.startswith("订单") else 1
        if key == "单号" and _NOT_ORDER_KEY.search(norm[max(0, m.start() - 2) : m.start()]):
            rank = 2
        cand = (rank, m.start(2), _nfkc(t.source(m.start(2), m.end(2))))
        if best is None or cand[:2] < best[:2]:
            best = cand
    if best is not None:
        return best[2]
    for m in _LONG_DIGITS.finditer(norm):
        around = norm[max(0, m.start() - 20) : m.start()] + norm[m.end() : m.end() + 8]
        if _ORDER_CONTEXT.search(around) and not re.search(
            r"(?:卡号|银行卡|身份证|手机号)[^，。]{0,6}$", norm[: m.start()]
        ):
            return _nfkc(t.source(m.start(), m.end()))
    return None


_CN_DIGIT = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}

_DATE_FULL = re.compile(
    r"(?<!\d)((?:19|20)\d{2})(?:\s*[-/.年]|\s+(?=\d{1,2}\s*月))\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)"
)
# "20210705": eight digits that are a date, alone (not part of an order number)
_DATE_COMPACT = re.compile(r"(?<![0-9a-z])((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?![0-9a-z])")
_DATE_YY = re.compile(r"(?<![\d.])(\d{2})年(\d{1,2})月(\d{1,2})(?!\d)")
_DATE_MD = re.compile(r"(?<![\d./\-年])(\d{1,2})月(\d{1,2})\s*[日号]?")
_DATE_MD_DASH = re.compile(r"(?<![\d./\-])(\d{1,2})-(\d{1,2})\s*[日号]")
_DATE_MD_DOT = re.compile(
    r"(?<![\d./¥$\-])(\d{1,2})\.(\d{1,2})(?:\s*[日号]|(?=那天|当天|晚上|早上|上午|下午|中午|凌晨|晚|早|我|在|购买|下单|买))"
)
_DATE_MD_DOT_PREP = re.compile(
    r"(?:于|在|从|到|至|是)(\d{1,2})\.(\d{1,2})(?![\d.]*\s*(?:元|块|%|折|倍|g|kg|磅|斤|米|版|个))(?!\d)"
)
_DATE_CN = re.compile(r"([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})[日号]")
_REL_DAY = re.compile(r"大前天|前天|昨天|昨日|今天|今日|当天")
_REL_WEEK = re.compile(r"(上上|上|这|本)(?:个)?(?:周|星期|礼拜)([一二三四五六日天])")
_REL_AGO = re.compile(r"(\d{1,3}|[一二两三四五六七八九十]{1,3})天(?:前|之前)")
_REL_MONTH = re.compile(r"上(?:个)?月(\d{1,2})[日号]")


def _cn_small(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    if s == "十":
        return 10
    if s.startswith("十") and len(s) == 2:
        return 10 + _CN_DIGIT.get(s[1], 0)
    if len(s) == 2 and s.endswith("十"):
        return _CN_DIGIT.get(s[0], 0) * 10
    if len(s) == 3 and s[1] == "十":
        return _CN_DIGIT.get(s[0], 0) * 10 + _CN_DIGIT.get(s[2], 0)
    if len(s) == 1:
        return _CN_DIGIT.get(s)
    return None


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _extract_dates(t: _Text, today: dt.date | None) -> list[str]:
    norm = t.norm
    found: list[tuple[int, dt.date]] = []
    taken: list[tuple[int, int]] = []

    def add(pos: int, end: int, d: dt.date | None) -> None:
        if d is None or any(pos < e and s < end for s, e in taken):
            return
        taken.append((pos, end))
        found.append((pos, d))

    anchors: list[dt.date] = []  # dates written with their year (the first is usually the payment)
    for m in _DATE_FULL.finditer(norm):
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        add(m.start(), m.end(), d)
        if d:
            anchors.append(d)
    for m in _DATE_COMPACT.finditer(norm):
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        add(m.start(), m.end(), d)
        if d:
            anchors.append(d)
    for m in _DATE_YY.finditer(norm):
        d = _safe_date(2000 + int(m.group(1)), int(m.group(2)), int(m.group(3)))
        add(m.start(), m.end(), d)
        if d:
            anchors.append(d)
    anchors.sort(key=lambda d: d.toordinal())

    def year_for(month: int, day: int) -> int | None:
        if anchors:
            # a date without its year follows the dated payment: "2025年12月28日付款 … 1月3日客服说" is 2026-01-03
            anchor = anchors[0]
            same = _safe_date(anchor.year, month, day)
            if same is not None and (anchor - same).days > 183:
                return anchor.year + 1
            return anchor.year
        if today is not None:
            d = _safe_date(today.year, month, day)
            if d is not None and d > today + dt.timedelta(days=7):
                return today.year - 1
            return today.year
        return None

    partial: list[tuple[int, int, int, int]] = []
    for pat in (_DATE_MD, _DATE_MD_DASH, _DATE_MD_DOT, _DATE_MD_DOT_PREP):
        for m in pat.finditer(norm):
            partial.append((m.start(), m.end(), int(m.group(1)), int(m.group(2))))
    for m in _DATE_CN.finditer(norm):
        mo, da = _cn_small(m.group(1)), _cn_small(m.group(2))
        if mo and da:
            partial.append((m.start(), m.end(), mo, da))
    for s, e, mo, da in sorted(partial):
        if not (1 <= mo <= 12 and 1 <= da <= 31):
            continue
        y = year_for(mo, da)
        if y is not None:
            add(s, e, _safe_date(y, mo, da))

    if today is not None:
        for m in _REL_DAY.finditer(norm):
            offset = {"大前天": 3, "前天": 2, "昨天": 1, "昨日": 1}.get(m.group(0), 0)
            if m.group(0) == "当天":
                continue
            add(m.start(), m.end(), today - dt.timedelta(days=offset))
        for m in _REL_WEEK.finditer(norm):
            monday = today - dt.timedelta(days=today.weekday())
            weeks = {"上上": 2, "上": 1}.get(m.group(1), 0)
            add(
                m.start(),
                m.end(),
                monday - dt.timedelta(weeks=weeks) + dt.timedelta(days=_WEEKDAY[m.group(2)]),
            )
        for m in _REL_AGO.finditer(norm):
            n = _cn_small(m.group(1))
            if n is not None and n <= 366:
                add(m.start(), m.end(), today - dt.timedelta(days=n))
        for m in _REL_MONTH.finditer(norm):
            first = today.replace(day=1) - dt.timedelta(days=1)
            add(m.start(), m.end(), _safe_date(first.year, first.month, int(m.group(1))))
    found.sort(key=lambda x: x[0])
    return _unique(d.isoformat() for _, d in found)


_NAME_RUN = re.compile(r"[\u4e00-\u9fffa-z0-9_\-·]*$")


def _extract_platform(t: _Text) -> tuple[str | None, str | None]:
    rules = _extraction_rules()
    norm = t.norm
    domain: str | None = None
    domain_match: re.Match[str] | None = None
    for m in rules["domain"].finditer(norm):
        host = m.group(1)
        if any(host == ig or host.endswith("." + ig) for ig in rules["domain_ignore"]):
            continue
        domain = t.source(m.start(1), m.end(1)).lower()
        domain_match = m
        break
    best: tuple[int, int, str] | None = None
    for m in rules["suffix_re"].finditer(norm):
        suffix = m.group(0)
        run = _NAME_RUN.search(norm, max(0, m.start() - 14), m.start())
        prefix_start = run.start() if run else m.start()
        cut = rules["cut"].match(norm, prefix_start, m.start())
        name_start = cut.end() if cut else prefix_start
        name = norm[name_start : m.start()]
        if not name or name in rules["generic"] or name.isdigit():
            continue
        if suffix in ("平台", "店", "网站", "官网", "app", "小程序", "机场") and len(name) < 2:
            continue
        if re.fullmatch(r"[a-z0-9]", name):
            continue
        cand = (rules["suffix_rank"][suffix], name_start, _nfkc(t.source(name_start, m.end())))
        if best is None or cand[:2] < best[:2]:
            best = cand
    platform = best[2] if best else None
    if domain_match is not None:
        # a name written right before the address or in brackets after it: "某某卡盟(kameng.com)", "kameng.com（某某卡盟）"
        beside = _name_beside_domain(t, domain_match.start(), domain_match.end())
        if beside:
            platform = beside
    if platform is None:
        k = rules["known"].search(norm)
        if k is not None:
            platform = _nfkc(t.source(k.start(), k.end()))
    if platform is None and domain is not None:
        platform = domain
    return platform, domain


_BESIDE_LEAD = re.compile(
    r".*(?:在|从|于|去|到|通过|叫|名为|名叫|买了?|充值|注册|登录|打开|网站|网址|域名|平台|是|的|了|，)"
)
_BEFORE_DOMAIN = re.compile(
    r"([\u4e00-\u9fffa-z0-9_\-·]{2,16})\s*[(（【\[]?\s*(?:网址|域名|官网)?\s*[:：]?\s*(?:https?://)?$"
)
_AFTER_DOMAIN = re.compile(r"\s*[/]?\s*[(（【\[]\s*([\u4e00-\u9fffa-z0-9_\-·]{2,16})\s*[)）】\]]")


def _name_beside_domain(t: _Text, start: int, end: int) -> str | None:
    """The platform's name written just before its address ("某某卡盟 kameng.com", "某某卡盟(kameng.com)") or in
    brackets right after it ("kameng.com（某某卡盟）")."""
    norm = t.norm
    m = _AFTER_DOMAIN.match(norm, end)
    if m is not None and re.search(r"[\u4e00-\u9fff]", m.group(1)):
        return _nfkc(t.source(m.start(1), m.end(1)))
    before = norm[max(0, start - 20) : start]
    b = _BEFORE_DOMAIN.search(before)
    if b is None or not re.search(r"[\u4e00-\u9fff]", b.group(1)):
        return None
    name_start = max(0, start - 20) + b.start(1)
    name = b.group(1)
    lead = _BESIDE_LEAD.match(name)
    if lead is not None:
        name_start += lead.end()
        name = name[lead.end() :]
    if len(name) < 2 or name in _extraction_rules()["generic"]:
        return None
    return _nfkc(t.source(name_start, name_start + len(name)))


def _extract_payment(t: _Text) -> str | None:
    rules = _extraction_rules()
    norm = t.norm
    best: tuple[float, int, str] | None = None
    for strong, table in ((True, rules["pay_strong"]), (False, rules["pay_weak"])):
        for method, pattern in table:
            for m in pattern.finditer(norm):
                if (
                    not strong
                    and m.group(0) in ("wx", "vx")
                    and re.search(r"[a-z0-9]", norm[m.end() : m.end() + 1])
                ):
                    continue
                around = norm[max(0, m.start() - 6) : m.start()] + "|" + norm[m.end() : m.end() + 6]
                has_verb = (
                    rules["pay_verbs"].search(around) is not None
                    or "付" in m.group(0)
                    or "转账" in m.group(0)
                )
                if not strong and not has_verb:
                    continue
                score = (1.0 if strong else 0.5) + (2.0 if has_verb else 0.0)
                if rules["pay_neg"].search(norm[max(0, m.start() - 6) : m.start()]):
                    score -= 3
                cand = (score, -m.start(), method)
                if best is None or cand[:2] > best[:2]:
                    best = cand
    if best is None or best[0] <= 0:
        return None
    return best[2]


def _extract_item(t: _Text) -> str | None:
    m = _extraction_rules()["item"].search(t.norm)
    if m is None:
        return None
    item = _nfkc(t.source(m.start("item"), m.end("item"))).strip()
    return item or None


_PAYEE_END = re.compile(r"(?:公司|有限公司|工作室|商行|店|科技|网络|信息|贸易|经营部|个体户)")


def _extract_payee(t: _Text) -> str | None:
    m = _extraction_rules()["payee"].search(t.norm)
    if m is None:
        return None
    name = t.source(m.start("name"), m.end("name"))
    # a company name ends at its legal form ("杭州某某科技有限公司的账户" -> "杭州某某科技有限公司")
    ends = list(_PAYEE_END.finditer(name))
    if ends and "公司" in name:
        cut = max(
            (e for e in ends if e.group(0) in ("公司", "有限公司")), key=lambda e: e.end(), default=None
        )
        if cut is not None:
            name = name[: cut.end()]
    name = re.sub(r"(?:的账户|的账号|的|账户|账号)$", "", name)
    return _nfkc(name) or None


def _extract_contact_times(t: _Text) -> int | None:
    rules = _extraction_rules()
    best: int | None = None
    for m in rules["contacts"].finditer(t.norm):
        raw = m.group("n") or m.group("m")
        if m.group("n") is not None:
            # "联系了三次" needs the object near: 联系客服三次 / 三次联系客服 / 发了两次邮件
            around = t.norm[max(0, m.start() - 6) : m.end() + 8]
            if not (
                rules["contacts_after"].match(t.norm, m.end())
                or rules["contacts_before"].search(t.norm, max(0, m.start() - 6), m.end())
                or re.search(rules["contacts_after"].pattern.lstrip("^"), around)
            ):
                continue
        n = 3 if raw == "几" else _cn_small(raw)
        if n is not None and 1 <= n <= 99:
            best = n if best is None else max(best, n)
    return best


def _extract(t: _Text, today: dt.date | None) -> Extracted:
    platform, domain = _extract_platform(t)
    return Extracted(
        amount=_extract_amount(t),
        order_no=_extract_order_no(t),
        dates=_extract_dates(t, today),
        platform=platform,
        platform_domain=domain,
        payment_method=_extract_payment(t),
        item=_extract_item(t),
        payee=_extract_payee(t),
        contact_times=_extract_contact_times(t),
    )


# --------------------------------------------------------------------------------------------------------------
# the public interface


def _fallback(
    t: _Text, lex: _Lexicon, scored: list[tuple[float, int, str, list[_Hit]]]
) -> list[tuple[float, int, str, list[_Hit]]]:
    """No type has enough evidence: look for the general shape of a problem instead of its usual wording — a
    virtual good that was bought plus a complaint about what was delivered (quality) or that nothing came
    (fulfilment). Fallback phrases add to the type's evidence and are reported as its signals like any other."""
    by_type = {tid: (raw, order, hits) for raw, order, tid, hits in scored}
    for tid, group in lex.fallback.items():
        raw, order, old = by_type.get(tid, (0.0, lex.tie_order.get(tid, 99), []))
        # a fallback phrase that overlaps a phrase the type already counted is the same evidence: skip it
        hits = [
            h
            for h in _match_group(t, group, lex)
            if not any(h.start < o.end and o.start < h.end for o in old)
        ]
        if not hits:
            continue
        merged = sorted(old + hits, key=lambda h: h.start)
        by_type[tid] = (raw + _raw_score(hits, lex), order, merged)
    out = [(raw, order, tid, hits) for tid, (raw, order, hits) in by_type.items()]
    out.sort(key=lambda x: (-x[0], x[1]))
    return out


def _lexicon_view(t: _Text, lex: _Lexicon) -> tuple[_LexiconView, list[Candidate], list[_Hit]]:
    """The lexicon's evidence per type (with the fallback when no type has enough), its own decision, and its
    evidence for "outside the taxonomy"."""
    scored: list[tuple[float, int, str, list[_Hit]]] = []
    # problem words the lexicon saw but did not count (negated, hypothetical, excluded by not_after/not_before)
    discounted: list[str] = []
    for tid in TYPE_IDS:
        hits = _match_group(t, lex.types[tid], lex, discounted)
        if hits:
            scored.append((_raw_score(hits, lex), lex.tie_order.get(tid, 99), tid, hits))
    scored.sort(key=lambda x: (-x[0], x[1]))
    other_hits = _match_group(t, lex.other, lex)
    other_raw = _raw_score(other_hits, lex)
    if (not scored or scored[0][0] < lex.threshold) and other_raw < lex.fallback_max_other:
        scored = _fallback(t, lex, scored)
    candidates = [
        Candidate(
            type=tid, score=round(raw / (raw + lex.score_scale), 3), signals=_unique(h.phrase for h in hits)
        )
        for raw, _, tid, hits in scored
    ]
    choice = OTHER
    if scored:
        best_raw = scored[0][0]
        if best_raw >= lex.threshold and not (other_raw > 0 and other_raw >= best_raw * lex.other_margin):
            choice = scored[0][2]
    view = _LexiconView(
        raw={tid: raw for raw, _, tid, _h in scored},
        hits={tid: hits for _r, _, tid, hits in scored},
        other_raw=other_raw,
        discounted=bool(discounted),
        choice=choice,
    )
    return view, candidates, other_hits


def model_text(text: str) -> str:
    """The text as the model reads it (for the training script's vocabulary)."""
    return _model_text(_Text(text or "", _lexicon()).norm)[0]


def text_features(text: str, vocabulary: frozenset[str]) -> dict[str, float]:
    """The model's features of a text (shared with bench/train_classifier.py, so training reads texts as we do)."""
    lex = _lexicon()
    t = _Text(text or "", lex)
    view, _c, _o = _lexicon_view(t, lex)
    s = _model_text(t.norm)[0]
    return _features(s, view, MAX_N, _words(s, vocabulary))


# a type below this probability is not offered as a candidate
_MIN_CANDIDATE = 0.1
_MAX_CANDIDATES = 4  # of the seven classes (other among them)


def classify(
    text: str, today: dt.date | None = None, answers: Mapping[str, str] | list[str] | None = None
) -> Classification:
    """Classify one complaint. ``today`` resolves 昨天/上周三/3天前 and year-less dates; None leaves them out.
    ``answers`` ({question id: answer id} or "QID=AID" strings) are answers to the questions of data/questions.yaml;
    unknown ids raise ValueError."""
    given = parse_answers(answers)
    lex = _lexicon()
    model = _model()
    t = _Text(text or "", lex)
    view, lex_candidates, other_hits = _lexicon_view(t, lex)
    s, index = _model_text(t.norm)
    words = _words(s, model.vocabulary)
    p_list, present = _score(model, s, words, view)
    probs = dict(zip(model.labels, p_list, strict=True))
    ranked = sorted((p, lab) for lab, p in probs.items())[::-1]
    chosen = ranked[0][1]
    candidates: list[Candidate] = []
    for p, lab in ranked[:_MAX_CANDIDATES]:
        if lab == OTHER or (p < _MIN_CANDIDATE and lab != chosen):
            continue
        signals = _model_signals(model, t, s, index, present, view, lab, words)
        if signals:
            candidates.append(Candidate(type=lab, score=round(p, 3), signals=signals))
    if chosen != OTHER and not any(c.type == chosen for c in candidates):
        chosen = OTHER  # every decision must be explained by words of the text
    if (
        chosen != OTHER
        and other_hits
        and _raw_score(_match_group(t, lex.developer, lex), lex) >= lex.developer_threshold
    ):
        chosen = (
            OTHER  # a bug report about the software (traceback, 复现步骤, 版本 ...), even in a buyer's words
        )
    # "other" is settled only by words that place the story outside the taxonomy (auto-renewal, physical goods ...):
    # a story too vague to name a type gets the questions instead
    confident = probs[chosen] >= model.confident and (chosen != OTHER or bool(other_hits))
    if chosen != OTHER and view.choice == OTHER and view.discounted:
        confident = (
            False  # the problem words were negated or only feared ("听说…跑路"): ask rather than assume
        )
    step = next_step(probs, given, model.branch)
    questions: list[dict[str, Any]] = []
    if step.settled is not None and given:
        chosen, confident = step.settled, True
    elif given or not confident:
        confident = False
        if step.question is not None:
            questions = [step.question.to_dict()]
    cs_hits = _match_group(t, lex.cs, lex)
    cs_raw = _raw_score(cs_hits, lex)
    if chosen == OTHER:
        category, label = None, OTHER_LABEL
    else:
        ptype = TYPES[chosen]
        category, label = ptype.category.id, ptype.label
    return Classification(
        type=chosen,
        category=category,
        label=label,
        candidates=candidates,
        cs_runaround=cs_raw >= lex.cs_threshold,
        cs_signals=_unique(h.phrase for h in cs_hits),
        extracted=_extract(t, today),
        other_signals=_unique(h.phrase for h in other_hits),
        confident=confident,
        probability=round(probs[chosen], 3) if chosen in probs else 1.0,
        questions=questions,
        answers=step.used,
        lexicon_type=view.choice,
    )


def _parse_today(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("today 必须是 YYYY-MM-DD 格式的字符串")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"today 不是合法日期（应为 YYYY-MM-DD）：{value}") from None


def classify_batch(lines: Iterable[str], today: dt.date | None = None) -> Iterator[str]:
    """Classify JSONL lines ``{"id", "text"}`` (optional ``title``, prepended as a complaint page shows it, and
    ``today``). Yields one JSON line per input line: ``to_dict()`` plus ``id``; a bad line yields
    ``{"id": ..., "error": "..."}`` and the batch goes on. Blank lines are skipped."""
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        ident: Any = None
        try:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"第 {lineno} 行不是合法的 JSON：{exc.msg}（第 {exc.colno} 列）") from None
            if not isinstance(obj, dict):
                raise ValueError(
                    f'第 {lineno} 行应是 JSON 对象（{{"id": ..., "text": ...}}），实际是 {type(obj).__name__}'
                )
            ident = obj.get("id")
            text = obj.get("text")
            if not isinstance(text, str):
                raise ValueError(f"第 {lineno} 行缺少 text 字段或 text 不是字符串")
            title = obj.get("title")
            if isinstance(title, str) and title.strip():
                text = f"{title.strip()}。{text}"
            if not text.strip():
                raise ValueError(f"第 {lineno} 行的 text 为空，无法分类")
            line_today = _parse_today(obj.get("today")) if "today" in obj else today
            result = classify(text, today=line_today).to_dict()
            yield json.dumps({"id": ident, **result}, ensure_ascii=False)
        except Exception as exc:  # noqa: BLE001 - one bad line must never stop the batch
            message = str(exc) if isinstance(exc, ValueError) else f"第 {lineno} 行处理失败：{exc!r}"
            yield json.dumps({"id": ident, "error": message}, ensure_ascii=False)
