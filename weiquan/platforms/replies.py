"""A platform's public replies and handling progress: one function per change.

The portal, the merchant API and the signed inbound endpoint all call these, so the rules hold everywhere:
replies are append-only and masked like the story; the first platform reply stamps ``first_reply_at`` once (a
conditional UPDATE, so two replies racing cannot both count as first); a platform's "已解决" is only its own claim —
a complaint counts as resolved when its consumer says so (``weiquan.public.services.confirm``). Each change is also
written to the consumer's case log, so their history (and evidence bundle) shows what the platform answered, and
when. There is deliberately no function that deletes, edits or hides a complaint or a reply.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weiquan.cases.models import Case
from weiquan.domain.masking import mask
from weiquan.domain.platform_answer import Answer, read_progress, read_reply
from weiquan.platforms import stats
from weiquan.public.models import ComplaintReply, PublicComplaint
from weiquan.public.services import known_values

MAX_TEXT = 2000
STANDARD_REPLIES = {k: v for k, v in ComplaintReply.STANDARD if k}
# "" (未受理) is where every complaint starts; a platform moves it on, never back to "not seen".
PROGRESS_STEPS = {
    "accepted": gettext_lazy("已受理"),
    "processing": gettext_lazy("处理中"),
    "resolved": gettext_lazy("已解决"),
}


logger = logging.getLogger(__name__)


class ReplyError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- masking -----------------------------------------------------------------------------------------------------


def mask_reply(complaint: PublicComplaint, text: str) -> str:
    """Masked like the story, with the case's own values (a platform may echo "张三您好，订单 KM2026… 已退款")."""
    return mask(text, known=known_values(complaint.case) if complaint.case is not None else ())


def _log(
    complaint: PublicComplaint, kind: str, payload: dict[str, Any], answer: Answer | None = None
) -> None:
    """Append to the consumer's case log (which also moves log_head, so their cached case page is redrawn).

    No actor: the representative's account is nobody's business in the consumer's history or evidence bundle.
    With ``answer``, the platform's words also count on the consumer's ladder: an open case gets a contact with
    the platform's customer service at the time of the reply (a refusal moves the plan to 12315, a promise gets
    its deadline), through ``Case.add_contact``, and the consumer is e-mailed after the commit.
    """
    case: Case | None = complaint.case
    if case is None:
        return
    if answer is not None and case.status == "open":
        contact = case.add_contact(
            None,
            at=timezone.now(),
            channel="platform_cs",
            response=answer.response,
            promise=answer.promise,
            answer=answer.answer,
        )
        payload = {**payload, "contact": str(contact.public_id), "claims_resolved": answer.claims_resolved}
        logger.info(
            "platform answer on case %s recorded as %s (complaint %s)",
            case.public_id,
            answer.response,
            complaint.public_id,
        )
    case.log(kind, {"complaint": str(complaint.public_id), **payload})
    if answer is not None:
        from weiquan.platforms.notify import answer_context, tell_consumer

        # The e-mail says what this answer did to the plan, computed now; it is sent once the change is committed.
        context = answer_context(case, complaint, answer)
        transaction.on_commit(lambda: tell_consumer(case, context))


# --- the platform's side ------------------------------------------------------------------------------------------


def add_reply(
    complaint: PublicComplaint, *, standard: str = "", text: str = "", user: Any = None
) -> ComplaintReply:
    """Append a public reply of the platform (masked); the first one stamps first_reply_at and tells the stats."""
    text = (text or "").strip()
    standard = standard or ""
    if standard not in STANDARD_REPLIES and standard != "":
        raise ReplyError(
            _("标准回复只能是：%(list)s") % {"list": "、".join(map(str, STANDARD_REPLIES.values()))}
        )
    if not standard and not text:
        raise ReplyError(_("请写回复内容，或选择一个标准回复（已退款、已补发、需要更多信息）"))
    if len(text) > MAX_TEXT:
        raise ReplyError(_("回复太长（最多 %(n)s 个字）") % {"n": MAX_TEXT})
    if complaint.status != "published":
        raise ReplyError(_("这条投诉目前没有公开，不能回复"))
    masked = mask_reply(complaint, text)
    now = timezone.now()
    with transaction.atomic():
        reply = ComplaintReply.objects.create(
            complaint=complaint, author="platform", user=user, standard=standard, text=masked, created_at=now
        )
        first = PublicComplaint.objects.filter(pk=complaint.pk, first_reply_at__isnull=True).update(
            first_reply_at=now
        )
        if first:
            complaint.first_reply_at = now
            stats.on_first_reply(complaint, now)
        else:
            stats.on_later_reply(complaint)
        _log(
            complaint,
            "platform_reply",
            {"standard": standard, "text": masked},
            read_reply(standard, masked, now),
        )
    return reply


def set_progress(complaint: PublicComplaint, progress: str) -> PublicComplaint:
    """The platform's own account of where it is. "resolved" here never counts as resolved in the statistics."""
    if progress not in PROGRESS_STEPS:
        raise ReplyError(_("处理进度只能是：已受理、处理中、已解决"))
    if complaint.status != "published":
        raise ReplyError(_("这条投诉目前没有公开，不能更新进度"))
    with transaction.atomic():
        changed = (
            PublicComplaint.objects.filter(pk=complaint.pk)
            .exclude(progress=progress)
            .update(progress=progress)
        )
        complaint.progress = progress
        # Only a change is news for the consumer's ladder (a platform re-sending "处理中" is not another answer).
        _log(
            complaint,
            "platform_progress",
            {"progress": progress},
            read_progress(progress) if changed else None,
        )
    return complaint


# --- what the consumer's case shows ------------------------------------------------------------------------------


def answers_for_case(case: Case) -> list[dict[str, Any]]:
    """The platform's public replies and progress changes on this case, oldest first, as the API lists them.

    Read from the case log (the platform's words as published: masked), with the response each counted as on
    the consumer's ladder ("refused", "promised" …) when it was recorded as a contact.
    """
    responses = dict(case.contacts.values_list("public_id", "response"))
    out: list[dict[str, Any]] = []
    for e in case.events.filter(kind__in=("platform_reply", "platform_progress")).only(
        "at", "kind", "payload"
    ):
        p = e.payload
        contact = p.get("contact")
        out.append(
            {
                "at": e.at.isoformat(),
                "kind": "reply" if e.kind == "platform_reply" else "progress",
                "standard": p.get("standard") or None,
                "text": p.get("text") or None,
                "progress": p.get("progress") or None,
                "counted_as": next((r for k, r in responses.items() if str(k) == contact), None),
                "claims_resolved": bool(p.get("claims_resolved")),
            }
        )
    return out
