"""Webhooks: signed notifications of new complaints, written to an outbox with the event and delivered once by the
worker (retried with backoff, given up after MAX_ATTEMPTS); signed inbound pushes with a bad or old signature are
refused.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from merchant_support import URLCONF, local_site, make_platform, published

from weiquan.platforms import webhooks
from weiquan.platforms.models import Webhook, WebhookDelivery
from weiquan.public.models import ComplaintReply

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.ROOT_URLCONF = URLCONF
    settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION = True
    cache.clear()  # the inbound endpoint remembers signatures it has seen
    yield
    cache.clear()


@pytest.fixture
def site():
    with local_site() as s:
        s.serve("/hook", "ok")
        yield s


@pytest.fixture
def platform():
    return make_platform("某某卡盟", "example.com")


@pytest.fixture
def hook(platform, site):
    return Webhook.objects.create(platform=platform, url=site.url("/hook"), secret=SECRET)


# --- the signature --------------------------------------------------------------------------------------------------


def test_a_signature_made_with_the_secret_over_timestamp_and_body_verifies():
    body = b'{"event":"complaint.published"}'
    ts = int(time.time())
    header = webhooks.sign(SECRET, ts, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert webhooks.verify_signature(SECRET, str(ts), body, header)


@pytest.mark.parametrize(
    "change",
    [
        "wrong secret",
        "tampered body",
        "other timestamp",
        "old",
        "future",
        "no header",
        "no timestamp",
        "garbage",
    ],
)
def test_a_bad_or_old_signature_does_not_verify(change):
    body = b'{"event":"complaint.published","complaint":{"id":"1"}}'
    now = int(time.time())
    ts: str | None = str(now)
    header: str | None = webhooks.sign(SECRET, now, body)
    secret = SECRET
    if change == "wrong secret":
        secret = "another-secret"
    elif change == "tampered body":
        body = body.replace(b'"1"', b'"2"')
    elif change == "other timestamp":
        ts = str(now - 1)  # the timestamp is inside the signed string
    elif change == "old":
        ts, header = str(now - 301), webhooks.sign(SECRET, now - 301, body)  # a replay, 5 minutes later
    elif change == "future":
        ts, header = str(now + 301), webhooks.sign(SECRET, now + 301, body)
    elif change == "no header":
        header = None
    elif change == "no timestamp":
        ts = None
    elif change == "garbage":
        ts, header = "yesterday", "sha256=00"
    assert webhooks.verify_signature(secret, ts, body, header) is False


# --- the outbox ---------------------------------------------------------------------------------------------------


def test_a_published_complaint_queues_one_delivery_per_active_webhook(platform, hook, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    Webhook.objects.create(platform=platform, url="https://example.com/off", active=False)
    other = Webhook.objects.create(
        platform=make_platform("别家", "elsewhere.com"), url="https://elsewhere.com/h"
    )
    complaint = published(platform)

    rows = webhooks.queue_complaint_event(complaint, "complaint.published")

    assert [d.webhook for d in rows] == [hook]
    assert not other.deliveries.exists()
    payload = rows[0].payload
    assert payload["event"] == "complaint.published"
    assert payload["complaint"] == {
        "id": str(complaint.public_id),
        "platform_id": str(platform.public_id),
        "title": complaint.title,
        "story": complaint.story,
        "amount": "100.00",
        "problem_type": "invalid_code",
        "published_at": complaint.published_at.isoformat(),
        "url": "http://127.0.0.1:8000" + reverse("public_complaint", args=[complaint.public_id]),
    }
    assert webhooks.queue_complaint_event(complaint, "complaint.published") == []  # once per complaint
    assert WebhookDelivery.objects.count() == 1


def test_an_unpublished_complaint_queues_nothing(platform, hook):
    assert webhooks.queue_complaint_event(published(platform, status="pending", published_at=None)) == []


def test_the_public_apps_signal_fills_the_outbox_after_moderation(
    platform, hook, alice, alice_case, django_capture_on_commit_callbacks
):
    from weiquan.public import services

    webhooks.connect_signals()
    complaint = services.publish(alice_case, alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.moderate(complaint, approve=True)
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["complaint"]["id"] == str(complaint.public_id)
    assert "KM20261120001" not in json.dumps(delivery.payload, ensure_ascii=False)


# --- delivery -------------------------------------------------------------------------------------------------------


def test_a_delivery_reaches_the_site_once_with_a_valid_signature(platform, hook, site):
    delivery = webhooks.queue_complaint_event(published(platform))[0]

    outcome = webhooks.process_one()

    assert outcome == webhooks.Outcome(delivery.pk, "sent")
    [request] = site.received
    assert request.method == "POST" and request.path == "/hook"
    h = request.headers
    assert h["X-Weiquan-Event"] == "complaint.published" and h["X-Weiquan-Delivery"] == str(delivery.pk)
    assert webhooks.verify_signature(SECRET, h["X-Weiquan-Timestamp"], request.body, h["X-Weiquan-Signature"])
    assert not webhooks.verify_signature(
        "wrong", h["X-Weiquan-Timestamp"], request.body, h["X-Weiquan-Signature"]
    )
    assert json.loads(request.body) == delivery.payload
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.attempts == 1
    assert webhooks.process_one() is None  # nothing left: sent once


def test_two_workers_reading_the_same_row_send_it_once(platform, hook, site):
    webhooks.queue_complaint_event(published(platform))
    now = timezone.now()
    a, b = webhooks.find_due(now), webhooks.find_due(now)
    assert a.pk == b.pk

    assert webhooks.claim(a, now) is True
    assert (
        webhooks.claim(b, now) is False
    )  # its UPDATE … WHERE next_attempt_at=<read> AND attempts=<read> missed
    webhooks.send(a)
    assert len(site.received) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_delivery_once(site):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("threads on SQLite's shared-cache in-memory test database fail with 'table is locked'")
    platform = make_platform("某某卡盟", "example.com")
    Webhook.objects.create(platform=platform, url=site.url("/hook"), secret=SECRET)
    for i in range(5):
        webhooks.queue_complaint_event(published(platform, title=f"投诉{i}"))
    start = threading.Barrier(3)
    outcomes: list = []
    errors: list = []

    def run() -> None:
        try:
            start.wait()
            while (o := webhooks.process_one()) is not None:
                outcomes.append(o)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(site.received) == 5
    assert sorted(o.delivery_id for o in outcomes if o.kind == "sent") == sorted(
        WebhookDelivery.objects.values_list("pk", flat=True)
    )


def test_a_failing_receiver_is_retried_with_backoff_then_given_up(platform, hook, site, time_machine):
    site.serve("/hook", "boom", status=500)
    time_machine.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC), tick=False)
    delivery = webhooks.queue_complaint_event(published(platform))[0]

    waits = []
    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        outcome = webhooks.process_one()
        assert outcome.kind == ("gave_up" if attempt == webhooks.MAX_ATTEMPTS else "retry")
        delivery.refresh_from_db()
        assert delivery.attempts == attempt and "500" in delivery.last_error
        if outcome.kind == "retry":
            waits.append(delivery.next_attempt_at - timezone.now())
            assert webhooks.process_one() is None  # not due before its backoff
            time_machine.move_to(delivery.next_attempt_at, tick=False)

    assert waits[:3] == [dt.timedelta(minutes=1), dt.timedelta(minutes=2), dt.timedelta(minutes=4)]
    assert waits == sorted(waits) and max(waits) <= webhooks.MAX_RETRY
    time_machine.move_to(timezone.now() + dt.timedelta(days=30), tick=False)
    assert webhooks.process_one() is None  # given up: never due again
    assert delivery.delivered_at is None and len(site.received) == webhooks.MAX_ATTEMPTS


def test_a_receiver_recovering_gets_the_delivery_on_the_next_attempt(platform, hook, site, time_machine):
    site.serve("/hook", "down", status=503)
    delivery = webhooks.queue_complaint_event(published(platform))[0]
    assert webhooks.process_one().kind == "retry"
    site.serve("/hook", "ok")
    time_machine.move_to(timezone.now() + webhooks.backoff(1), tick=False)
    assert webhooks.process_one().kind == "sent"
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.last_error == ""


def test_a_private_address_is_not_called_in_production(platform, hook, site, settings):
    settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION = False
    webhooks.queue_complaint_event(published(platform))
    outcome = webhooks.process_one()
    assert outcome.kind == "retry" and "内网或本机地址" in outcome.error
    assert site.received == []


def test_the_command_delivers_what_is_due(platform, hook, site):
    webhooks.queue_complaint_event(published(platform))
    out = io.StringIO()
    call_command("deliver_webhooks", stdout=out)
    assert "已送达 1 条" in out.getvalue()
    assert len(site.received) == 1


# --- signed inbound pushes ------------------------------------------------------------------------------------------


def push(platform, body: dict, *, secret: str = SECRET, ts: int | None = None, signature: str | None = None):
    raw = json.dumps(body, ensure_ascii=False).encode()
    ts = int(time.time()) if ts is None else ts
    return Client().post(
        f"/api/merchant/platforms/{platform.public_id}/inbound",
        raw,
        content_type="application/json",
        HTTP_X_WEIQUAN_TIMESTAMP=str(ts),
        HTTP_X_WEIQUAN_SIGNATURE=signature or webhooks.sign(secret, ts, raw),
    )


def test_a_signed_push_replies_and_moves_progress(platform, hook):
    complaint = published(platform)
    r = push(
        platform, {"complaint_id": str(complaint.public_id), "standard": "refunded", "progress": "resolved"}
    )
    assert r.status_code == 200, r.content
    assert ComplaintReply.objects.get().standard == "refunded"
    complaint.refresh_from_db()
    assert complaint.progress == "resolved" and complaint.consumer_confirmed is None


@pytest.mark.parametrize("how", ["wrong secret", "old timestamp", "garbage signature", "no webhook"])
def test_a_push_with_a_bad_signature_is_refused(platform, hook, how):
    complaint = published(platform)
    body = {"complaint_id": str(complaint.public_id), "text": "已退款"}
    if how == "wrong secret":
        r = push(platform, body, secret="guessed")
    elif how == "old timestamp":
        r = push(platform, body, ts=int(time.time()) - 3600)
    elif how == "garbage signature":
        r = push(platform, body, signature="sha256=" + "0" * 64)
    else:
        hook.active = False
        hook.save()
        r = push(platform, body)
    assert r.status_code == 401
    assert "签名无效" in r.json()["error"]
    assert not ComplaintReply.objects.exists()


def test_a_replayed_push_is_refused(platform, hook):
    complaint = published(platform)
    raw = json.dumps({"complaint_id": str(complaint.public_id), "text": "已退款"}).encode()
    ts = int(time.time())
    headers = {
        "HTTP_X_WEIQUAN_TIMESTAMP": str(ts),
        "HTTP_X_WEIQUAN_SIGNATURE": webhooks.sign(SECRET, ts, raw),
    }
    url = f"/api/merchant/platforms/{platform.public_id}/inbound"
    assert Client().post(url, raw, content_type="application/json", **headers).status_code == 200
    assert Client().post(url, raw, content_type="application/json", **headers).status_code == 409
    assert ComplaintReply.objects.count() == 1


def test_a_push_about_another_platforms_complaint_is_404(platform, hook):
    theirs = published(make_platform("别家", "elsewhere.com"))
    r = push(platform, {"complaint_id": str(theirs.public_id), "text": "不是我们的"})
    assert r.status_code == 404
    assert not ComplaintReply.objects.exists()
