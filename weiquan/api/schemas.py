"""Request and response shapes of the JSON API. Contacts are validated by the domain's own model
(weiquan.domain.facts.Contact), and a new case by the case-file parser, so API, CLI and web agree."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

from django.urls import reverse
from ninja import Field, Schema
from pydantic import StrictBool, field_validator

from weiquan.cases.models import Case, Contact
from weiquan.domain.facts import ChannelId, EvidenceKind, Response
from weiquan.evidence.models import Evidence


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("含有空字符（\\0），请删除后重试")
    return value


class Credentials(Schema):
    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=1024)

    _nul = field_validator("username", "password", mode="before")(_no_nul)


class SignupOut(Schema):
    id: int
    username: str
    token: str


class TokenOut(Schema):
    token: str


class CaseSummary(Schema):
    id: uuid.UUID
    url: str
    plan_url: str
    status: str
    created_at: dt.datetime
    platform: str
    amount: str
    problem_type: str
    next_reminder_at: dt.datetime | None

    @staticmethod
    def resolve_id(case: Case) -> uuid.UUID:
        return case.public_id

    @staticmethod
    def resolve_url(case: Case) -> str:
        return reverse("api:case_detail", kwargs={"case_id": case.public_id})

    @staticmethod
    def resolve_plan_url(case: Case) -> str:
        return reverse("api:case_plan", kwargs={"case_id": case.public_id})

    @staticmethod
    def resolve_platform(case: Case) -> str:
        return case.platform_label

    @staticmethod
    def resolve_amount(case: Case) -> str:
        return f"{case.amount:.2f}"


class CaseCreated(CaseSummary):
    next_action: dict[str, Any]

    @staticmethod
    def resolve_next_action(case: Case) -> dict[str, Any]:
        # computed by the view inside its transaction; a case read elsewhere is planned here
        return dict(getattr(case, "next_action", None) or case.plan().to_dict()["next_action"])


def case_detail(case: Case) -> dict[str, Any]:
    """The case-file JSON as the CLI takes it, with the fields only the server knows."""
    return {
        "id": str(case.public_id),
        **case.to_case_file(),
        "status": case.status,
        "created_at": case.created_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "outcome_channel": case.outcome_channel or None,
        "recovered_amount": None if case.recovered_amount is None else f"{case.recovered_amount:.2f}",
        "plan_url": reverse("api:case_plan", kwargs={"case_id": case.public_id}),
    }


class ContactOut(Schema):
    id: uuid.UUID
    at: dt.datetime
    channel: str
    asked: str | None
    promise: str | None
    promise_by: dt.datetime | None
    response: str
    answer: str | None
    reference: str | None
    served_at: dt.datetime | None

    @staticmethod
    def resolve_id(contact: Contact) -> uuid.UUID:
        return contact.public_id


class EventOut(Schema):
    event: ContactOut
    next_action: dict[str, Any]


class CorrectionOut(EventOut):
    pass


class ContactCorrection(Schema):
    """The fields to correct; the others keep their recorded values. null clears an optional field."""

    at: dt.datetime | None = None
    at_time_known: StrictBool | None = None
    channel: ChannelId | None = None
    asked: str | None = None
    promise: str | None = None
    promise_by: dt.datetime | None = None
    response: Response | None = None
    answer: str | None = None
    reference: str | None = None
    served_at: dt.datetime | None = None
    agreed_amount: Decimal | None = None

    model_config = {"extra": "forbid"}


Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class CloseIn(Schema):
    outcome_channel: ChannelId | None = Field(None, description="在哪个渠道解决的；没有解决就不填")
    recovered_amount: Money | None = Field(None, description="追回金额（元）")


class CloseOut(Schema):
    id: uuid.UUID
    status: str
    closed_at: dt.datetime | None
    outcome_channel: str | None
    recovered_amount: str | None
    days_taken: int | None

    @staticmethod
    def resolve_id(case: Case) -> uuid.UUID:
        return case.public_id

    @staticmethod
    def resolve_outcome_channel(case: Case) -> str | None:
        return case.outcome_channel or None

    @staticmethod
    def resolve_recovered_amount(case: Case) -> str | None:
        return None if case.recovered_amount is None else f"{case.recovered_amount:.2f}"


class EvidenceOut(Schema):
    id: uuid.UUID
    kind: EvidenceKind
    description: str
    sha256: str
    size: int | None
    original_name: str
    content_type: str
    received_at: dt.datetime
    exif_taken_at: dt.datetime | None

    @staticmethod
    def resolve_id(evidence: Evidence) -> uuid.UUID:
        return evidence.public_id
