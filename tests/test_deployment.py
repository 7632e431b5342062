"""Issue 12 point 7 and issue 11 (SECRET_KEY): production settings that pass `check --deploy`, a hosted
configuration that refuses to start without a shared SECRET_KEY, CSP without inline script, Permissions-Policy,
a Chinese 413 at the size limits, Chinese errors for bad numbers in the environment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from weiquan.middleware import HeadWithoutBodyMiddleware

ROOT = Path(__file__).parent.parent
TEMPLATES = ROOT / "weiquan" / "templates"
KEY = "k" * 20 + "-production-secret-key-for-tests-only"
HOSTED = {
    "WEIQUAN_PRODUCTION": "1",
    "SECRET_KEY": KEY,
    "SITE_URL": "https://weiquan.example.org",
    "WEIQUAN_ALLOWED_HOSTS": "weiquan.example.org",
    "WEIQUAN_TRUSTED_PROXIES": "10.0.0.0/8",
}


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: no WEIQUAN_*/DATABASE_URL of the test run, nor the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE.
    skip = ("WEIQUAN_", "DATABASE_URL", "SECRET_KEY", "DJANGO_", "REDIS_URL")
    base = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    base.update(WEIQUAN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="weiquan.settings", **env)
    return subprocess.run(
        [sys.executable, *args], env=base, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def settings_of(tmp_path: Path, *names: str, **env: str) -> dict[str, object]:
    code = "import json, django; django.setup(); from django.conf import settings; print(json.dumps({n: getattr(settings, n) for n in %r}, default=str))"
    out = run(["-c", code % (names,)], tmp_path, **env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_check_deploy_is_clean(tmp_path):
    out = run(["-m", "django", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **HOSTED)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues (0 silenced)." in out.stdout


def test_hosted_settings_turn_on_https_protections(tmp_path):
    s = settings_of(
        tmp_path,
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        **HOSTED,
        WEIQUAN_HSTS_SECONDS="600",
    )
    assert s == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 600,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "ALLOWED_HOSTS": ["weiquan.example.org"],
        "CSRF_TRUSTED_ORIGINS": ["https://weiquan.example.org"],
    }


def test_a_hosted_configuration_refuses_to_start_without_a_secret_key(tmp_path):
    for env in ({"WEIQUAN_PRODUCTION": "1"}, {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/none"}):
        out = run(["-m", "weiquan.cli", "serve"], tmp_path, **env)
        assert out.returncode == 2
        assert out.stderr.startswith(
            "配置有误：托管部署（设置了 WEIQUAN_PRODUCTION=1，或 DATABASE_URL 指向 PostgreSQL）必须设置环境变量 SECRET_KEY"
        )
        assert "Traceback" not in out.stderr
    assert not (tmp_path / "secret_key").exists()  # never generated silently in a hosted configuration


def test_the_local_start_keeps_its_own_generated_key(tmp_path):
    first = settings_of(tmp_path, "SECRET_KEY", "ALLOWED_HOSTS")
    second = settings_of(tmp_path, "SECRET_KEY")
    assert first["SECRET_KEY"] == second["SECRET_KEY"] == (tmp_path / "secret_key").read_text()
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert "testserver" not in first["ALLOWED_HOSTS"]  # Django's test runner adds it for tests only


@pytest.mark.parametrize("value", ["nan", "Infinity", "-3", "5.5", "many"])
def test_a_bad_number_in_the_environment_is_explained_in_chinese(value, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from weiquan.settings import envint

    monkeypatch.setenv("LOGIN_RATE_LIMIT", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        envint("LOGIN_RATE_LIMIT", 5)
    assert str(refused.value) == f"环境变量 LOGIN_RATE_LIMIT 应为不小于 0 的整数，现在是“{value}”"


def test_a_bad_setting_stops_the_start_with_one_chinese_line(tmp_path):
    out = run(["-m", "weiquan.cli", "serve"], tmp_path, LOGIN_RATE_LIMIT="NaN")
    assert (out.returncode, out.stderr) == (
        2,
        "配置有误：环境变量 LOGIN_RATE_LIMIT 应为不小于 0 的整数，现在是“NaN”\n",
    )
    out = run(["-m", "weiquan.cli", "serve"], tmp_path, WEIQUAN_TRUSTED_PROXIES="10.0.0.0/8,proxy.local")
    assert "WEIQUAN_TRUSTED_PROXIES 里有无法识别的地址" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.django_db
def test_pages_carry_a_csp_without_inline_script_and_a_permissions_policy(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert (
        "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    )


def test_no_template_has_inline_script():
    # The CSP would block these in the browser: every script is a static file, no on…= handlers, no javascript:.
    found = []
    for path in TEMPLATES.rglob("*.html"):
        if path.parts[-2] == "emails":
            continue  # e-mail bodies are not served by us
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", text):
            found.append(f"{path.relative_to(TEMPLATES)}: {m.group(0).strip()}")
    assert found == []


@pytest.mark.django_db
def test_an_upload_over_the_evidence_limit_gets_a_chinese_413(client, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    response = client.generic(
        "POST",
        "/cases/new/",
        b"x" * 10,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH="5000000",
    )
    assert response.status_code == 413
    assert "上传的内容超过 1000 字节 的上限，未保存" in response.content.decode()
    api = client.generic(
        "POST", "/api/cases", b"{}", content_type="application/json", CONTENT_LENGTH=str(6 * 1024 * 1024)
    )
    assert api.status_code == 413
    assert api.json() == {"error": "请求内容超过 5 MB 的上限，未处理。证据文件请用证据上传功能提交。"}


@pytest.mark.django_db
def test_the_api_evidence_upload_answers_413_at_the_limit(client, alice, alice_case, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from weiquan.accounts.models import ApiToken

    settings.EVIDENCE_MAX_BYTES = 1000
    response = client.post(
        f"/api/cases/{alice_case.public_id}/evidence",
        {"file": SimpleUploadedFile("录屏.mp4", b"\0" * 5000), "kind": "cs_chat"},
        HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(alice)}",
    )
    assert response.status_code == 413
    assert (
        response.json()["error"]
        == "文件「录屏.mp4」超过 1000 字节 的上限，未保存。较长的录屏请分段录制后逐段上传。"
    )


def test_head_responses_lose_their_body_on_any_server():
    from django.http import HttpResponse, StreamingHttpResponse

    rf = RequestFactory()
    plain = HeadWithoutBodyMiddleware(lambda r: HttpResponse("正文", headers={"Content-Length": "6"}))(
        rf.head("/")
    )
    assert plain.content == b"" and plain["Content-Length"] == "6"
    stream = HeadWithoutBodyMiddleware(lambda r: StreamingHttpResponse(iter([b"a", b"b"])))(rf.head("/"))
    assert b"".join(stream.streaming_content) == b""
    get = HeadWithoutBodyMiddleware(lambda r: HttpResponse("正文"))(rf.get("/"))
    assert get.content.decode() == "正文"
