"""Publishing a case as a public complaint, moderation, withdrawal, the consumer's confirmation, collective complaints.

Publishing is opt-in and stores a masked copy of the case's story made at that moment (``masked_copy``: the same
function draws the preview the consumer sees before submitting). Public pages read only that copy. Every change here
happens in one transaction that also writes the case log and, when a complaint enters or leaves the public record,
updates the platform's statistics row (``weiquan.platforms.stats``).

A platform has no way to remove a complaint: nothing here takes a platform representative, and the admin cannot
delete. Only the consumer withdraws; the text goes, the anonymous count stays.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from weiquan.cases.models import PROBLEM_TYPES, Case
from weiquan.domain.facts import CaseFileError
from weiquan.domain.masking import mask, names_in, personal_values
from weiquan.domain.taxonomy import TYPES, demand_label
from weiquan.platforms import stats
from weiquan.platforms.linking import link_case as registry_link
from weiquan.platforms.linking import name_key as registry_key
from weiquan.platforms.models import Platform, PlatformAlias
from weiquan.platforms.validation import domain_or_none
from weiquan.public.models import CollectiveComplaint, PublicComplaint, PublicComplaintQuerySet
from weiquan.public.signals import complaint_published

PSEUDONYM_MAX = PublicComplaint._meta.get_field("pseudonym").max_length or 32
TITLE_MAX = PublicComplaint._meta.get_field("title").max_length or 60
PER_PAGE = 20
MAX_PAGE = 1000  # deeper than this, the CSV export is the tool (OFFSET grows with the page number)


class PublishError(Exception):
    """A refused change, with the message to show the consumer (or the moderator)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message, self.status = message, status  # status: what the API answers (409: wrong state)


# --- the platform registry and its statistics --------------------------------------------------------------------


def domain_key(value: str) -> str | None:
    """A domain as the registry stores it (example.com from "https://www.Example.com/x"), or None."""
    return domain_or_none(value)


def name_key(value: str) -> str:
    """A platform or merchant name as the registry matches it (case, width, spaces, punctuation folded)."""
    return registry_key(value)


def link_case(case: Case) -> Platform | None:
    return registry_link(case)


# --- the masked copy --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaskedCopy:
    """Exactly what a public page will show of the case (the preview, and what ``publish`` stores)."""

    pseudonym: str
    title: str
    story: str
    demands: str
    problem_type: str
    problem_label: str
    amount: Decimal
    payment_backed: bool
    platform_label: str


def known_values(case: Case) -> list[str]:
    """The personal values of the case (its fields and the names in its story): masked wherever they appear."""
    try:
        return personal_values(case.facts())
    except CaseFileError:
        # A row the case-file rules no longer accept still has its fields and story.
        values = [case.consumer_name, case.consumer_phone, case.consumer_email, case.consumer_address]
        values += [case.consumer_id_number, case.order_no, *names_in(case.description)]
        values += [c.reference or "" for c in case.contacts.all()]
        return [v for v in values if v]


def default_pseudonym(case: Case) -> str:
    # Stable for a case (the preview and the stored copy agree) and not reversible to the case's id.
    digest = hashlib.sha256(f"pseudonym:{case.public_id}".encode()).hexdigest()
    return _("消费者%(n)s") % {"n": int(digest[:8], 16) % 9000 + 1000}


def default_title(case: Case) -> str:
    label = dict(PROBLEM_TYPES).get(case.problem_type, "") or _("消费纠纷")
    amount = f"{case.amount:f}"
    amount = amount.rstrip("0").rstrip(".") if "." in amount else amount
    return f"{case.platform_label}：{label}（{amount}元）"[:TITLE_MAX]


def masked_copy(case: Case, *, pseudonym: str | None = None, title: str | None = None) -> MaskedCopy:
    known = known_values(case)
    pseudonym = (pseudonym or "").strip() or default_pseudonym(case)
    if mask(pseudonym, known=known) != pseudonym:
        raise PublishError(_("化名里不要写真实姓名、电话、QQ、微信等个人信息，换一个化名吧。"))
    title = mask((title or "").strip() or default_title(case), known=known)[:TITLE_MAX]
    demand_ids = list(case.demands or ()) or list(
        TYPES[case.problem_type].demands if case.problem_type in TYPES else ()
    )
    return MaskedCopy(
        pseudonym=pseudonym[:PSEUDONYM_MAX],
        title=title,
        story=mask(case.description, known=known),
        demands=mask("、".join(demand_label(d) for d in demand_ids), known=known)[:200],
        problem_type=case.problem_type,
        problem_label=dict(PROBLEM_TYPES).get(case.problem_type, ""),
        amount=case.amount,
        payment_backed=case.evidence.filter(kind="payment_record").exists(),
        platform_label=mask(case.platform_label, known=known),
    )


# --- publish, moderate, withdraw, confirm ------------------------------------------------------------------------


def publish(
    case: Case, actor: Any, *, pseudonym: str | None = None, title: str | None = None
) -> PublicComplaint:
    """Submit the case's masked copy for moderation (status "pending"); nothing is public until approved.

    A complaint that was rejected can be submitted again (same row, new copy); one that is pending, published or
    withdrawn cannot (a withdrawal is final: the statistics already count it once).
    """
    with transaction.atomic():
        # Lock the case: two clicks on "submit" must not create two complaints.
        Case.objects.select_for_update().filter(pk=case.pk).first()
        existing = PublicComplaint.objects.filter(case=case).first()
        if existing is not None and existing.status != "rejected":
            raise PublishError(
                _("这个案件已经提交过公开投诉（%(status)s）。") % {"status": existing.get_status_display()},
                409,
            )
        platform = link_case(case)
        if platform is None:
            raise PublishError(_("案件里还没有平台名称或网址，无法公开投诉。请先在案件里补上平台信息。"))
        copy = masked_copy(case, pseudonym=pseudonym, title=title)
        complaint = existing or PublicComplaint(case=case)
        complaint.platform = platform
        complaint.pseudonym, complaint.title, complaint.story = copy.pseudonym, copy.title, copy.story
        complaint.demands, complaint.problem_type, complaint.amount = (
            copy.demands,
            copy.problem_type,
            copy.amount,
        )
        complaint.payment_backed = copy.payment_backed
        complaint.status, complaint.submitted_at = "pending", timezone.now()
        complaint.moderated_at, complaint.moderated_by, complaint.moderation_note = None, None, ""
        complaint.save()
        case.log(
            "public_submitted",
            {"complaint": str(complaint.public_id), "pseudonym": copy.pseudonym, "title": copy.title},
            actor,
        )
    return complaint


def moderate(
    complaint: PublicComplaint, approve: bool, moderator: Any = None, note: str = ""
) -> PublicComplaint:
    """Approve a pending complaint (published: counted in the platform's statistics, ``complaint_published`` sent
    after commit) or reject it. Rejecting a published one takes it down again (a masking miss found later)."""
    with transaction.atomic():
        c = PublicComplaint.objects.select_for_update().get(pk=complaint.pk)
        taking_down = c.status == "published" and not approve
        if c.status != "pending" and not taking_down:
            raise PublishError(
                _("只能审核待审核的投诉（这条是“%(status)s”）。") % {"status": c.get_status_display()}, 409
            )
        now = timezone.now()
        c.moderated_at, c.moderation_note = now, (note or "")[:300]
        c.moderated_by = moderator if getattr(moderator, "pk", None) else None
        c.status = "published" if approve else "rejected"
        if approve:
            c.published_at = now
        c.save()
        if approve:
            stats.on_published(c)
            transaction.on_commit(lambda: complaint_published.send(sender=PublicComplaint, complaint=c))
        elif taking_down:
            stats.on_unpublished(c)
        if c.case_id is not None:
            c.case.log(
                "public_approved" if approve else "public_rejected",
                {"complaint": str(c.public_id), "note": c.moderation_note},
                moderator,
            )
    return c


def _owned(complaint: PublicComplaint, actor: Any) -> PublicComplaint:
    # Views load the case with case_for_owner first; this is the same rule once more for any other caller.
    c = PublicComplaint.objects.select_for_update(of=("self",)).select_related("case").get(pk=complaint.pk)
    if c.case is None or c.case.owner_id != getattr(actor, "pk", None):
        raise PermissionDenied
    return c


def withdraw(complaint: PublicComplaint, actor: Any) -> PublicComplaint:
    """The consumer takes the complaint out of public view: its text is erased, the anonymous count stays."""
    with transaction.atomic():
        c = _owned(complaint, actor)
        if c.status not in ("pending", "published"):
            raise PublishError(
                _("这条投诉现在是“%(status)s”，不能撤回。") % {"status": c.get_status_display()}, 409
            )
        was_published = c.status == "published"
        c.status, c.withdrawn_at = "withdrawn", timezone.now()
        c.pseudonym = c.title = c.story = c.demands = ""
        c.save()
        if was_published:
            stats.on_withdrawn(c)
        c.case.log("public_withdrawn", {"complaint": str(c.public_id), "was_published": was_published}, actor)
    return c


# The one-tap answers to "did the platform resolve it?": what the case history says, and whether money came back.
OUTCOMES = {"refunded": "已退款", "reissued": "已补发", "resolved": "已解决"}


def confirm(
    complaint: PublicComplaint,
    actor: Any,
    *,
    confirmed: bool,
    rating: int | None = None,
    outcome: str | None = None,
) -> PublicComplaint:
    """The consumer says whether the platform really resolved it: only this counts as resolved.

    The case follows the answer (issue 13): "解决了" (已退款 / 已补发) records the platform's customer service as
    resolved and closes the case — the reminders stop, the plan sends nobody to 12315 or 黑猫 any more; "没有解决"
    records that the platform did not resolve it, so the ladder moves on. A closed case only keeps the answer.
    """
    if rating is not None and not 1 <= rating <= 5:
        raise PublishError(_("评分是 1 到 5 分。"))
    if outcome is not None and outcome not in OUTCOMES:
        raise PublishError(_("处理结果只能是：已退款、已补发、已解决。"))
    with transaction.atomic():
        c = _owned(complaint, actor)
        if c.status != "published":
            raise PublishError(_("投诉公开后才能确认处理结果。"))
        previous = c.consumer_confirmed
        c.consumer_confirmed, c.consumer_rating = confirmed, rating
        c.save(update_fields=["consumer_confirmed", "consumer_rating"])
        if previous != confirmed:
            stats.on_confirmed(c, confirmed, previous)
        case = c.case
        c.case.log(
            "public_confirmed",
            {"complaint": str(c.public_id), "confirmed": confirmed, "rating": rating, "outcome": outcome},
            actor,
        )
        if case.status == "open":
            now = timezone.now()
            if confirmed:
                words = OUTCOMES[outcome or "resolved"]
                case.add_contact(
                    actor,
                    at=now,
                    channel="platform_cs",
                    response="resolved",
                    answer=_("你确认：%(w)s") % {"w": words},
                )
                recovered = case.amount if outcome == "refunded" else None
                case.close(actor, outcome_channel="platform_cs", recovered_amount=recovered)
            else:
                case.add_contact(
                    actor, at=now, channel="platform_cs", response="failed", answer=_("你确认：平台没有解决")
                )
    return c


# --- collective complaints ------------------------------------------------------------------------------------------


def create_collective(
    complaint: PublicComplaint, actor: Any, *, title: str, description: str = "", event_date: Any = None
) -> CollectiveComplaint:
    """A 集体投诉 about one event of the complaint's platform (a 跑路, say), with the complaint as first member."""
    known = known_values(complaint.case) if complaint.case else []
    with transaction.atomic():
        collective = CollectiveComplaint.objects.create(
            platform=complaint.platform,
            title=mask(title.strip(), known=known)[:100],
            description=mask(description.strip(), known=known),
            event_date=event_date,
        )
        join_collective(complaint, collective, actor)
    return collective


def join_collective(
    complaint: PublicComplaint, collective: CollectiveComplaint, actor: Any = None
) -> PublicComplaint:
    with transaction.atomic():
        c = (
            _owned(complaint, actor)
            if actor is not None
            else PublicComplaint.objects.select_for_update().get(pk=complaint.pk)
        )
        if c.status not in ("pending", "published"):
            raise PublishError(_("只有已提交或已公开的投诉可以加入集体投诉。"))
        if collective.platform.active.pk != c.platform.active.pk:
            raise PublishError(_("这个集体投诉针对的是另一个平台。"))
        c.collective = collective
        c.save(update_fields=["collective"])
        if c.case_id is not None:
            c.case.log(
                "public_collective_joined",
                {"complaint": str(c.public_id), "collective": str(collective.public_id)},
                actor,
            )
    return c


def public_collectives(platform: Platform | None = None) -> QuerySet[CollectiveComplaint]:
    """Collective complaints with at least one published member (a collective is public through its members)."""
    published = PublicComplaint.objects.visible().filter(collective=OuterRef("pk"))
    qs = (
        CollectiveComplaint.objects.select_related("platform")
        .filter(Exists(published))
        .annotate(member_count=Count("members", filter=Q(members__status="published")))
        .order_by("-created_at")
    )
    return qs.filter(platform_id__in=platform_family_ids(platform)) if platform else qs


# --- reading ---------------------------------------------------------------------------------------------------------


def resolve_platform(value: str | None) -> Platform | None:
    """A platform from its public id, a domain (any URL form) or a name; merged platforms answer as their target."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        platform = Platform.objects.filter(public_id=uuid.UUID(value)).first()
    except ValueError:
        keys = Q(kind__in=("name", "merchant"), value=name_key(value))
        domain = domain_key(value) if "." in value or "。" in value else None
        if domain:
            keys |= Q(kind="domain", value=domain)
        alias = PlatformAlias.objects.select_related("platform").filter(keys).order_by("kind").first()
        platform = alias.platform if alias else None
    return platform.active if platform else None


def platform_family_ids(platform: Platform) -> list[int]:
    """The platform and every platform merged into it (their complaints are its complaints)."""
    ids, frontier = [platform.pk], [platform.pk]
    while frontier:
        frontier = list(Platform.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


def for_platform(queryset: PublicComplaintQuerySet, platform: Platform | None) -> PublicComplaintQuerySet:
    if platform is None:
        return queryset
    ids = platform_family_ids(platform)
    return queryset.filter(platform_id=ids[0]) if len(ids) == 1 else queryset.filter(platform_id__in=ids)


@dataclass(frozen=True, slots=True)
class Page:
    items: list[PublicComplaint]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(
    queryset: Iterable[PublicComplaint] | PublicComplaintQuerySet, number: Any, per_page: int = PER_PAGE
) -> Page:
    """One page, newest first, without counting all rows (a count over a million complaints is not free)."""
    try:
        number = min(max(int(number), 1), MAX_PAGE)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return Page(items=rows[:per_page], number=number, has_next=len(rows) > per_page)


def complaint_for_moderation(ident: str) -> PublicComplaint:
    """A complaint by its own public id or by its case's public id (what `weiquan moderation` takes)."""
    try:
        key = uuid.UUID(str(ident).strip())
    except ValueError:
        raise PublishError(_("编号格式不对：%(id)s（应为 UUID）") % {"id": ident}) from None
    found = (
        PublicComplaint.objects.filter(public_id=key).first()
        or PublicComplaint.objects.filter(case__public_id=key).first()
    )
    if found is None:
        raise PublishError(_("没有找到这条公开投诉：%(id)s") % {"id": ident})
    return found


def clean_reply_text(text: str) -> str:
    # Replies are masked when written (merchant portal); masking again on display costs little and guards old rows.
    return mask(text)
