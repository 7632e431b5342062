"""Issue 13 — closing the loop between what the platform says, what the consumer uploads and what the case shows."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

pytestmark = pytest.mark.django_db


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, "PNG")
    return buf.getvalue()


def not_uploaded_line(html: str) -> str:
    m = re.search(r"你说手上有，但还没上传：(.*?)。", html)
    return m.group(1) if m else ""


def test_5_an_uploaded_payment_record_is_no_longer_listed_as_not_uploaded(alice_client, alice_case):
    page = alice_client.get(reverse("case_detail", args=[alice_case.public_id])).content.decode()
    assert "支付记录" in not_uploaded_line(page)  # the seed case declares its Alipay bill

    url = reverse("evidence_upload", args=[alice_case.public_id])
    alice_client.post(url, {"file": SimpleUploadedFile("账单.png", png()), "kind": "payment_record"})

    page = alice_client.get(reverse("case_detail", args=[alice_case.public_id])).content.decode()
    assert "支付记录" not in not_uploaded_line(page)
    assert "订单截图" in not_uploaded_line(page) or "订单" in not_uploaded_line(page)
