"""Capturing a platform's rules page as evidence: a local HTTP server, headless Chromium, a WARC with request and
response, a full-page PNG, the page's text and a manifest that `weiquan verify` checks offline; the server-side
job queue and its guard against private addresses."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from functools import partial

import pytest

from weiquan.cli import main
from weiquan.evidence.capture import CaptureUnavailable, browser_available, capture
from weiquan.evidence.verify_capture import verify_capture

RULES = """<!doctype html><html><head><meta charset="utf-8"><title>闪电卡盟 服务条款</title>
<link rel="stylesheet" href="site.css"></head><body><h1>服务条款</h1>
<p>第5条：卡密一经发出，概不退换。</p><p>本站拥有最终解释权。</p></body></html>"""

needs_browser = pytest.mark.skipif(not browser_available(), reason="没有 /usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "rules.html").write_text(RULES, encoding="utf-8")
    (root / "site.css").write_text("body { font-size: 18px }", encoding="utf-8")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if (
                self.path == "/bounce"
            ):  # a redirect to another port: the "private address" of the redirect test
                self.send_response(302)
                self.send_header("Location", "http://127.0.0.1:65000/admin")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    handler = partial(Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def captured(site, tmp_path_factory):
    if not browser_available():
        pytest.skip("没有 /usr/bin/chromium")
    out = tmp_path_factory.mktemp("cap") / "rules"
    capture(f"{site}/rules.html", out, timeout=30)
    return out


@needs_browser
def test_capture_writes_warc_png_text_and_manifest_with_hashes(captured, site):
    from warcio.archiveiterator import ArchiveIterator

    manifest = json.loads((captured / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["url"] == f"{site}/rules.html" and manifest["status"] == 200
    assert {f["path"] for f in manifest["files"]} == {"capture.warc.gz", "page.png", "page.txt"}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])
    assert manifest["tls"] is None  # plain http: no certificate to keep
    assert "概不退换" in (captured / "page.txt").read_text(encoding="utf-8")
    assert (captured / "page.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    records = {}
    with open(captured / "capture.warc.gz", "rb") as fh:
        for rec in ArchiveIterator(fh):
            records.setdefault(rec.rec_type, []).append(rec.rec_headers.get_header("WARC-Target-URI"))
            if rec.rec_type == "response" and rec.rec_headers.get_header("WARC-Target-URI").endswith(
                "rules.html"
            ):
                assert "概不退换".encode() in rec.content_stream().read()
                assert rec.http_headers.get_statuscode() == "200"
    assert f"{site}/rules.html" in records["request"]
    assert f"{site}/site.css" in records["response"]
    assert records["warcinfo"]


@needs_browser
def test_verify_names_the_changed_and_the_added_file(captured, tmp_path, capsys):
    assert main(["verify", str(captured)]) == 0
    assert "未发现改动" in capsys.readouterr().out
    copy = tmp_path / "copy"
    shutil.copytree(captured, copy)
    (copy / "page.txt").write_text("卡密可以退换", encoding="utf-8")
    (copy / "note.txt").write_text("x", encoding="utf-8")
    report = verify_capture(copy)
    assert not report.ok
    assert "page.txt 已被改动（SHA-256 与清单不符）" in report.problems
    assert "目录中有清单之外的文件：note.txt" in report.problems
    assert main(["verify", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "page.txt 已被改动" in out and "不能证明取证的时间" in out


def test_without_a_browser_capture_says_so_plainly(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("WEIQUAN_CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(CaptureUnavailable, match="没有可用的浏览器"):
        capture("http://example.com/", tmp_path / "out")
    assert main(["capture", "http://example.com/", "--out", str(tmp_path / "out")]) == 3
    assert "其他功能不受影响" in capsys.readouterr().err


# --- the web service: jobs, guard, worker ---------------------------------------------------------------------


@pytest.mark.django_db
def test_server_refuses_loopback_addresses_in_production(alice_case, settings):
    from weiquan.evidence.intel import IntelError, queue_capture

    settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION = False
    for url in (
        "http://127.0.0.1:8000/admin/",
        "http://localhost/",
        "http://10.0.0.1/rules",
        "file:///etc/passwd",
    ):
        with pytest.raises(IntelError, match="网址"):
            queue_capture(alice_case, url)
    assert not alice_case.capture_jobs.exists()


@pytest.mark.django_db
def test_only_one_worker_claims_a_job(alice_case, settings):
    from weiquan.evidence.intel import claim_capture, queue_capture

    settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION = True
    job = queue_capture(alice_case, "http://127.0.0.1:9/rules")
    first, second = claim_capture(), claim_capture()
    assert first is not None and first.pk == job.pk and second is None
    job.refresh_from_db()
    assert job.status == "running" and job.attempts == 1


@needs_browser
@pytest.mark.django_db(transaction=True)
def test_worker_stores_the_capture_as_evidence_of_the_case(alice_case, site, settings):
    from django.core.management import call_command

    from weiquan.evidence.intel import queue_capture

    settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION = True
    job = queue_capture(alice_case, f"{site}/rules.html", kind="platform_terms")
    call_command("capture_worker")
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert job.evidence.kind == "platform_terms"
    assert job.evidence.content_type == "application/zip"
    assert "网页取证" in job.evidence.description
    assert alice_case.events.filter(kind="evidence_uploaded").exists()


@pytest.mark.django_db
def test_api_queues_a_capture_for_the_owner_only(client, alice_case, bob, settings):
    from weiquan.accounts.models import ApiToken

    settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION = False
    alice = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(alice_case.owner)}"}
    outsider = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(bob)}"}
    url = f"/api/cases/{alice_case.public_id}/captures"
    body = {"url": "http://127.0.0.1/rules"}
    assert client.post(url, body, content_type="application/json", **outsider).status_code == 404
    r = client.post(url, body, content_type="application/json", **alice)
    assert r.status_code == 422 and "内网或本机地址" in r.json()["error"]
    settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION = True
    r = client.post(url, body, content_type="application/json", **alice)
    assert r.status_code == 201 and r.json()["status"] == "queued"
    assert [j["url"] for j in client.get(url, **alice).json()] == ["http://127.0.0.1/rules"]


@needs_browser
def test_a_redirect_to_a_refused_address_is_not_followed(site, tmp_path):
    from weiquan.evidence.capture import CaptureError

    asked = []

    def resolve(host, port):  # stands in for the production guard: a second port plays the private address
        asked.append((host, port))
        if port != int(site.rsplit(":", 1)[1]):
            raise CaptureError("指向内网或本机地址，出于安全原因不访问")
        return ["127.0.0.1"]

    with pytest.raises(CaptureError, match="出于安全原因未访问：127.0.0.1:65000"):
        capture(f"{site}/bounce", tmp_path / "out", resolve=resolve, timeout=15)
    assert ("127.0.0.1", 65000) in asked  # the redirect's target was checked, and refused
    assert not (tmp_path / "out").exists()


def test_tls_certificate_is_recorded_as_presented(tmp_path):
    import datetime as dt
    import socket
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from weiquan.evidence.capture import tls_certificate

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "km.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4711)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        for _ in range(2):  # the certificate read, then the validation attempt
            conn, _ = listener.accept()
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    info = tls_certificate("127.0.0.1", port)
    listener.close()
    assert info["subject"] == "CN=km.example" and info["serial"] == format(4711, "x")
    assert info["pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert len(info["sha256_fingerprint"]) == 64
    assert (
        info["valid"] is False and info["validation_error"]
    )  # self-signed: recorded, and said to be invalid


@needs_browser
def test_a_page_over_the_size_cap_is_not_kept(site, tmp_path):
    from weiquan.evidence.capture import CaptureError

    with pytest.raises(CaptureError, match="页面太大"):
        capture(
            f"{site}/rules.html",
            tmp_path / "out",
            resolve=lambda h, p: ["127.0.0.1"],
            max_bytes=100,
            timeout=15,
        )
    assert not (tmp_path / "out").exists()


@needs_browser
def test_https_page_with_a_self_signed_certificate_is_captured_and_the_certificate_kept(tmp_path):
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text('<meta charset="utf-8"><p>本站拥有最终解释权</p>', encoding="utf-8")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = tmp_path / "cap"
        capture(f"https://127.0.0.1:{server.server_address[1]}/index.html", out, timeout=20)
    finally:
        server.shutdown()
        server.server_close()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tls"]["subject"] == "CN=127.0.0.1"
    assert manifest["tls"]["valid"] is False
    assert "最终解释权" in (out / "page.txt").read_text(encoding="utf-8")
    assert verify_capture(out).ok
