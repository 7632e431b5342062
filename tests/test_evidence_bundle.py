"""The export bundle: the originals, the manifest with the whole case log, and the 证据清单 with every hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from weiquan.evidence import bundle as bundle_module
from weiquan.evidence.bundle import build_bundle, safe_name
from weiquan.evidence.services import store_upload
from weiquan.evidence.verify import verify_bundle

pytestmark = pytest.mark.django_db

PNG_BUF = io.BytesIO()
Image.new("RGB", (32, 24), "red").save(PNG_BUF, "PNG")
PNG = PNG_BUF.getvalue()
CHAT = "2026-11-20 21:05 客服：卡密已发，概不退换".encode()


@pytest.fixture
def case_with_files(alice_case, alice):
    store_upload(alice_case, SimpleUploadedFile("chat.png", PNG), kind="cs_chat", actor=alice)
    store_upload(alice_case, SimpleUploadedFile("聊天记录.txt", CHAT), kind="cs_chat", description="导出")
    return alice_case


def test_it_contains_the_files_the_manifest_and_the_evidence_list(case_with_files, tmp_path):
    out = tmp_path / "bundle.zip"
    build_bundle(case_with_files, out)

    with zipfile.ZipFile(out) as zf:
        # The seed case file declares three items without files: they are 1–3 in the list, the uploads 4 and 5.
        assert sorted(zf.namelist()) == [
            "files/4-chat.png",
            "files/5-聊天记录.txt",
            "manifest.json",
            "证据清单.pdf",
        ]
        assert zf.read("files/4-chat.png") == PNG
        assert zf.read("files/5-聊天记录.txt") == CHAT
        assert zf.read("证据清单.pdf").startswith(b"%PDF")
        manifest = json.loads(zf.read("manifest.json"))

    assert manifest["case"] == str(case_with_files.public_id)
    items = manifest["evidence"]
    assert [i["seq"] for i in items] == [1, 2, 3, 4, 5]
    assert [i["path"] for i in items] == [None, None, None, "files/4-chat.png", "files/5-聊天记录.txt"]
    chat = items[3]
    assert chat["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert (chat["kind"], chat["label"], chat["original_name"], chat["size"]) == (
        "cs_chat",
        "客服聊天记录",
        "chat.png",
        len(PNG),
    )
    stored = case_with_files.evidence.get(public_id=chat["id"])
    assert dt.datetime.fromisoformat(chat["received_at"]) == stored.received_at
    assert chat["received_at"].endswith("+08:00")
    assert chat["exif_taken_at"] is None
    events = list(case_with_files.events.all())
    assert [(e["seq"], e["kind"], e["hash"]) for e in manifest["log"]["events"]] == [
        (e.seq, e.kind, e.hash) for e in events
    ]
    assert manifest["log"]["head"] == events[-1].hash
    case_with_files.refresh_from_db()
    assert manifest["log"]["head"] == case_with_files.log_head


def test_the_evidence_list_shows_the_hash_of_the_bytes_in_the_zip(case_with_files, tmp_path, monkeypatch):
    documents = []
    real_render = bundle_module.render_pdf
    monkeypatch.setattr(bundle_module, "render_pdf", lambda doc: documents.append(doc) or real_render(doc))

    build_bundle(case_with_files, tmp_path / "bundle.zip")

    text = documents[0].text()
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        for entry in ("files/4-chat.png", "files/5-聊天记录.txt"):
            assert hashlib.sha256(zf.read(entry)).hexdigest() in text
    assert "文件：4-chat.png" in text and "文件：5-聊天记录.txt" in text


def test_a_stored_file_changed_after_upload_is_listed_by_its_real_hash_and_caught_by_verify(
    case_with_files, tmp_path, monkeypatch
):
    from weiquan.evidence.storage import blob_store
    from weiquan.evidence.verify import verify_bundle

    documents = []
    real_render = bundle_module.render_pdf
    monkeypatch.setattr(bundle_module, "render_pdf", lambda doc: documents.append(doc) or real_render(doc))
    path = blob_store().path(hashlib.sha256(PNG).hexdigest())
    path.chmod(0o644)
    path.write_bytes(PNG + b"tampered")

    build_bundle(case_with_files, tmp_path / "bundle.zip")

    assert hashlib.sha256(PNG + b"tampered").hexdigest() in documents[0].text()
    report = verify_bundle(tmp_path / "bundle.zip")
    assert not report.ok and any("4-chat.png" in p for p in report.problems)


def test_it_falls_back_to_a_text_list_without_a_cjk_font(case_with_files, tmp_path, monkeypatch):
    from weiquan.domain.render import CJKFontMissing

    def no_font(doc):
        raise CJKFontMissing("no font")

    monkeypatch.setattr(bundle_module, "render_pdf", no_font)
    build_bundle(case_with_files, tmp_path / "bundle.zip")
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        assert "证据清单.txt" in zf.namelist()
    assert verify_bundle(tmp_path / "bundle.zip").ok


def test_the_bundle_view_serves_a_verifiable_zip(alice_client, case_with_files, tmp_path):
    response = alice_client.get(reverse("case_bundle", args=[case_with_files.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    out = tmp_path / "download.zip"
    out.write_bytes(b"".join(response.streaming_content))
    assert verify_bundle(out).ok


def test_it_hides_other_peoples_bundles(bob_client, case_with_files):
    assert bob_client.get(reverse("case_bundle", args=[case_with_files.public_id])).status_code == 404


def test_zip_names_are_safe_on_every_system():
    assert safe_name('订单 "截图" <1>?.png') == "订单 _截图_ _1__.png"
    assert safe_name("..") == "file"
    assert safe_name("a" * 300 + ".jpeg") == "a" * 90 + ".jpeg"
