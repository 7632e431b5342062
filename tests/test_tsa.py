"""Trusted time (RFC 3161) against a TSA the tests start themselves: stamping a file, a capture folder and a
bundle, checking imprint and signature offline, and what is said when no TSA is configured."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import pytest
from tsa_support import local_tsa

from weiquan.cli import main
from weiquan.evidence.tsa import NO_TSA_NOTE, TsaError, stamp, verify_token


@pytest.fixture(scope="module")
def tsa():
    with local_tsa() as (url, pem):
        yield url, pem


@pytest.fixture
def bill(tmp_path):
    f = tmp_path / "支付宝账单.png"
    f.write_bytes(b"\x89PNG\r\n\x1a\n" + b"bill" * 100)
    return f


def test_stamp_writes_a_token_beside_the_file_and_it_verifies_offline(tsa, bill):
    url, _pem = tsa
    token = stamp(bill, url)
    assert token.name == "支付宝账单.png.tsr"
    check = verify_token(bill)
    assert check.ok, check.problems
    assert "weiquan 测试时间戳服务" in check.tsa
    assert "已存在且此后未被改动" in check.summary()


def test_a_changed_file_or_a_changed_token_is_named(tsa, bill, tmp_path):
    url, _pem = tsa
    stamp(bill, url)
    bill.write_bytes(bill.read_bytes() + b"x")
    assert verify_token(bill).problems == [
        "支付宝账单.png 在加盖时间戳之后被改动过（哈希与时间戳中记录的不符）"
    ]

    other = tmp_path / "b.txt"
    other.write_text("订单截图")
    token = stamp(other, url)
    raw = bytearray(token.read_bytes())
    raw[-5] ^= 0xFF  # a byte of the signature (the token ends with the signer's signature)
    token.write_bytes(bytes(raw))
    assert verify_token(other).problems == ["b.txt.tsr 的签名无效：时间戳被改动过，或不是这个机构签发的"]


def test_trusted_list_accepts_our_tsa_and_rejects_another(tsa, bill, tmp_path, monkeypatch):
    url, pem = tsa
    stamp(bill, url)
    trusted = tmp_path / "tsa.pem"
    trusted.write_bytes(pem)
    monkeypatch.setenv("WEIQUAN_TSA_CERTS", str(trusted))
    assert verify_token(bill).trusted
    with local_tsa() as (other_url, other_pem):
        trusted.write_bytes(other_pem)
    check = verify_token(bill)
    assert not check.ok and "不在受信任的时间戳机构列表中" in check.problems[0]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
def test_openssl_accepts_the_token(tsa, bill, tmp_path):
    url, pem = tsa
    token = stamp(bill, url)
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pem)
    result = subprocess.run(
        ["openssl", "ts", "-verify", "-in", str(token), "-data", str(bill), "-CAfile", str(ca)],
        capture_output=True,
        text=True,
    )
    assert "Verification: OK" in result.stdout, result.stderr


def test_without_a_tsa_weiquan_says_what_sha256_alone_proves(bill, monkeypatch, capsys):
    monkeypatch.delenv("WEIQUAN_TSA_URL", raising=False)
    with pytest.raises(TsaError, match="不能证明文件在某个时间之前就已存在"):
        stamp(bill)
    assert main(["stamp", str(bill)]) == 2
    assert "SHA-256 只能证明" in capsys.readouterr().err
    assert "不能证明" in NO_TSA_NOTE


def test_cli_stamp_and_verify_a_file(tsa, bill, capsys):
    url, _pem = tsa
    assert main(["stamp", str(bill), "--tsa", url]) == 0
    capsys.readouterr()
    assert main(["verify", str(bill)]) == 0
    assert "可信时间戳有效" in capsys.readouterr().out
    bill.write_bytes(b"changed")
    assert main(["verify", str(bill)]) == 1
    assert "被改动过" in capsys.readouterr().out


def test_capture_folder_with_a_stamped_manifest(tsa, tmp_path, capsys):
    from weiquan.evidence.capture import sha256_file

    url, _pem = tsa
    folder = tmp_path / "cap"
    folder.mkdir()
    (folder / "page.txt").write_text("概不退换", encoding="utf-8")
    manifest = {
        "url": "https://km.example/rules",
        "captured_at": "2026-11-20T02:00:00+00:00",
        "files": [
            {
                "path": "page.txt",
                "size": (folder / "page.txt").stat().st_size,
                "sha256": sha256_file(folder / "page.txt"),
            }
        ],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["stamp", str(folder), "--tsa", url]) == 0
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 0
    assert "可信时间戳有效" in capsys.readouterr().out
    # rewriting page.txt together with its manifest line is caught by the token on the manifest
    (folder / "page.txt").write_text("可以退换", encoding="utf-8")
    manifest["files"][0]["sha256"] = sha256_file(folder / "page.txt")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["verify", str(folder)]) == 1
    assert "manifest.json 在加盖时间戳之后被改动过" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_token_inside_the_bundle_and_a_token_beside_it_are_checked(tsa, alice_case, tmp_path, capsys):
    from weiquan.evidence.bundle import bundle_file

    url, _pem = tsa
    zpath = tmp_path / "bundle.zip"
    with bundle_file(alice_case) as src:
        src.seek(0)
        zpath.write_bytes(src.read())
    stamp(zpath, url)
    assert main(["verify", str(zpath)]) == 0
    assert "可信时间戳有效" in capsys.readouterr().out

    # a member stamped inside the bundle (manifest.json.tsr beside manifest.json)
    members = tmp_path / "m"
    members.mkdir()
    (members / "manifest.json").write_bytes(zipfile.ZipFile(zpath).read("manifest.json"))
    token = stamp(members / "manifest.json", url)
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(zpath) as zin, zipfile.ZipFile(inner, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("manifest.json.tsr", token.read_bytes())
    assert main(["verify", str(inner)]) == 0
    assert "manifest.json：可信时间戳有效" in capsys.readouterr().out


@pytest.mark.django_db
def test_stamped_evidence_carries_its_token_into_the_bundle(
    tsa, alice_case, alice_client, tmp_path, monkeypatch, capsys
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from weiquan.evidence.bundle import bundle_file
    from weiquan.evidence.services import store_upload

    url, _pem = tsa
    evidence = store_upload(
        alice_case, SimpleUploadedFile("聊天.txt", "客服：概不退换".encode(), "text/plain"), kind="cs_chat"
    )
    monkeypatch.delenv("WEIQUAN_TSA_URL", raising=False)
    r = alice_client.post(f"/evidence/{evidence.public_id}/stamp", follow=True)
    assert "SHA-256 只能证明" in r.content.decode()  # no TSA configured: said plainly, nothing stamped
    monkeypatch.setenv("WEIQUAN_TSA_URL", url)
    r = alice_client.post(f"/evidence/{evidence.public_id}/stamp", follow=True)
    assert "已加盖可信时间戳" in r.content.decode()
    assert alice_case.events.filter(kind="evidence_stamped").exists()

    zpath = tmp_path / "bundle.zip"
    with bundle_file(alice_case) as src:
        zpath.write_bytes(src.read())
    names = zipfile.ZipFile(zpath).namelist()
    assert any(n.endswith("聊天.txt.tsr") for n in names)
    assert main(["verify", str(zpath)]) == 0
    assert "聊天.txt：可信时间戳有效" in capsys.readouterr().out
