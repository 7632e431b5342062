"""Telling the consumer what the platform answered (issue 13): one e-mail per public reply or progress change.

Sent after the commit that recorded the answer (SMTP may be slow, and a rolled-back reply must not be announced).
A failure is logged, never raised into the platform's request: the answer is already on the consumer's case page.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from weiquan.cases.models import Case
from weiquan.cases.reminders import case_url, send_email
from weiquan.cases.views import for_consumer
from weiquan.domain.escalation import DISCLAIMER
from weiquan.domain.platform_answer import Answer
from weiquan.public.models import PublicComplaint

logger = logging.getLogger(__name__)


def answer_context(case: Case, complaint: PublicComplaint, answer: Answer) -> dict[str, Any]:
    next_action = for_consumer(case.plan().to_dict()["next_action"])
    return {
        "platform": case.platform_label,
        "amount": f"{Decimal(case.amount):.2f}",
        "answer": answer,
        "words": answer.answer,
        "refused": answer.response == "refused",
        "claims_resolved": answer.claims_resolved,
        "next_action": next_action,
        "case_url": case_url(case),
        "confirm_url": case_url(case) + "#platform-says",
        "public_url": case_url(case).split("/cases/")[0] + f"/complaints/{complaint.public_id}/",
        "disclaimer": DISCLAIMER,
    }


def tell_consumer(case: Case, context: dict[str, Any]) -> bool:
    """E-mail the case's owner what the platform said; False when there is nobody to write to or sending failed."""
    to = case.owner.email
    if not to:
        return False
    try:
        send_email("platform_answer", to, context)
    except Exception:
        logger.exception("platform-answer e-mail for case %s failed", case.public_id)
        return False
    logger.info("platform-answer e-mail sent for case %s", case.public_id)
    return True
