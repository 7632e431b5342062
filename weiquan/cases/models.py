"""Cases, their contacts with each forum, and the hash-chained case log.

The plan is derived, never stored: ``Case.plan()`` builds the case-file facts from these rows and asks the domain
engine. Only the next reminder time is kept on the row (indexed), recomputed whenever the case changes.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any, get_args

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from weiquan.cases.canonical import canonical_json, event_hash, event_time
from weiquan.cases.signals import evidence_declared, platform_details_stored
from weiquan.domain import reminders as domain_reminders
from weiquan.domain.escalation import Plan, plan
from weiquan.domain.escalation import Warning as PlanWarning
from weiquan.domain.evidence import kind_label
from weiquan.domain.facts import (
    CHINA_TZ,
    MAX_CONTACTS,
    MAX_LENGTH,
    CaseFacts,
    EvidenceKind,
    Unusable,
    parse_case,
    parse_contact,
    parse_stored_case,
)
from weiquan.domain.taxonomy import TYPES

# The evidence kinds a case file names (weiquan.domain.facts.EvidenceKind), labelled from domain/data/evidence.yaml.
EVIDENCE_KINDS = [(kind, kind_label(kind)) for kind in get_args(EvidenceKind)]
PROBLEM_TYPES = [(tid, t.label) for tid, t in TYPES.items()] + [("other", "其他/无法判断")]
PAYMENT_METHODS = [
    ("alipay", "支付宝"),
    ("wechat_pay", "微信支付"),
    ("bank_card", "银行卡"),
    ("other", "其他"),
]
CHANNELS = [
    ("platform_cs", "平台客服"),
    ("12315", "12315"),
    ("heimao", "黑猫投诉"),
    ("alipay", "支付宝"),
    ("wechat_pay", "微信支付"),
    ("industry_assoc", "消费者协会/行业组织"),
    ("police", "公安机关"),
    ("12321", "12321"),
    ("12377", "12377"),
    ("12345", "12345"),
    ("small_claims", "小额诉讼"),
    ("payment_order", "支付令"),
]
RESPONSES = [
    ("pending", "已提交，等待答复"),
    ("promised", "承诺处理"),
    ("refused", "拒绝"),
    ("no_reply", "不答复"),
    ("accepted", "已受理"),
    ("rejected", "不予受理/驳回"),
    ("failed", "调解失败/处理失败"),
    ("resolved", "已解决"),
]


class StateConflict(ValueError):
    """A change the case's state does not allow (closed, too many contacts): the API's 409, the page's message."""


class CaseClosed(StateConflict):
    """A change asked of a case that is already closed."""


class TooManyContacts(StateConflict):
    pass


class CaseQuerySet(models.QuerySet["Case"]):
    def owned_by(self, user: Any) -> CaseQuerySet:
        return self.filter(owner=user) if user.is_authenticated else self.none()


class Case(models.Model):
    STATUS = [("open", "进行中"), ("closed", "已结案")]

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cases")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    description = models.TextField("经过描述", blank=True)
    problem_type = models.CharField("问题类型", max_length=32, blank=True, choices=PROBLEM_TYPES)
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    paid_at = models.DateTimeField("付款时间")
    paid_at_time_known = models.BooleanField("付款时间含时刻", default=True)
    order_no = models.CharField("订单号", max_length=MAX_LENGTH["order_no"], blank=True)
    item = models.CharField("商品", max_length=MAX_LENGTH["item"], blank=True)
    payment_method = models.CharField("付款方式", max_length=16, choices=PAYMENT_METHODS, default="other")
    province = models.CharField("所在省份", max_length=MAX_LENGTH["province"], blank=True)

    platform_name = models.CharField("平台名称", max_length=MAX_LENGTH["platform.name"], blank=True)
    platform_domain = models.CharField(
        "网址/域名", max_length=MAX_LENGTH["platform.domain"], blank=True, db_index=True
    )
    platform_reachable = models.BooleanField("平台还能联系上", default=True)
    platform_company = models.CharField("经营者全称", max_length=MAX_LENGTH["platform.company"], blank=True)
    platform_credit_code = models.CharField(
        "统一社会信用代码", max_length=MAX_LENGTH["platform.credit_code"], blank=True
    )
    platform_icp = models.CharField("ICP备案号", max_length=MAX_LENGTH["platform.icp"], blank=True)
    platform_address = models.CharField("经营者地址", max_length=MAX_LENGTH["platform.address"], blank=True)
    platform_merchant_name = models.CharField(
        "收款商户名", max_length=MAX_LENGTH["platform.merchant_name"], blank=True
    )
    platform_contact = models.CharField("客服联系方式", max_length=MAX_LENGTH["platform.contact"], blank=True)
    platform_sold_by = models.CharField("出售方", max_length=8, blank=True)  # platform | shop | "" (unknown)
    platform_shop = models.JSONField("平台内经营者", null=True, blank=True)  # the case file's platform.shop
    platform_odr = models.BooleanField("ODR企业", null=True, blank=True)

    # The registry entity this case is about, linked by domain, name or merchant name (weiquan.platforms.linking).
    platform = models.ForeignKey(
        "platforms.Platform", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )

    consumer_name = models.CharField("姓名", max_length=MAX_LENGTH["consumer.name"], blank=True)
    consumer_phone = models.CharField("电话", max_length=MAX_LENGTH["consumer.phone"], blank=True)
    consumer_address = models.CharField("通讯地址", max_length=MAX_LENGTH["consumer.address"], blank=True)
    consumer_email = models.EmailField("邮箱", blank=True)
    consumer_id_number = models.CharField("身份证号", max_length=MAX_LENGTH["consumer.id_number"], blank=True)
    consumer_gender = models.CharField("性别", max_length=1, blank=True)
    consumer_birth_date = models.DateField("出生日期", null=True, blank=True)
    consumer_ethnicity = models.CharField("民族", max_length=MAX_LENGTH["consumer.ethnicity"], blank=True)
    consumer_service_address = models.CharField(
        "送达地址", max_length=MAX_LENGTH["consumer.service_address"], blank=True
    )
    consumer_e_service = models.BooleanField("同意电子送达", null=True, blank=True)
    consumer_e_service_address = models.CharField(
        "电子送达地址", max_length=MAX_LENGTH["consumer.e_service_address"], blank=True
    )

    demands = models.JSONField(default=list, blank=True)
    fraud_shown = models.BooleanField(null=True, blank=True)
    knew_harm_at = models.DateField(null=True, blank=True)

    status = models.CharField(max_length=8, choices=STATUS, default="open")
    outcome_channel = models.CharField("解决渠道", max_length=32, blank=True)
    recovered_amount = models.DecimalField("追回金额", max_digits=14, decimal_places=2, null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)
    log_head = models.CharField(max_length=64, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.platform_label} {self.amount}元"

    @property
    def platform_label(self) -> str:
        return self.platform_name or self.platform_domain or "未命名平台"

    # --- facts and plan -------------------------------------------------------------------------------------------

    def to_case_file(self) -> dict[str, Any]:
        """The case-file JSON (docs/case-file.md) of this case, as the CLI and the API take it."""
        blank = lambda v: v or None  # noqa: E731
        return {
            "description": blank(self.description),
            "problem_type": blank(self.problem_type),
            "amount": str(self.amount),
            "paid_at": self.paid_at.isoformat(),
            "paid_at_time_known": self.paid_at_time_known,
            "order_no": blank(self.order_no),
            "item": blank(self.item),
            "payment_method": self.payment_method,
            "province": blank(self.province),
            "platform": {
                "name": blank(self.platform_name),
                "domain": blank(self.platform_domain),
                "reachable": self.platform_reachable,
                "company": blank(self.platform_company),
                "credit_code": blank(self.platform_credit_code),
                "icp": blank(self.platform_icp),
                "address": blank(self.platform_address),
                "merchant_name": blank(self.platform_merchant_name),
                "contact": blank(self.platform_contact),
                "sold_by": blank(self.platform_sold_by),
                "shop": self.platform_shop or None,
                "odr": self.platform_odr,
            },
            "consumer": {
                "name": blank(self.consumer_name),
                "phone": blank(self.consumer_phone),
                "address": blank(self.consumer_address),
                "email": blank(self.consumer_email),
                "id_number": blank(self.consumer_id_number),
                "gender": blank(self.consumer_gender),
                "birth_date": self.consumer_birth_date.isoformat() if self.consumer_birth_date else None,
                "ethnicity": blank(self.consumer_ethnicity),
                "service_address": blank(self.consumer_service_address),
                "e_service": self.consumer_e_service,
                "e_service_address": blank(self.consumer_e_service_address),
            },
            "contacts": [c.to_case_file() for c in self.contacts.all()],
            "evidence": [e.to_case_file() for e in self.evidence.all()],
            "demands": self.demands or None,
            "fraud_shown": self.fraud_shown,
            "knew_harm_at": self.knew_harm_at.isoformat() if self.knew_harm_at else None,
        }

    def checked_facts(self) -> tuple[CaseFacts, list[Unusable]]:
        """The facts, and the stored values the plan cannot use (left out; the owner is asked to correct them).

        A value stored before today's bounds existed (a contact dated 9999-12-31) must never break the case: the
        plan, the page, every document, the bundle and the calendar feed are made from the usable rest.
        """
        fallback = {"paid_at": (self.created_at or timezone.now()).isoformat()}
        data = self.to_case_file()
        if data["platform"]["odr"] is None and self.platform_declares_odr:
            # The consumer did not say; the platform's verified representative declared it an ODR company (issue
            # 13). Only fills the unknown: an answer the consumer gave is never replaced.
            data["platform"]["odr"] = True
        return parse_stored_case(data, fallback)

    def facts(self) -> CaseFacts:
        return self.checked_facts()[0]

    def corrections_needed(self) -> list[dict[str, Any]]:
        """What the owner should correct: the Chinese text and, for a contact, its id (for the correction form)."""
        return self._corrections(self.checked_facts()[1])

    def _corrections(self, problems: list[Unusable]) -> list[dict[str, Any]]:
        contacts = list(self.contacts.all())
        out = []
        for p in problems:
            contact = contacts[p.contact] if p.contact is not None and p.contact < len(contacts) else None
            if contact is not None:
                when = contact.at.astimezone(CHINA_TZ).date().isoformat() if contact.at else ""
                what = f"第{p.contact + 1}条联系记录（{when} {contact.get_channel_display()}）的{p.label or '内容'}"
                left_out = "这条记录暂未计入计划" if p.dropped_entry else "计划中按未填写处理"
                text = f"{what}无法使用，{left_out}：{p.message}。请在联系记录里点“更正”修改。"
            else:
                text = f"{p.label or p.path or '案件信息'}无法使用，已按未填写处理：{p.message}。"
            out.append(
                {"message": text, "field": p.path, "contact": str(contact.public_id) if contact else None}
            )
        return out

    @property
    def platform_declares_odr(self) -> bool:
        return self.platform_id is not None and bool(self.platform.declared_odr)

    def plan(self, today: dt.date | None = None) -> Plan:
        facts, problems = self.checked_facts()
        result = plan(facts, today or timezone.now().astimezone(CHINA_TZ).date())
        # Each unusable stored value is told first, as a fact to correct (issue 12).
        result.warnings[:0] = [
            PlanWarning("fact_to_correct", c["message"]) for c in self._corrections(problems)
        ]
        return result

    # --- the case log ---------------------------------------------------------------------------------------------

    def log(self, kind: str, payload: dict[str, Any], actor: Any = None) -> CaseEvent:
        """Append one entry to the hash-chained log. Call inside the transaction that made the change."""
        with transaction.atomic():
            # Lock the case row so two writers cannot both extend the chain from the same head.
            head = Case.objects.select_for_update().only("log_head").get(pk=self.pk).log_head
            seq = self.events.count() + 1
            event = CaseEvent(
                case=self,
                seq=seq,
                at=timezone.now(),
                kind=kind,
                actor=actor if getattr(actor, "pk", None) else None,
                payload=json.loads(canonical_json(payload)),
                prev_hash=head,
            )
            event.hash = event.compute_hash()
            event.save(force_insert=True)
            Case.objects.filter(pk=self.pk).update(log_head=event.hash)
            self.log_head = event.hash
        return event

    # --- changes, each with its log entry -----------------------------------------------------------------------

    @classmethod
    def create_from_case_file(cls, owner: Any, data: dict[str, Any]) -> Case:
        """Validate a case file (Chinese errors via CaseFileError) and store it with its contacts."""
        facts = parse_case(data)
        with transaction.atomic():  # one transaction: a case that fails half-way leaves nothing behind
            case = cls(owner=owner)
            case.apply_facts(facts)
            case.save()
            for c in facts.contacts:
                Contact.objects.create(case=case, **c.model_dump())
            # the evidence app (weiquan.evidence) stores the evidence the case file declares
            evidence_declared.send(sender=cls, case=case, evidence=facts.evidence)
            case.log("created", {"case_file": data}, owner)
            # the registry (weiquan.platforms) learns the platform's domain, name and merchant name
            platform_details_stored.send(sender=cls, case=case)
            case.refresh_reminder()
        return case

    def apply_facts(self, facts: CaseFacts) -> None:
        p, c = facts.platform, facts.consumer
        self.description = facts.description or ""
        self.problem_type = facts.problem_type or ""
        self.amount = Decimal(facts.amount)
        self.paid_at = facts.paid_at
        self.paid_at_time_known = facts.paid_at_time_known
        self.order_no = facts.order_no or ""
        self.item = facts.item or ""
        self.payment_method = facts.payment_method
        self.province = facts.province or ""
        self.platform_name, self.platform_domain = p.name or "", p.domain or ""
        self.platform_reachable, self.platform_company = p.reachable, p.company or ""
        self.platform_credit_code, self.platform_icp = p.credit_code or "", p.icp or ""
        self.platform_address, self.platform_merchant_name = p.address or "", p.merchant_name or ""
        self.platform_contact = p.contact or ""
        self.platform_sold_by = p.sold_by or ""
        self.platform_shop = p.shop.model_dump(mode="json") if p.shop else None
        self.platform_odr = p.odr
        self.consumer_name, self.consumer_phone = c.name or "", c.phone or ""
        self.consumer_address, self.consumer_email = c.address or "", c.email or ""
        self.consumer_id_number, self.consumer_gender = c.id_number or "", c.gender or ""
        self.consumer_birth_date, self.consumer_ethnicity = c.birth_date, c.ethnicity or ""
        self.consumer_service_address = c.service_address or ""
        self.consumer_e_service = c.e_service
        self.consumer_e_service_address = c.e_service_address or ""
        self.demands = list(facts.demands or [])
        self.fraud_shown = facts.fraud_shown
        self.knew_harm_at = facts.knew_harm_at

    # --- state rules, shared by the web pages, the API and the CLI --------------------------------------------

    def check_can_record(self) -> None:
        """Raises StateConflict (Chinese) if no new contact may be recorded now."""
        if self.status == "closed":
            raise CaseClosed("案件已经结案，不能再记录进展；如需继续维权，请新建案件")
        if self.contacts.count() >= MAX_CONTACTS:
            raise TooManyContacts(f"这个案件的联系记录已达上限（{MAX_CONTACTS} 条），不能再添加")

    @staticmethod
    def validated_contact(fields: dict[str, Any]) -> dict[str, Any]:
        """The contact under the case file's rules (bounded dates and promises, lengths); CaseFileError otherwise."""
        data = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in fields.items()}
        return parse_contact(data).model_dump()

    def add_contact(self, actor: Any = None, **fields: Any) -> Contact:
        fields = self.validated_contact(fields)
        with transaction.atomic():
            Case.objects.select_for_update().filter(
                pk=self.pk
            ).first()  # one writer at a time: the count holds
            self.refresh_from_db(fields=["status"])
            self.check_can_record()
            contact = Contact.objects.create(case=self, **fields)
            self.log("contact", contact.to_case_file(), actor)
            if fields.get("response") == "resolved" and self.status == "open":
                self.outcome_channel = fields.get("channel", "")
                Case.objects.filter(pk=self.pk).update(outcome_channel=self.outcome_channel)
            self.refresh_reminder()
        return contact

    def correct_contact(self, actor: Any, contact_id: Any, **changes: Any) -> Contact:
        """Corrects a recorded contact (a typo in its date or promise). The contact row takes the corrected values;
        the log keeps both, as a new "contact_corrected" entry (the log itself is never changed)."""
        from django.core.exceptions import ValidationError
        from django.http import Http404

        try:
            contact = self.contacts.get(public_id=contact_id)
        except (Contact.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
            raise Http404("联系记录不存在") from exc
        before = contact.to_case_file()
        merged = {**before, **changes}
        fields = self.validated_contact(merged)
        with transaction.atomic():
            Case.objects.select_for_update().filter(pk=self.pk).first()
            for name, value in fields.items():
                setattr(contact, name, value)
            contact.save()
            self.log(
                "contact_corrected",
                {"contact": str(contact.public_id), "before": before, "after": contact.to_case_file()},
                actor,
            )
            self.refresh_reminder()
        return contact

    def close(self, actor: Any, *, outcome_channel: str, recovered_amount: Decimal | None) -> None:
        if self.status == "closed":
            raise CaseClosed("案件已经结案")
        with transaction.atomic():
            self.status, self.closed_at = "closed", timezone.now()
            self.outcome_channel, self.recovered_amount = outcome_channel, recovered_amount
            self.next_reminder_at = None
            self.save(
                update_fields=[
                    "status",
                    "closed_at",
                    "outcome_channel",
                    "recovered_amount",
                    "next_reminder_at",
                ]
            )
            self.log(
                "closed",
                {
                    "outcome_channel": outcome_channel,
                    "recovered_amount": recovered_amount,
                    "days": self.days_taken,
                },
                actor,
            )

    @property
    def days_taken(self) -> int | None:
        return (self.closed_at.date() - self.paid_at.date()).days if self.closed_at else None

    # --- reminders ------------------------------------------------------------------------------------------------

    def reminder_state(self, now: dt.datetime) -> tuple[list[domain_reminders.Reminder], set[str]]:
        # The worker's view (today's plan merged with the plan as of the stored reminder time), so an overdue
        # reminder of a deadline that has since left the plan is not lost when the case changes.
        from weiquan.cases.reminders import reminder_state

        reminders, sent, _ = reminder_state(self, now)
        return reminders, sent

    def refresh_reminder(self, now: dt.datetime | None = None) -> None:
        """Recompute and store the next reminder time (after any change to events or the calendar)."""
        now = now or timezone.now()
        if self.status != "open":
            nxt = None
        else:
            reminders, sent = self.reminder_state(now)
            nxt = domain_reminders.next_time(reminders, sent, now)
        Case.objects.filter(pk=self.pk).update(next_reminder_at=nxt)
        self.next_reminder_at = nxt


class Contact(models.Model):
    """One contact with a forum: what was asked, what was promised by when, and the answer."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    at = models.DateTimeField("时间")
    at_time_known = models.BooleanField("时间含时刻", default=True)
    channel = models.CharField("渠道", max_length=32, choices=CHANNELS)
    asked = models.CharField("诉求", max_length=MAX_LENGTH["contact.asked"], blank=True, null=True)
    promise = models.CharField("对方承诺", max_length=MAX_LENGTH["contact.promise"], blank=True, null=True)
    promise_by = models.DateTimeField("承诺期限", null=True, blank=True)
    response = models.CharField("结果", max_length=16, choices=RESPONSES, default="pending")
    answer = models.TextField("对方答复", blank=True, null=True)
    reference = models.CharField(
        "受理编号", max_length=MAX_LENGTH["contact.reference"], blank=True, null=True
    )
    served_at = models.DateTimeField("支付令送达时间", null=True, blank=True)
    agreed_amount = models.DecimalField(
        "对方同意退还的金额", max_digits=14, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def to_case_file(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "at_time_known": self.at_time_known,
            "channel": self.channel,
            "asked": self.asked or None,
            "promise": self.promise or None,
            "promise_by": self.promise_by.isoformat() if self.promise_by else None,
            "response": self.response,
            "answer": self.answer or None,
            "reference": self.reference or None,
            "served_at": self.served_at.isoformat() if self.served_at else None,
            "agreed_amount": str(self.agreed_amount) if self.agreed_amount is not None else None,
        }


class CaseEvent(models.Model):
    """An append-only, hash-chained log entry: every upload, contact and edit of a case.

    ``hash`` = SHA-256 of the canonical JSON of (seq, at, kind, payload, prev_hash); each entry carries the previous
    entry's hash, so changing or deleting any entry breaks every later link. Nothing updates or deletes entries;
    a correction is a new entry.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    payload = models.JSONField()
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq_unique")]

    def compute_hash(self) -> str:
        # The rule lives in a Django-free module so `weiquan verify` can recompute it offline.
        return event_hash(
            seq=self.seq,
            at=event_time(self.at),
            kind=self.kind,
            payload=self.payload,
            prev_hash=self.prev_hash,
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("案件日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("案件日志只能追加，不能删除")


class ReminderSent(models.Model):
    """A reminder that was sent (or skipped as superseded). Unique per case and key: sent once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reminders_sent")
    key = models.CharField(max_length=128)
    sent_at = models.DateTimeField(default=timezone.now)
    delivered = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="reminder_sent_once")]


def case_for_owner(user: Any, public_id: Any, *, only: tuple[str, ...] = ()) -> Case:
    """The one loader for cases: by unguessable public id, for its owner only; anyone else gets 404.

    ``only``: load just these columns (the case page's cache key); reading any other field would cost a query each.
    """
    from django.core.exceptions import ValidationError
    from django.http import Http404

    cases = Case.objects.owned_by(user)
    try:
        if only:
            return cases.only(*only).get(public_id=public_id)
        # The registry row joined: the plan reads what its verified representative declared (ODR), no extra query.
        return cases.select_related("platform").get(public_id=public_id)
    except (Case.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404("案件不存在") from exc
