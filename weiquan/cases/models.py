"""Cases, their contacts with each forum, and the hash-chained case log.

The plan is derived, never stored: ``Case.plan()`` builds the case-file facts from these rows and asks the domain
engine. Only the next reminder time is kept on the row (indexed), recomputed whenever the case changes.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from weiquan.domain import reminders as domain_reminders
from weiquan.domain.escalation import Plan, plan
from weiquan.domain.facts import CHINA_TZ, CaseFacts, parse_case
from weiquan.domain.taxonomy import TYPES
from weiquan.evidence.canonical import canonical_json, event_hash, event_time

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


class CaseClosed(ValueError):
    """A change asked of a case that is already closed."""


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
    order_no = models.CharField("订单号", max_length=128, blank=True)
    item = models.CharField("商品", max_length=200, blank=True)
    payment_method = models.CharField("付款方式", max_length=16, choices=PAYMENT_METHODS, default="other")
    province = models.CharField("所在省份", max_length=16, blank=True)

    platform_name = models.CharField("平台名称", max_length=200, blank=True)
    platform_domain = models.CharField("网址/域名", max_length=253, blank=True, db_index=True)
    platform_reachable = models.BooleanField("平台还能联系上", default=True)
    platform_company = models.CharField("经营者全称", max_length=200, blank=True)
    platform_credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    platform_icp = models.CharField("ICP备案号", max_length=64, blank=True)
    platform_address = models.CharField("经营者地址", max_length=300, blank=True)
    platform_merchant_name = models.CharField("收款商户名", max_length=200, blank=True)
    platform_contact = models.CharField("客服联系方式", max_length=200, blank=True)
    platform_sold_by = models.CharField("出售方", max_length=8, blank=True)  # platform | shop | "" (unknown)
    platform_shop = models.JSONField("平台内经营者", null=True, blank=True)  # the case file's platform.shop
    platform_odr = models.BooleanField("ODR企业", null=True, blank=True)

    # The registry entity this case is about, linked by domain, name or merchant name (weiquan.platforms.linking).
    platform = models.ForeignKey(
        "platforms.Platform", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )

    consumer_name = models.CharField("姓名", max_length=64, blank=True)
    consumer_phone = models.CharField("电话", max_length=32, blank=True)
    consumer_address = models.CharField("通讯地址", max_length=300, blank=True)
    consumer_email = models.EmailField("邮箱", blank=True)
    consumer_id_number = models.CharField("身份证号", max_length=18, blank=True)
    consumer_gender = models.CharField("性别", max_length=1, blank=True)
    consumer_birth_date = models.DateField("出生日期", null=True, blank=True)
    consumer_ethnicity = models.CharField("民族", max_length=16, blank=True)
    consumer_service_address = models.CharField("送达地址", max_length=300, blank=True)
    consumer_e_service = models.BooleanField("同意电子送达", null=True, blank=True)
    consumer_e_service_address = models.CharField("电子送达地址", max_length=254, blank=True)

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

    def facts(self) -> CaseFacts:
        return parse_case(self.to_case_file())

    def plan(self, today: dt.date | None = None) -> Plan:
        return plan(self.facts(), today or timezone.now().astimezone(CHINA_TZ).date())

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
        with transaction.atomic():
            case = cls(owner=owner)
            case.apply_facts(facts)
            case.save()
            for c in facts.contacts:
                Contact.objects.create(case=case, **c.model_dump())
            for e in facts.evidence:
                from weiquan.evidence.models import Evidence

                Evidence.objects.create(
                    case=case,
                    kind=e.kind,
                    description=e.description or "",
                    sha256=e.sha256 or "",
                    declared=True,
                )
            case.log("created", {"case_file": data}, owner)
            from weiquan.platforms.linking import link_case

            link_case(case)  # the registry learns the platform's domain, name and merchant name
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

    def add_contact(self, actor: Any = None, **fields: Any) -> Contact:
        with transaction.atomic():
            contact = Contact.objects.create(case=self, **fields)
            self.log("contact", contact.to_case_file(), actor)
            if fields.get("response") == "resolved" and self.status == "open":
                self.outcome_channel = fields.get("channel", "")
                Case.objects.filter(pk=self.pk).update(outcome_channel=self.outcome_channel)
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
    asked = models.CharField("诉求", max_length=300, blank=True, null=True)
    promise = models.CharField("对方承诺", max_length=200, blank=True, null=True)
    promise_by = models.DateTimeField("承诺期限", null=True, blank=True)
    response = models.CharField("结果", max_length=16, choices=RESPONSES, default="pending")
    answer = models.TextField("对方答复", blank=True, null=True)
    reference = models.CharField("受理编号", max_length=128, blank=True, null=True)
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
        return (cases.only(*only) if only else cases).get(public_id=public_id)
    except (Case.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404("案件不存在") from exc
