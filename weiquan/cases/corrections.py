"""Correcting a recorded contact (issue 12): a typo in its date or promise must not break the case for good.

The contact row takes the corrected values through ``Case.correct_contact``, the model method the API uses too;
the case log keeps the old and the new values as a new "contact_corrected" entry, so the log stays append-only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from weiquan.cases.forms import ContactForm
from weiquan.cases.models import Case, Contact, case_for_owner
from weiquan.domain.facts import CHINA_TZ, CaseFileError


def _contact_of(case: Case, contact_id: UUID) -> Contact:
    contact = case.contacts.filter(public_id=contact_id).first()
    if contact is None:
        raise Http404(_("联系记录不存在"))
    return contact


def _initial(contact: Contact) -> dict[str, Any]:
    def day(value: dt.datetime | None) -> dt.date | None:
        return value.astimezone(CHINA_TZ).date() if value else None

    at = contact.at.astimezone(CHINA_TZ)
    return {
        "at_date": day(contact.at),
        "at_time": at.time().replace(second=0, microsecond=0) if contact.at_time_known else None,
        "channel": contact.channel,
        "asked": contact.asked or "",
        "response": contact.response,
        "promise": contact.promise or "",
        "promise_by": day(contact.promise_by),
        "answer": contact.answer or "",
        "reference": contact.reference or "",
    }


def _changes(form: ContactForm) -> dict[str, Any]:
    """Every field the form shows, an emptied one as null: a correction may also remove a wrong promise."""
    row = form.to_case_file()
    changes = {name: row.get(name) for name in ("at", "channel", "asked", "promise", "promise_by")}
    changes.update({name: row.get(name) for name in ("response", "answer", "reference")})
    changes["at_time_known"] = form.cleaned_data.get("at_time") is not None
    return changes


@login_required
def correct_contact(request: HttpRequest, public_id: UUID, contact_id: UUID) -> HttpResponse:
    case = case_for_owner(request.user, public_id)
    contact = _contact_of(case, contact_id)
    if request.method == "POST":
        form = ContactForm(request.POST, initial=_initial(contact))
        if form.is_valid():
            try:
                case.correct_contact(request.user, contact.public_id, **_changes(form))
            except CaseFileError as exc:
                for _path, message in exc.problems:
                    form.add_error(None, message)
            else:
                messages.success(request, _("已更正。原来的记录保留在案件日志里，计划已按更正后的内容重算。"))
                return redirect(reverse("case_detail", args=[case.public_id]) + "#history")
        status = 400
    else:
        form = ContactForm(initial=_initial(contact))
        status = 200
    problems = [c["message"] for c in case.corrections_needed() if c["contact"] == str(contact.public_id)]
    context = {"case": case, "contact": contact, "form": form, "problems": problems}
    return render(request, "cases/correct_contact.html", context, status=status)
