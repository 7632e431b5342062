"""Signed webhooks to platforms: an outbox written with the event, and a worker that delivers it.

``queue_complaint_event`` writes one ``WebhookDelivery`` row per active webhook in the caller's transaction; the
``deliver_webhooks`` command claims due rows one at a time with a conditional UPDATE (two workers never send the
same row at the same time), POSTs them outside any transaction, and schedules a retry with exponential backoff,
giving up after ``MAX_ATTEMPTS``. Delivery is at least once: a worker that dies after the POST but before the
UPDATE leaves the row to be sent again, so receivers deduplicate on ``X-Weiquan-Delivery``.

Signature (docs/merchant-integration.md): ``X-Weiquan-Signature: sha256=<hex>`` where hex is
HMAC-SHA256(secret, "<X-Weiquan-Timestamp>." + raw body). The timestamp is inside the signed string, so a captured
request cannot be replayed later than ``TOLERANCE`` seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from weiquan.accounts.counters import accept_once
from weiquan.platforms.models import Platform, Webhook, WebhookDelivery
from weiquan.platforms.outbound import OutboundError, request
from weiquan.public.models import PublicComplaint
from weiquan.public.signals import complaint_published

logger = logging.getLogger(__name__)

EVENT_PUBLISHED = "complaint.published"
TOLERANCE = 300  # seconds a signed request stays valid, either side of our clock
TIMEOUT = 10.0
MAX_ATTEMPTS = 12  # 1, 2, 4 … minutes apart, at most 12 h: the last attempt is about 29 hours after the first
FIRST_RETRY = dt.timedelta(minutes=1)
MAX_RETRY = dt.timedelta(hours=12)
# A claimed row is not due again until this has passed: longer than one delivery can take (TIMEOUT), so only a
# worker that died mid-delivery lets the row come back.
LEASE = dt.timedelta(minutes=2)

Kind = Literal["sent", "retry", "gave_up", "lost_race"]


# --- signatures ---------------------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str | int, body: bytes | str) -> str:
    raw = body.encode() if isinstance(body, str) else body
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + raw, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: str,
    timestamp: str | int | None,
    body: bytes | str,
    header: str | None,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> bool:
    """True when ``header`` is the signature of ``body`` at ``timestamp`` and the timestamp is recent."""
    if not secret or not header or timestamp is None:
        return False
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), header.strip())


def first_use(signature: str) -> bool:
    """True the first time a (valid) signature is presented: a captured request is accepted once.

    Remembered for twice the tolerance (after that the timestamp check refuses it anyway), in storage that never
    drops a live entry (weiquan.accounts.counters: its own table or Redis; Django's database cache pruned it
    once 300 other entries were written).
    """
    return accept_once(f"webhook-inbound:{signature.strip()}", 2 * TOLERANCE)


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(
    secret: str, body: bytes, *, event: str, delivery_id: int, now: float | None = None
) -> dict[str, str]:
    ts = str(int(time.time() if now is None else now))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-Weiquan-Event": event,
        "X-Weiquan-Delivery": str(delivery_id),
        "X-Weiquan-Timestamp": ts,
        "X-Weiquan-Signature": sign(secret, ts, body),
    }


# --- the platform's endpoint ---------------------------------------------------------------------------------------


def endpoint(platform: Platform) -> Webhook | None:
    """The webhook the portal manages: one per platform (the admin may add more; all active ones receive)."""
    return Webhook.objects.filter(platform=platform).order_by("-active", "pk").first()


def set_endpoint(platform: Platform, url: str) -> Webhook:
    hook = endpoint(platform)
    if hook is None:
        return Webhook.objects.create(platform=platform, url=url)
    hook.url, hook.active = url, True
    hook.save(update_fields=["url", "active"])
    return hook


def disable_endpoint(platform: Platform) -> None:
    Webhook.objects.filter(platform=platform).update(active=False)


def rotate_secret(platform: Platform) -> Webhook | None:
    hook = endpoint(platform)
    if hook is not None:
        hook.secret = _new_secret()
        hook.save(update_fields=["secret"])
    return hook


def recent_deliveries(platform: Platform, n: int = 10) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(webhook__platform=platform).order_by("-created_at", "-pk")[:n])


def _new_secret() -> str:
    return secrets.token_urlsafe(24)


# --- the outbox ---------------------------------------------------------------------------------------------------


def public_url(complaint: PublicComplaint) -> str:
    path = reverse("public_complaint", args=[complaint.public_id])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def complaint_payload(complaint: PublicComplaint, event: str) -> dict[str, Any]:
    """What a platform receives: only the published, masked copy — never the private case."""
    return {
        "event": event,
        "complaint": {
            "id": str(complaint.public_id),
            "platform_id": str(complaint.platform.public_id),
            "title": complaint.title,
            "story": complaint.story,
            "amount": None if complaint.amount is None else f"{complaint.amount:.2f}",
            "problem_type": complaint.problem_type,
            "published_at": complaint.published_at.isoformat() if complaint.published_at else None,
            "url": public_url(complaint),
        },
    }


def receivers(platform: Platform) -> list[Webhook]:
    """Active webhooks of the platform and of every platform it was merged into (they act for it, see claims)."""
    chain, p = [], platform
    while p is not None and p.pk not in chain:
        chain.append(p.pk)
        p = p.merged_into
    return list(Webhook.objects.filter(platform_id__in=chain, active=True).order_by("pk"))


def queue_complaint_event(complaint: PublicComplaint, event: str = EVENT_PUBLISHED) -> list[WebhookDelivery]:
    """Write the outbox rows for an event, in the caller's transaction; idempotent per webhook and complaint."""
    if complaint.status != "published":
        return []
    payload = complaint_payload(complaint, event)
    out = []
    with transaction.atomic():
        for hook in receivers(complaint.platform):
            already = WebhookDelivery.objects.filter(
                webhook=hook, event=event, payload__complaint__id=payload["complaint"]["id"]
            ).exists()
            if not already:
                out.append(WebhookDelivery.objects.create(webhook=hook, event=event, payload=payload))
    return out


def on_complaint_published(sender: Any, complaint: PublicComplaint, **kwargs: Any) -> None:
    queue_complaint_event(complaint, EVENT_PUBLISHED)


def connect_signals() -> None:
    """Hook the outbox to the public app's signal; call from PlatformsConfig.ready()."""
    complaint_published.connect(on_complaint_published, dispatch_uid="weiquan.webhooks.complaint_published")


# --- the worker ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: int
    kind: Kind
    error: str = ""


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failed attempt, at most 12 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def find_due(now: dt.datetime) -> WebhookDelivery | None:
    q = WebhookDelivery.objects.filter(
        delivered_at__isnull=True, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now, webhook__active=True
    )
    q = q.select_related("webhook").order_by("next_attempt_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        q = q.select_for_update(skip_locked=True, of=("self",))  # a second worker takes the next row
    return q.first()


def claim(delivery: WebhookDelivery, now: dt.datetime) -> bool:
    """Lease the row and count the attempt — but only if nobody changed it since we read it."""
    q = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        delivered_at__isnull=True,
        next_attempt_at=delivery.next_attempt_at,
        attempts=delivery.attempts,
    )
    won = q.update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1) == 1
    if won:
        delivery.attempts += 1
    return won


def send(delivery: WebhookDelivery) -> None:
    """POST the payload, signed; raises OutboundError unless the receiver answered 2xx."""
    hook = delivery.webhook
    body = encode(delivery.payload)
    headers = signed_headers(hook.secret, body, event=delivery.event, delivery_id=delivery.pk)
    resp = request(
        "POST", hook.url, body=body, headers=headers, timeout=TIMEOUT, max_bytes=1024, truncate=True
    )
    if not 200 <= resp.status < 300:
        raise OutboundError(_("接收方返回状态 %(status)s") % {"status": resp.status})


def process_one(now: dt.datetime | None = None) -> Outcome | None:
    """Deliver one due row; None when nothing is due.

    1. Find the undelivered row with the earliest next_attempt_at that is not in the future.
    2. Claim it: UPDATE … SET next_attempt_at=now+LEASE, attempts=attempts+1 WHERE pk=… AND next_attempt_at=<read>
       AND attempts=<read>. No row changed: another worker has it.
    3. POST it, outside any transaction.
    4. Success: set delivered_at. Failure: record the error and, below MAX_ATTEMPTS, schedule the next attempt
       after backoff(attempts); at MAX_ATTEMPTS the row stays undelivered and is no longer due (given up).
    """
    now = now or timezone.now()
    with transaction.atomic():  # the SKIP LOCKED row lock lasts until the lease is committed
        delivery = find_due(now)
        if delivery is None:
            return None
        if not claim(delivery, now):
            return Outcome(delivery.pk, "lost_race")
    try:
        send(delivery)
    except OutboundError as exc:
        return _failed(delivery, exc.message)
    except Exception as exc:  # a bug must not stop the loop for every other platform
        logger.exception("webhook delivery %s failed", delivery.pk)
        return _failed(delivery, type(exc).__name__)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(delivered_at=timezone.now(), last_error="")
    return Outcome(delivery.pk, "sent")


def _failed(delivery: WebhookDelivery, error: str) -> Outcome:
    gave_up = delivery.attempts >= MAX_ATTEMPTS
    fields: dict[str, Any] = {"last_error": error[:300]}
    if not gave_up:
        fields["next_attempt_at"] = timezone.now() + backoff(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**fields)
    return Outcome(delivery.pk, "gave_up" if gave_up else "retry", error)
