"""verify_bundle: a clean bundle verifies; any changed byte, edited or deleted log entry is named."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from weiquan.cases.canonical import event_hash, event_time
from weiquan.evidence.bundle import build_bundle
from weiquan.evidence.services import store_upload
from weiquan.evidence.verify import verify_bundle

pytestmark = pytest.mark.django_db

CHAT = "客服：卡密已发，概不退换".encode()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def bundle(alice_case, alice, tmp_path) -> Path:
    """Log: 1 created, 2 upload of chat.txt, 3 upload of chat.png, 4 a contact with 12315."""
    store_upload(alice_case, SimpleUploadedFile("chat.txt", CHAT), kind="cs_chat", actor=alice)
    store_upload(alice_case, SimpleUploadedFile("chat.png", PNG), kind="cs_chat", actor=alice)
    alice_case.add_contact(
        at=dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), channel="12315", response="pending"
    )
    path = tmp_path / "bundle.zip"
    build_bundle(alice_case, path)
    return path


def rewrite(
    src: Path, change: Callable[[str, bytes], bytes | None], add: dict[str, bytes] | None = None
) -> Path:
    """A copy of the bundle with entries changed (return new bytes) or dropped (return None), as a tamperer would."""
    dst = src.with_name("tampered.zip")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def edit_manifest(src: Path, edit: Callable[[dict], None]) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest, ensure_ascii=False).encode()

    return rewrite(src, change)


def test_a_clean_bundle_verifies(bundle):
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert (report.files_checked, report.events_checked) == (3, 4)  # two files and the evidence list
    assert "结论：未发现改动" in report.text()
    assert report.head in report.text()


def test_it_names_a_file_with_one_changed_byte(bundle):
    def flip(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name == "files/5-chat.png" else data

    report = verify_bundle(rewrite(bundle, flip))
    assert not report.ok
    assert report.problems == ["files/5-chat.png 的 SHA-256 与清单不符"]
    assert "1. files/5-chat.png 的 SHA-256 与清单不符" in report.text()


def test_it_names_a_file_changed_in_place_inside_the_zip(bundle):
    raw = bytearray(bundle.read_bytes())
    raw[raw.index(PNG) + 100] ^= 0xFF  # stored uncompressed: the image bytes sit in the ZIP as they are
    bundle.write_bytes(raw)
    assert verify_bundle(bundle).problems == ["files/5-chat.png 已损坏（ZIP 校验失败），内容与清单不符"]


def test_it_catches_a_file_swapped_together_with_its_manifest_line(bundle):
    fake = b"\x89PNG\r\n\x1a\n" + bytes(100)

    def swap(name: str, data: bytes) -> bytes:
        if name == "files/5-chat.png":
            return fake
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["evidence"][4]["sha256"] = __import__("hashlib").sha256(fake).hexdigest()
            return json.dumps(manifest).encode()
        return data

    assert verify_bundle(rewrite(bundle, swap)).problems == [
        "files/5-chat.png 的 SHA-256 与日志第3条记录的不符"
    ]


def test_it_names_an_edited_log_entry(bundle):
    def edit(manifest: dict) -> None:
        manifest["log"]["events"][2]["payload"]["original_name"] = "别的文件.png"

    assert verify_bundle(edit_manifest(bundle, edit)).problems == ["日志第3条被改动（哈希不符）"]


def test_it_names_an_entry_rewritten_with_a_fresh_hash(bundle):
    def edit(manifest: dict) -> None:
        entry = manifest["log"]["events"][2]
        entry["payload"]["description"] = "改过"
        entry["hash"] = event_hash(**{k: entry[k] for k in ("seq", "at", "kind", "payload", "prev_hash")})

    assert verify_bundle(edit_manifest(bundle, edit)).problems == ["日志第4条的前一条哈希与第3条不符"]


def test_it_names_a_deleted_log_entry(bundle):
    def edit(manifest: dict) -> None:
        del manifest["log"]["events"][2]

    assert verify_bundle(edit_manifest(bundle, edit)).problems == [
        "日志第2条与第4条之间缺少 1 条",
        "日志第4条的前一条哈希与第2条不符",
        "files/5-chat.png 在案件日志中没有上传记录",
    ]


def test_it_names_a_log_cut_short_at_the_end(bundle):
    def edit(manifest: dict) -> None:
        manifest["log"]["events"].pop()

    assert verify_bundle(edit_manifest(bundle, edit)).problems == [
        "日志末条（第3条）的哈希与清单记录的日志头不符：日志末尾可能被删减"
    ]


def test_it_names_files_missing_from_and_extra_to_the_manifest(bundle):
    def drop(name: str, data: bytes) -> bytes | None:
        return None if name == "files/4-chat.txt" else data

    report = verify_bundle(rewrite(bundle, drop, add={"files/9-new.png": b"\x89PNG"}))
    assert report.problems == [
        "清单中的 files/4-chat.txt 在压缩包中不存在",
        "压缩包中有清单之外的文件：files/9-new.png",
    ]


def test_it_names_a_second_copy_of_a_file(bundle):
    with zipfile.ZipFile(bundle, "a") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("files/5-chat.png", b"\x89PNG other")
    assert "files/5-chat.png 在压缩包中出现了 2 次" in verify_bundle(bundle).problems


def test_it_reports_what_is_not_a_bundle(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert verify_bundle(junk).problems[0].startswith("无法打开证据包")
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    assert verify_bundle(empty).problems == ["压缩包中没有 manifest.json（证据清单数据），无法核对"]


def test_the_log_hash_rule_is_the_case_logs(alice_case):
    alice_case.add_contact(
        at=dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), channel="12315", response="pending"
    )
    for e in alice_case.events.all():
        assert (
            e.hash
            == e.compute_hash()
            == event_hash(
                seq=e.seq, at=event_time(e.at), kind=e.kind, payload=e.payload, prev_hash=e.prev_hash
            )
        )


def test_verify_runs_without_django(bundle):
    code = (
        "import sys; from weiquan.evidence.verify import verify_bundle; r = verify_bundle(sys.argv[1]); "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'imported Django'; print(r.ok)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code, str(bundle)], capture_output=True, text=True, env=env
    )
    assert result.stdout.strip() == "True", result.stderr
