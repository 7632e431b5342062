"""The case wizard's draft: what the person typed on each of the four steps, kept in their session.

Steps: 1 the story, 2 the problem type, 3 platform and order, 4 contacts so far and evidence held (and, for a
visitor, the sign-up). When the classifier is confident the type step is taken for them: it is filled with the
suggestion and marked done, and step 3 shows the type with a link to change it — a clear story goes from the
story to the details in one tap.

Every POST is stored exactly as typed before it is validated, so nothing is lost when a field is wrong, when they
go back a screen, or when they have to sign up first. The case row is created only at the very end, from a case
file built out of the four steps, through ``Case.create_from_case_file`` (validated like the CLI's input).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.sessions.backends.base import SessionBase
from django.forms import BaseFormSet, Form
from django.forms.utils import ErrorDict
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from weiquan.cases.forms import (
    ContactFormSet,
    DetailsForm,
    EvidenceForm,
    StoryForm,
    TypeForm,
    china_datetime,
    today_in_china,
    type_descriptions,
)
from weiquan.cases.models import Case
from weiquan.domain.classify import classify
from weiquan.domain.datafiles import load
from weiquan.domain.facts import CaseFileError
from weiquan.domain.questions import parse_answers
from weiquan.domain.questions import tree as question_tree
from weiquan.domain.taxonomy import TYPES

SESSION_KEY = "case_wizard"
LAST = 4
TITLES = {
    1: _("发生了什么？"),
    2: _("问题类型"),
    3: _("平台和订单"),
    4: _("找过谁，有什么证据"),
}
SHORT = {1: _("经过"), 2: _("类型"), 3: _("平台订单"), 4: _("联系和证据")}
CONTACTS_PREFIX = "contacts"


class ContactsAndEvidence:
    """Step 4 on one screen: the contact rows so far (a formset) and the evidence held (a form), bound to the same
    POST (their field names do not overlap: ``contacts-…`` and ``kinds``)."""

    def __init__(
        self,
        data: QueryDict | MultiValueDict | None = None,
        contact_initial: list[dict[str, Any]] | None = None,
    ):
        self.contacts = ContactFormSet(data, initial=contact_initial, prefix=CONTACTS_PREFIX)
        self.evidence = EvidenceForm(data)

    def is_valid(self) -> bool:
        contacts_ok = self.contacts.is_valid()  # both validated, so both show their messages
        return self.evidence.is_valid() and contacts_ok

    @property
    def errors(self) -> bool:
        return bool(self.evidence.errors) or self.total_error_count() > 0

    def total_error_count(self) -> int:
        return self.contacts.total_error_count() + len(self.evidence.errors)


FORMS: dict[int, Any] = {1: StoryForm, 2: TypeForm, 3: DetailsForm, 4: ContactsAndEvidence}
# Never kept in the session: the buttons, and the passwords of the sign-up on the last screen.
_CONTROL = {
    "csrfmiddlewaretoken",
    "back",
    "add_row",
    "next",
    "no_contact",
    "have_account",
    "password1",
    "password2",
}
ANSWER_PREFIX = "answer-"  # the type step's answers to the classifier's questions


class StepInvalid(Exception):
    def __init__(self, step: int):
        self.step = step


class Draft:
    def __init__(self, session: SessionBase):
        self.session = session
        self.data: dict[str, Any] = session.get(SESSION_KEY) or {"raw": {}, "done": [], "pending": False}
        old_evidence = self.data["raw"].pop(
            "5", None
        )  # a draft from the five-screen wizard: evidence joins step 4
        if old_evidence is not None:
            self.data["raw"].setdefault("4", {}).setdefault("kinds", old_evidence.get("kinds") or [])
            self.data["done"] = [s for s in self.data["done"] if s <= LAST]

    def _save(self) -> None:
        self.session[SESSION_KEY] = self.data
        self.session.modified = True

    # --- reading -------------------------------------------------------------------------------------------------

    def raw(self, step: int) -> MultiValueDict | None:
        stored = self.data["raw"].get(str(step))
        return MultiValueDict(stored) if stored is not None else None

    def first_open_step(self) -> int:
        return next((s for s in range(1, LAST + 1) if s not in self.data["done"]), LAST + 1)

    @property
    def type_was_suggested(self) -> bool:
        """The type step was taken for them (a confident classification), not chosen on its screen."""
        return bool(self.data.get("type_suggested"))

    @property
    def classification(self) -> dict[str, Any] | None:
        return self.data.get("classification")

    @property
    def story(self) -> str:
        raw = self.raw(1)
        return (raw.get("story") or "") if raw else ""

    def form(self, step: int, post: QueryDict | None = None, quiet: bool = False) -> Form | BaseFormSet:
        """The screen's form: bound to this POST, else to what was typed before, else with suggestions.

        quiet: when showing earlier input again (going back, adding a row) its errors are not shown yet.
        """
        cls = FORMS[step]
        data = post if post is not None else self.raw(step)
        if step == 2 and data is not None:
            data = self._answer_questions(data)
        if data is not None:
            form = cls(data)
            return _silenced(form) if quiet else form
        if step == 4:
            # One row to start with, filled from the story when it tells of a contact; an untouched blank row is
            # skipped, and "还没联系过" removes a filled one, so "nobody yet" needs no typing.
            return ContactsAndEvidence(contact_initial=[self._contact_suggestion()])
        return cls(initial=self._suggestions(step))

    def _answer_questions(self, data: QueryDict | MultiValueDict) -> QueryDict | MultiValueDict:
        """The type step: answers to the classifier's questions (fields ``answer-<question id>``) are added to the
        earlier ones and the story classified again with them. When the answers settle the type and no type was
        picked from the list, the settled type is the choice; otherwise the next question is shown."""
        answers = dict(self.data.get("answers") or {})
        for key in data:
            if key.startswith(ANSWER_PREFIX) and data.get(key):
                answers[key[len(ANSWER_PREFIX) :]] = str(data.get(key))
        try:
            answers = parse_answers(answers)
        except ValueError:
            answers = {}  # a tampered form: start the questions again
        if answers != (self.data.get("answers") or {}):
            self.data["answers"] = answers
            result = classify(self.story, today=today_in_china(), answers=answers)
            self.data["classification"] = result.to_dict()
            self._save()
        c = self.classification or {}
        if answers and c.get("confident") and not data.get("problem_type"):
            data = data.copy()
            data["problem_type"] = c["type"]
        return data

    def _suggestions(self, step: int) -> dict[str, Any]:
        c = self.classification or {}
        if step == 2 and c.get("type") and c.get("confident", True):
            # when unsure the questions come first: nothing is pre-selected
            return {"problem_type": c["type"]}
        if step == 3 and c:
            x = c.get("extracted") or {}
            domain = c.get("platform_domain") or ""
            initial = {
                "platform_name": _platform_name(self.story, x.get("platform") or "", domain),
                "platform_domain": domain,
                "item": x.get("item"),  # the classifier's extraction ("100元的游戏点卡" → 游戏点卡)
                "order_no": x.get("order_no") or "",
                "amount": _plain_number(x.get("amount")),
                "paid_date": (x.get("dates") or [""])[0],
                "payment_method": x.get("payment_method") or "alipay",
            }
            return {k: v for k, v in initial.items() if v}
        return {}

    def _contact_suggestion(self) -> dict[str, Any]:
        """The story's contact with customer service, if it tells of one: its day, what was said, the outcome."""
        c = self.classification or {}
        story = self.story
        if not (c.get("cs_signals") or _CS_SAID.search(story)):
            return {}
        dates = (c.get("extracted") or {}).get("dates") or []
        said = _CS_SAID.search(story)
        row: dict[str, Any] = {"channel": "platform_cs"}
        if dates:
            row["at_date"] = dates[0]
        if said:
            row["answer"] = said.group(1)
        if any(w in story for w in ("拒绝", "不退", "不给退", "不处理", "不管")):
            row["response"] = "refused"
        elif any(w in story for w in ("不回复", "不理", "没人回", "拉黑")):
            row["response"] = "no_reply"
        return row

    # --- writing -------------------------------------------------------------------------------------------------

    def skip_contacts(self) -> None:
        """ "还没联系过": no contact rows; the evidence ticked on the same screen stays ticked."""
        raw = self.data["raw"].setdefault("4", {})
        for key in [k for k in raw if k.startswith(f"{CONTACTS_PREFIX}-")]:
            del raw[key]
        raw[f"{CONTACTS_PREFIX}-TOTAL_FORMS"] = ["0"]
        raw[f"{CONTACTS_PREFIX}-INITIAL_FORMS"] = ["0"]
        self._save()

    def remember(self, step: int, post: QueryDict) -> None:
        self.data["raw"][str(step)] = {k: post.getlist(k) for k in post if k not in _CONTROL}
        self._save()

    def add_row(self) -> None:
        raw = self.data["raw"].setdefault("4", {})
        key = f"{CONTACTS_PREFIX}-TOTAL_FORMS"
        total = int((raw.get(key) or ["0"])[0] or 0)
        raw[key] = [str(min(total + 1, 20))]
        raw.setdefault(f"{CONTACTS_PREFIX}-INITIAL_FORMS", ["0"])
        self._save()

    def complete(self, step: int, form: Form | BaseFormSet) -> None:
        if step == 1:
            story = form.cleaned_data["story"]
            self.data["classification"] = classify(story, today=today_in_china()).to_dict()
            self.data.pop("answers", None)  # a new story: its questions start again
            self._suggest_type()
        if step == 2:
            self.data["type_suggested"] = False  # chosen (or confirmed) on its own screen: kept from now on
        if step == 4:
            kinds = self.data["raw"]["4"].get("kinds") or []
            self.data["raw"]["4"] = {**_kept_rows(form.contacts), "kinds": kinds}
        if step not in self.data["done"]:
            self.data["done"].append(step)
        self._save()

    def _suggest_type(self) -> None:
        """A confident classification takes the type step for them (its screen stays one tap away); an unsure one,
        or "other", leaves it open. A type they picked themselves is never replaced by a suggestion."""
        if self.raw(2) is not None and not self.type_was_suggested:
            return
        c = self.classification or {}
        if c.get("confident") and c.get("type") in TYPES:
            self.data["raw"]["2"] = {"problem_type": [c["type"]]}
            self.data["type_suggested"] = True
            if 2 not in self.data["done"]:
                self.data["done"].append(2)
        elif self.type_was_suggested:  # the new story is unclear: the old suggestion goes, the questions come
            self.data["raw"].pop("2", None)
            self.data["type_suggested"] = False
            self.data["done"] = [s for s in self.data["done"] if s != 2]

    def next_step(self, step: int) -> int:
        """Where "下一步" leads: the next step not taken for them."""
        if step == 1 and self.type_was_suggested:
            return 3
        return step + 1

    def previous_step(self, step: int) -> int:
        """Where "上一步" leads: past a type step taken for them, back to the story (step 3 shows the type)."""
        if step == 3 and self.type_was_suggested:
            return 1
        return max(step - 1, 1)

    def mark_pending(self) -> None:
        self.data["pending"] = True
        self._save()

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)

    # --- the case ------------------------------------------------------------------------------------------------

    def _valid(self, step: int) -> Any:
        form = self.form(step)
        if self.raw(step) is None or not form.is_valid():
            raise StepInvalid(step)
        return form

    def case_file(self) -> dict[str, Any]:
        """The case file (docs/case-file.md) of the four steps; StepInvalid names a screen to fix first."""
        story = self._valid(1).cleaned_data["story"]
        problem_type = self._valid(2).cleaned_data["problem_type"]
        d = self._valid(3).cleaned_data
        last = self._valid(4)
        contacts = [
            f.to_case_file()
            for f in last.contacts.forms
            if f.has_changed() and f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        kinds = last.evidence.cleaned_data["kinds"]
        data = {
            "description": story,
            "problem_type": problem_type,  # "other" sticks: the planner does not re-guess a rejected type
            "amount": str(d["amount"]),
            # a day without a time stays a day (paid_at_time_known False), never an invented 12:00
            "paid_at": china_datetime(d["paid_date"], d["paid_time"]).isoformat()
            if d.get("paid_time")
            else d["paid_date"].isoformat(),
            "order_no": d.get("order_no") or None,
            "item": d.get("item") or None,
            "payment_method": d["payment_method"],
            "province": d.get("province") or None,
            "platform": {
                "name": d.get("platform_name") or None,
                "domain": d.get("platform_domain") or None,
                "reachable": d["platform_reachable"] == "yes",
                "merchant_name": d.get("platform_merchant_name") or None,
            },
            "contacts": contacts,
            "evidence": [{"kind": k, "description": str(_("向导中勾选：我手上有这份材料"))} for k in kinds],
        }
        return {k: v for k, v in data.items() if v is not None}

    def create_case(self, owner: Any) -> Case:
        """Stores the case (raises StepInvalid or CaseFileError) and forgets the draft."""
        case = Case.create_from_case_file(owner, self.case_file())
        self.clear()
        return case

    def context(self, step: int, form: Any, show_errors: bool) -> dict[str, Any]:
        ctx: dict[str, Any] = {
            "step": step,
            "last": LAST,
            "steps": [(n, SHORT[n]) for n in range(1, LAST + 1)],
            "title": TITLES[step],
            "form": form,
            "show_errors": show_errors,
            "done": self.data["done"],
        }
        if step == 2:
            c = self.classification or {}
            candidates = c.get("candidates") or []
            confident = c.get("confident", True)
            ctx.update(
                story=self.story,
                suggested=c.get("type"),
                suggested_label=c.get("label"),
                # the words behind a suggestion; when unsure there is none to explain yet
                signals=_shown_signals(candidates[0]["signals"]) if confident and candidates else [],
                cs_signals=c.get("cs_signals") or [],
                descriptions=type_descriptions(),
                confident=confident,
                questions=[{**q, "field": ANSWER_PREFIX + q["id"]} for q in (c.get("questions") or [])],
                answered=self._answered(),
            )
            if ctx["questions"] and any(k.startswith(ANSWER_PREFIX) for k in getattr(form, "data", {})):
                ctx["show_errors"] = False  # an answer that leads to the next question is no mistake
        if step == 3:
            c = self.classification or {}
            raw = self.raw(2)
            ptype = raw.get("problem_type") if raw else None
            labels = dict(TypeForm.base_fields["problem_type"].choices)  # type: ignore[attr-defined]
            candidates = c.get("candidates") or []
            ctx["problem_type_label"] = labels.get(ptype or "")
            # the words behind a suggestion taken for them, so they can tell at a glance whether it fits
            ctx["type_signals"] = (
                _shown_signals(candidates[0]["signals"])[:2]
                if self.type_was_suggested and candidates and candidates[0].get("type") == ptype
                else []
            )
        if step == 4:
            field = form.evidence["kinds"]
            options = list(field)
            ctx["evidence_groups"] = [
                (label, [o for o in options if o.data["value"] in {k for k, _l in kinds}])
                for label, kinds in field.field.choices
            ]
            ctx["key_kinds"] = self._key_kinds()
        return ctx

    def _answered(self) -> list[tuple[str, str]]:
        """(question, answer) texts of the answers given so far, in the order they were asked."""
        t = question_tree()
        out = []
        for qid, aid in (self.data.get("answers") or {}).items():
            q = t.questions.get(qid)
            a = q.answer(aid) if q else None
            if q and a:
                out.append((q.text, a.text))
        return out

    def _key_kinds(self) -> set[str]:
        """Evidence kinds that prove a fact the chosen problem type must establish."""
        raw = self.raw(2)
        ptype = raw.get("problem_type") if raw else None
        if ptype not in TYPES:
            return set()
        facts = load("evidence")["facts"]
        return {k for fid in TYPES[ptype].must_prove for k in facts[fid]["proven_by"]}


def _shown_signals(signals: list[str]) -> list[str]:
    """The phrases highlighted in the story: the longer ones (a phrase says more than a two-character fragment such
    as 买了); the short ones only when nothing longer explains the suggestion."""
    long = [s for s in signals if len(s) >= 4]
    return long or signals


def _silenced(form: Any) -> Any:
    # Validate once, then drop the messages: the values are shown as typed, the errors only after "下一步".
    if isinstance(form, ContactsAndEvidence):
        _silenced(form.contacts)
        _silenced(form.evidence)
        return form
    forms = form.forms if isinstance(form, BaseFormSet) else [form]
    for f in forms:
        f.full_clean()
        f._errors = ErrorDict()
    if isinstance(form, BaseFormSet):
        form._errors = [ErrorDict() for _f in forms]
        form._non_form_errors = form.error_class(error_class="nonform", renderer=form.renderer)
    return form


# "客服说概不退换，…" / "客服回复：卡密发出后概不退换。" — what customer service said, up to the clause's end.
_CS_SAID = re.compile(
    r"客服(?:一直|只)?(?:说|称|回复|答复|表示|回)(?:[:：]\s*)?[“\"「]?([^，。,；;！!？?”\"」\n]{2,40})"
)


def _platform_name(story: str, extracted: str, domain: str) -> str:
    """The platform's name; when the classifier found only a domain, the name written before it, as in
    "某某卡盟(kameng-example.com)"."""
    if extracted and extracted != domain:
        return extracted
    if domain:
        m = re.search(
            r"([\u4e00-\u9fffA-Za-z0-9]{2,20})\s*[（(]\s*(?:https?://)?(?:www\.)?" + re.escape(domain), story
        )
        if m:
            name = re.sub(r"^.*?(?:在|从|去|上|到)(?=.{2,})", "", m.group(1))
            return name
    return extracted if extracted != domain else ""


def _plain_number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _kept_rows(formset: BaseFormSet) -> dict[str, list[str]]:
    """The contact rows worth keeping (filled in, not deleted), renumbered, as raw form data."""
    kept = [f for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]
    raw: dict[str, list[str]] = {
        f"{CONTACTS_PREFIX}-TOTAL_FORMS": [str(len(kept))],
        f"{CONTACTS_PREFIX}-INITIAL_FORMS": ["0"],
    }
    for i, form in enumerate(kept):
        for name in form.fields:
            if name == "DELETE":
                continue
            raw[f"{CONTACTS_PREFIX}-{i}-{name}"] = form.data.getlist(form.add_prefix(name))
    return raw


def has_pending(session: SessionBase) -> bool:
    return bool((session.get(SESSION_KEY) or {}).get("pending"))


def save_pending(request: HttpRequest) -> str | None:
    """After sign-up or log-in: store the case the visitor finished before having an account; its page's URL."""
    if not has_pending(request.session):
        return None
    draft = Draft(request.session)
    try:
        case = draft.create_case(request.user)
    except StepInvalid as exc:
        return reverse("wizard", args=[exc.step])
    except CaseFileError:
        return reverse("wizard", args=[LAST])
    messages.success(request, _("案件已保存。下面是你的维权计划，先做最上面那一步。"))
    return reverse("case_detail", args=[case.public_id])
