"""Uploading evidence: streamed, hashed on the way in, checked by content, stored once, logged; nothing half-done."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import time
from pathlib import Path

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from PIL import Image

from weiquan.domain.facts import CHINA_TZ
from weiquan.evidence.models import Evidence
from weiquan.evidence.services import EvidenceRejected, store_upload
from weiquan.evidence.storage import BlobStore, Spool

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 10, 30, tzinfo=CHINA_TZ)


def png(color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buf, "PNG")
    return buf.getvalue()


def jpeg_with_exif(taken: str, offset: str | None = None) -> bytes:
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[36867] = taken  # DateTimeOriginal
    if offset:
        sub[36881] = offset  # OffsetTimeOriginal
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "white").save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def upload(client: Client, case, data: bytes, name: str = "chat.png", kind: str = "cs_chat", **extra):
    url = reverse("evidence_upload", args=[case.public_id])
    return client.post(url, {"file": SimpleUploadedFile(name, data), "kind": kind, **extra})


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def uploaded(case) -> list[Evidence]:
    # The seed case file declares three items without files; only uploads count here.
    return list(case.evidence.filter(declared=False))


def blobs(settings) -> list[Path]:
    return list(BlobStore(settings.EVIDENCE_DIR).blobs())


def temp_files(settings) -> list[Path]:
    tmp = Path(settings.EVIDENCE_DIR) / "tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


def assert_nothing_stored(case, settings, events_before: int) -> None:
    assert uploaded(case) == []
    assert blobs(settings) == []
    assert temp_files(settings) == []
    assert case.events.count() == events_before


@pytest.fixture
def spooled(monkeypatch) -> list[Path]:
    """The temp file each written chunk went to, while it existed: proves a test really got mid-stream."""
    paths: list[Path] = []
    original_write = Spool.write

    def spy(self: Spool, chunk: bytes) -> None:
        original_write(self, chunk)
        if self.path.exists():
            paths.append(self.path)

    monkeypatch.setattr(Spool, "write", spy)
    return paths


# --- storing --------------------------------------------------------------------------------------------------


def test_it_stores_the_file_under_its_hash_and_logs_it(alice_client, alice_case, settings):
    data = png()
    sha = hashlib.sha256(data).hexdigest()
    with time_machine.travel(NOW, tick=False):
        response = upload(alice_client, alice_case, data, description="客服承认卡密无效")

    assert response.status_code == 302
    assert response.url == reverse("case_detail", args=[alice_case.public_id])
    assert messages_of(response) == [f"已保存：chat.png（SHA-256 {sha[:12]}…）"]
    [ev] = uploaded(alice_case)
    assert (ev.sha256, ev.size, ev.original_name, ev.content_type) == (
        sha,
        len(data),
        "chat.png",
        "image/png",
    )
    assert (ev.kind, ev.description, ev.received_at) == ("cs_chat", "客服承认卡密无效", NOW)
    blob = Path(settings.EVIDENCE_DIR) / sha[:2] / sha[2:4] / sha
    assert blob.read_bytes() == data
    assert blob.stat().st_mode & 0o777 == 0o444
    assert temp_files(settings) == []
    event = alice_case.events.last()
    assert event.kind == "evidence_uploaded"
    assert event.payload["sha256"] == sha and event.payload["evidence"] == str(ev.public_id)
    alice_case.refresh_from_db()
    assert alice_case.log_head == event.hash


def test_it_stores_the_same_bytes_once_but_records_each_upload(alice_client, alice_case, settings):
    data = png()
    with time_machine.travel(NOW, tick=False):
        upload(alice_client, alice_case, data, name="first.png")
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        upload(alice_client, alice_case, data, name="again.png", kind="order_screenshot")

    first, again = uploaded(alice_case)
    assert (first.original_name, again.original_name) == ("first.png", "again.png")
    assert again.received_at - first.received_at == dt.timedelta(hours=1)
    assert first.sha256 == again.sha256
    assert len(blobs(settings)) == 1
    assert [e.kind for e in alice_case.events.all()][-2:] == ["evidence_uploaded", "evidence_uploaded"]


def test_it_stores_uploads_that_did_not_come_through_the_web_handler(alice_case, alice, settings):
    data = "2026-11-20 21:05 客服：卡密已发，概不退换".encode()
    ev = store_upload(alice_case, SimpleUploadedFile("聊天记录.txt", data), kind="cs_chat", actor=alice)
    assert ev.sha256 == hashlib.sha256(data).hexdigest()
    assert ev.content_type == "text/plain"
    assert alice_case.events.last().actor == alice
    assert temp_files(settings) == []


def test_it_reads_the_photo_time_from_exif_as_beijing_time(alice_client, alice_case):
    upload(alice_client, alice_case, jpeg_with_exif("2026:11:20 21:05:33"), name="IMG_0001.jpg")
    [ev] = uploaded(alice_case)
    assert ev.content_type == "image/jpeg"
    assert ev.exif_taken_at == dt.datetime(2026, 11, 20, 21, 5, 33, tzinfo=CHINA_TZ)
    assert alice_case.events.last().payload["exif_taken_at"] == "2026-11-20T21:05:33+08:00"


def test_it_uses_the_exif_offset_when_the_camera_wrote_one(alice_client, alice_case):
    upload(alice_client, alice_case, jpeg_with_exif("2026:11:20 22:05:33", "+09:00"), name="tokyo.jpg")
    [ev] = uploaded(alice_case)
    assert ev.exif_taken_at == dt.datetime(2026, 11, 20, 21, 5, 33, tzinfo=CHINA_TZ)


def test_it_leaves_the_photo_time_empty_without_exif(alice_client, alice_case):
    upload(alice_client, alice_case, png())
    assert uploaded(alice_case)[0].exif_taken_at is None


# --- what is accepted -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("聊天记录.txt", "客服：已退款请查收".encode("gbk"), "text/plain"),
        ("export.txt", "\ufeff客服：已退款".encode("utf-16"), "text/plain"),
        ("reply.eml", b"Return-Path: <cs@kamen.example>\r\nSubject: refund\r\n\r\nno", "message/rfc822"),
        ("voice.m4a", b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom" + bytes(64), "audio/mp4"),
        ("rec.3gp", b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00isom3gp4" + bytes(64), "video/3gpp"),
        ("screen.mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64), "video/mp4"),
        ("call.amr", b"#!AMR\n" + bytes(64), "audio/amr"),
        ("receipt.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/pdf"),
    ],
)
def test_it_accepts_evidence_formats_by_content(alice_client, alice_case, name, data, content_type):
    response = upload(alice_client, alice_case, data, name=name)
    assert messages_of(response)[0].startswith("已保存")
    assert uploaded(alice_case)[0].content_type == content_type


def test_it_rejects_a_program_renamed_png(alice_client, alice_case, settings):
    before = alice_case.events.count()
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)
    response = upload(alice_client, alice_case, exe, name="截图.png")
    assert response.status_code == 302
    [message] = messages_of(response)
    assert "「截图.png」的内容是可执行程序" in message
    assert_nothing_stored(alice_case, settings, before)


def test_it_rejects_a_shell_script_renamed_txt(alice_client, alice_case, settings):
    response = upload(alice_client, alice_case, b"#!/bin/sh\nrm -rf ~\n", name="聊天.txt")
    assert "可执行程序或脚本" in messages_of(response)[0]
    assert uploaded(alice_case) == []


def test_it_rejects_unknown_binary_data(alice_client, alice_case, settings):
    before = alice_case.events.count()
    response = upload(alice_client, alice_case, bytes(range(256)) * 8, name="evidence.png")
    assert messages_of(response)[0].startswith("无法识别「evidence.png」的文件类型，未保存。可以上传：图片")
    assert_nothing_stored(alice_case, settings, before)


def test_it_asks_for_archives_to_be_unpacked(alice_client, alice_case):
    response = upload(alice_client, alice_case, b"PK\x03\x04" + bytes(60), name="all.zip")
    assert "请解压后" in messages_of(response)[0]


def test_it_rejects_an_empty_file(alice_client, alice_case, settings):
    before = alice_case.events.count()
    response = upload(alice_client, alice_case, b"", name="empty.png")
    assert messages_of(response) == ["文件「empty.png」是空的（0 字节），未保存。"]
    assert_nothing_stored(alice_case, settings, before)


def test_it_requires_a_known_kind(alice_client, alice_case, settings):
    before = alice_case.events.count()
    response = upload(alice_client, alice_case, png(), kind="selfie")
    assert messages_of(response) == ["未知的证据种类：selfie"]
    assert_nothing_stored(alice_case, settings, before)


def test_it_requires_a_file(alice_client, alice_case):
    response = alice_client.post(reverse("evidence_upload", args=[alice_case.public_id]), {"kind": "cs_chat"})
    assert messages_of(response) == ["没有收到文件：请选择要上传的文件后再提交。"]


# --- size limit -----------------------------------------------------------------------------------------------


def test_it_stops_writing_once_a_file_is_over_the_limit(alice_client, alice_case, settings, spooled):
    settings.EVIDENCE_MAX_BYTES = 1_500_000
    before = alice_case.events.count()
    response = upload(
        alice_client, alice_case, b"\x00\x00\x00\x18ftypmp42" + bytes(2_200_000), name="录屏.mp4"
    )

    assert messages_of(response) == [
        "文件「录屏.mp4」超过 1.4 MB 的上限，未保存。较长的录屏请分段录制后逐段上传。"
    ]
    assert len(spooled) == 1, "the first megabyte went to a temp file, which is gone now"
    assert_nothing_stored(alice_case, settings, before)


def test_it_refuses_a_body_declared_too_large_without_reading_it(
    alice_client, alice_case, settings, monkeypatch
):
    settings.EVIDENCE_MAX_BYTES = 1000

    def no_spool(*args, **kwargs):
        raise AssertionError("the body must not be read")

    monkeypatch.setattr(BlobStore, "spool", no_spool)
    before = alice_case.events.count()
    response = upload(alice_client, alice_case, bytes(1_100_000), name="huge.mp4")
    assert messages_of(response) == ["文件超过 1000 字节 的上限，未保存。较长的录屏请分段录制后逐段上传。"]
    assert_nothing_stored(alice_case, settings, before)


# --- interrupted uploads --------------------------------------------------------------------------------------


def multipart(case, data: bytes) -> bytes:
    return encode_multipart(
        BOUNDARY, {"kind": "error_recording", "file": SimpleUploadedFile("录屏.mp4", data)}
    )


def test_an_upload_cut_off_mid_file_leaves_no_row_and_no_file(alice_client, alice_case, settings, spooled):
    body = multipart(alice_case, b"\x00\x00\x00\x18ftypmp42" + os.urandom(3_000_000))
    before = alice_case.events.count()
    # The client went away: the body ends in the middle of the file, without its closing boundary.
    response = alice_client.generic(
        "POST", reverse("evidence_upload", args=[alice_case.public_id]), body[:2_000_000], MULTIPART_CONTENT
    )
    assert response.status_code == 302
    assert spooled, "part of the file had been written before the body ended"
    assert_nothing_stored(alice_case, settings, before)


class DisconnectingInput:
    """wsgi.input of a client whose connection drops after ``fail_after`` bytes."""

    def __init__(self, body: bytes, fail_after: int) -> None:
        self.stream, self.left = io.BytesIO(body), fail_after

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise OSError("Connection reset by peer")
        chunk = self.stream.read(min(size, self.left) if size >= 0 else self.left)
        self.left -= len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:  # pragma: no cover - the multipart parser never calls it
        return self.stream.readline(size)


def test_a_connection_dropped_mid_stream_leaves_no_row_and_no_file(
    alice_client, alice_case, settings, spooled
):
    body = multipart(alice_case, b"\x00\x00\x00\x18ftypmp42" + os.urandom(3_000_000))
    before = alice_case.events.count()

    response = alice_client.request(
        REQUEST_METHOD="POST",
        PATH_INFO=reverse("evidence_upload", args=[alice_case.public_id]),
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": DisconnectingInput(body, fail_after=2_500_000)},
    )

    assert response.status_code == 400
    assert spooled, "part of the file had been written before the connection dropped"
    assert_nothing_stored(alice_case, settings, before)


# --- who may upload -------------------------------------------------------------------------------------------


def test_it_hides_other_peoples_cases_from_upload(bob_client, alice_case, settings):
    before = alice_case.events.count()
    response = upload(bob_client, alice_case, png())
    assert response.status_code == 404
    assert_nothing_stored(alice_case, settings, before)


def test_it_checks_the_csrf_token_after_installing_the_handler(alice, alice_case, settings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert upload(client, alice_case, png()).status_code == 403
    assert uploaded(alice_case) == [] and temp_files(settings) == []

    client.cookies["csrftoken"] = token = "a" * 32
    response = upload(client, alice_case, png(), csrfmiddlewaretoken=token)
    assert response.status_code == 302 and len(uploaded(alice_case)) == 1


# --- download -------------------------------------------------------------------------------------------------


def test_it_downloads_the_original_with_its_name(alice_client, alice_case):
    data = jpeg_with_exif("2026:11:20 21:05:33")
    upload(alice_client, alice_case, data, name="订单截图.jpg", kind="order_screenshot")
    [ev] = uploaded(alice_case)
    response = alice_client.get(reverse("evidence_download", args=[ev.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "%E8%AE%A2%E5%8D%95%E6%88%AA%E5%9B%BE.jpg" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == data


def test_it_hides_other_peoples_evidence_from_download(bob_client, alice_case, alice):
    ev = store_upload(alice_case, SimpleUploadedFile("chat.png", png()), kind="cs_chat", actor=alice)
    assert bob_client.get(reverse("evidence_download", args=[ev.public_id])).status_code == 404


def test_a_declared_item_without_file_has_nothing_to_download(alice_client, alice_case):
    declared = alice_case.evidence.filter(declared=True).first()
    assert alice_client.get(reverse("evidence_download", args=[declared.public_id])).status_code == 404


# --- the service directly -------------------------------------------------------------------------------------


def test_the_service_rejects_with_a_message_and_changes_nothing(alice_case, settings):
    before = alice_case.events.count()
    with pytest.raises(EvidenceRejected) as exc:
        store_upload(alice_case, SimpleUploadedFile("x.png", b"MZ" + bytes(100)), kind="cs_chat")
    assert "可执行程序" in exc.value.message
    assert_nothing_stored(alice_case, settings, before)


# --- cleanup --------------------------------------------------------------------------------------------------


def test_cleanup_removes_old_temp_files_and_unreferenced_blobs_only(alice_case, alice, settings):
    kept = store_upload(alice_case, SimpleUploadedFile("chat.png", png()), kind="cs_chat", actor=alice)
    store = BlobStore(settings.EVIDENCE_DIR)
    orphan_sha, young_sha = hashlib.sha256(b"orphan").hexdigest(), hashlib.sha256(b"young").hexdigest()
    for sha, data in ((orphan_sha, b"orphan"), (young_sha, b"young")):
        store.path(sha).parent.mkdir(parents=True, exist_ok=True)
        store.path(sha).write_bytes(data)
    stale_temp, fresh_temp = store.tmp_dir / "upload-stale.part", store.tmp_dir / "upload-fresh.part"
    stale_temp.write_bytes(b"half")
    fresh_temp.write_bytes(b"in progress")
    two_days_ago = time.time() - 48 * 3600
    for path in (stale_temp, store.path(orphan_sha), store.path(kept.sha256)):
        os.utime(path, (two_days_ago, two_days_ago))

    out = io.StringIO()
    call_command("cleanup_evidence", "--hours", "24", stdout=out)

    assert not stale_temp.exists() and not store.path(orphan_sha).exists()
    assert fresh_temp.exists() and store.path(young_sha).exists() and store.path(kept.sha256).exists()
    assert "已删除临时文件 1 个、无引用的证据文件 1 个" in out.getvalue()


def test_a_multipart_body_without_a_boundary_is_a_chinese_400_and_stores_nothing(
    alice_client, alice_case, settings
):
    body = multipart(alice_case, png())
    before = alice_case.events.count()
    response = alice_client.generic(
        "POST", reverse("evidence_upload", args=[alice_case.public_id]), body, "multipart/form-data"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "上传的表单格式不正确" in page and "文件未保存" in page
    assert (
        f'href="{reverse("case_detail", args=[alice_case.public_id])}#evidence"' in page
    )  # back to the case
    assert_nothing_stored(alice_case, settings, before)
