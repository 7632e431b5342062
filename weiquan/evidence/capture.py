"""Capture a web page as evidence: headless Chromium (Playwright) → a folder with

- ``capture.warc.gz``: WARC 1.1 (ISO 28500) written with warcio — a warcinfo record, then for every HTTP exchange
  the page made a ``request`` record (method, URL, headers) and a ``response`` record (status, headers, body).
  Chromium hands over bodies already decoded, so ``Content-Encoding``/``Transfer-Encoding``/``Content-Length`` are
  kept as ``X-Archive-Orig-*`` headers (the pywb convention) and Content-Length is the stored body's length;
- ``page.png``: a full-page screenshot; ``page.txt``: the page's visible text;
- ``manifest.json``: URL, final URL, time (UTC and Beijing), HTTP status, the server's address, the TLS certificate
  when https (subject, issuer, validity, SHA-256 fingerprint and PEM), and each file's size and SHA-256.

``weiquan verify DIR`` (verify.verify_capture) checks the folder offline. The browser is Debian's chromium
(``WEIQUAN_CHROMIUM``, default /usr/bin/chromium); when none is installed ``CaptureUnavailable`` says so plainly.
On the server every connection the page makes goes through a guarding proxy (guard_proxy.py) that refuses private
and loopback addresses and connects to the address it checked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from weiquan.domain.documents import sha256_file  # the project's one streamed file hash
from weiquan.evidence.guard_proxy import GuardProxy

CHINA_TZ = ZoneInfo("Asia/Shanghai")
WARC_NAME, PNG_NAME, TEXT_NAME, MANIFEST_NAME = "capture.warc.gz", "page.png", "page.txt", "manifest.json"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pings",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
]
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 30 * 1024 * 1024
SHA256_NOTE = (
    "SHA-256 证明：这些文件自清单写成后没有被改动（改动任何一个字节，校验就会失败）。"
    "它不能证明取证的时间，也不能证明网页当时确实是这个内容——清单和文件可以被一起重新生成；"
    "要证明时间，请加盖可信时间戳（RFC 3161），或通过公证处、电子存证平台固定证据。"
)


class CaptureError(Exception):
    """The page could not be captured; the message is Chinese."""


class CaptureUnavailable(CaptureError):
    """No browser on this machine: capture cannot work here, everything else does."""


def chromium_path() -> str:
    return os.environ.get("WEIQUAN_CHROMIUM", "/usr/bin/chromium")


def browser_available() -> bool:
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def unavailable_message() -> str:
    return (
        f"这台机器上没有可用的浏览器（{chromium_path()} 不存在或 Playwright 未安装），无法网页取证；"
        "其他功能不受影响。安装 Debian 的 chromium（apt-get install chromium）后即可使用，"
        "或用 WEIQUAN_CHROMIUM 指定浏览器路径。"
    )


@dataclass
class _Exchange:
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    body: bytes
    at: dt.datetime


@dataclass
class CaptureResult:
    folder: Path
    manifest: dict[str, Any]
    files: list[Path] = field(default_factory=list)


def _default_port(url: str) -> int:
    return 443 if url.startswith("https:") else 80


def _checked(resolve: Callable[[str, int], list[str]], url: str) -> list[str]:
    parts = urlsplit(url)
    if not parts.hostname:
        raise CaptureError(f"网址无效：{url}")
    return resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


def tls_certificate(
    host: str, port: int, timeout: float = 5.0, ip: str | None = None
) -> dict[str, Any] | None:
    """The server's certificate as presented (PEM, SHA-256 fingerprint, subject/issuer/validity when parseable)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # record what was presented, valid or not; Chromium already judged it
    try:
        with (
            socket.create_connection((ip or host, port), timeout=timeout) as sock,
            ctx.wrap_socket(sock, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
            version = tls.version()
    except (OSError, ssl.SSLError):
        return None
    if not der:
        return None
    info: dict[str, Any] = {
        "sha256_fingerprint": hashlib.sha256(der).hexdigest(),
        "pem": ssl.DER_cert_to_PEM_cert(der),
        "tls_version": version,
    }
    try:
        from cryptography import x509

        cert = x509.load_der_x509_certificate(der)
        info |= {
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "serial": format(cert.serial_number, "x"),
        }
    except Exception:  # noqa: BLE001 - an odd certificate is still recorded by its PEM and fingerprint
        pass
    info["valid"], info["validation_error"] = _validates(host, port, ip or host, timeout)
    return info


def _validates(host: str, port: int, address: str, timeout: float) -> tuple[bool, str | None]:
    """Whether the certificate chain and name check out against the system's trusted roots."""
    ctx = ssl.create_default_context()
    try:
        with (
            socket.create_connection((address, port), timeout=timeout) as sock,
            ctx.wrap_socket(sock, server_hostname=host),
        ):
            return True, None
    except ssl.SSLCertVerificationError as exc:
        return False, exc.verify_message or str(exc)
    except (OSError, ssl.SSLError) as exc:
        return False, str(exc)


_NET_ERRORS = {
    "ERR_NAME_NOT_RESOLVED": "域名无法解析（网址写错了，或网站已关闭）",
    "ERR_CONNECTION_REFUSED": "服务器拒绝连接（网站可能已关闭）",
    "ERR_CONNECTION_TIMED_OUT": "连接超时",
    "ERR_CONNECTION_RESET": "连接被重置",
    "ERR_INTERNET_DISCONNECTED": "没有网络连接",
    "ERR_CERT_": "网站的 HTTPS 证书无效",
    "ERR_TOO_MANY_REDIRECTS": "重定向次数过多",
    "ERR_BLOCKED_BY_CLIENT": "出于安全原因未访问（内网或本机地址）",
    "ERR_ABORTED": "页面没有打开（可能是下载文件而不是网页）",
}


def _net_error(message: str) -> str:
    for code, text in _NET_ERRORS.items():
        if code in message:
            return text
    return message


def _write_warc(path: Path, url: str, exchanges: list[_Exchange], info: dict[str, str]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
        writer.write_record(writer.create_warcinfo_record(WARC_NAME, info))
        for ex in exchanges:
            parts = urlsplit(ex.url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            req_headers = list(ex.request_headers)
            if not any(k.lower() == "host" for k, _ in req_headers):
                req_headers.insert(0, ("Host", parts.netloc))
            req = writer.create_warc_record(
                ex.url,
                "request",
                http_headers=StatusAndHeaders(
                    f"{ex.method} {target} HTTP/1.1", req_headers, is_http_request=True
                ),
                warc_headers_dict={"WARC-Date": ex.at.strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
            headers: list[tuple[str, str]] = []
            for k, v in ex.headers:
                if k.lower() in ("content-encoding", "transfer-encoding", "content-length"):
                    headers.append((f"X-Archive-Orig-{k}", v))
                else:
                    headers.append((k, v))
            headers.append(("Content-Length", str(len(ex.body))))
            import io

            resp = writer.create_warc_record(
                ex.url,
                "response",
                payload=io.BytesIO(ex.body),
                length=len(ex.body),
                http_headers=StatusAndHeaders(
                    f"{ex.status} {ex.reason}".strip(), headers, protocol="HTTP/1.1"
                ),
                warc_headers_dict={"WARC-Date": ex.at.strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
            writer.write_request_response_pair(req, resp)


def capture(
    url: str,
    out: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    resolve: Callable[[str, int], list[str]] | None = None,
) -> CaptureResult:
    """Capture ``url`` into the empty (or new) folder ``out``; CaptureError/CaptureUnavailable otherwise.

    Playwright's sync API refuses to run in a thread whose asyncio loop is running (an ASGI server, or another
    Playwright session in the same process), so the browser session always runs in a thread of its own.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="capture") as pool:
        return pool.submit(_capture, url, out, timeout=timeout, max_bytes=max_bytes, resolve=resolve).result()


def _capture(
    url: str,
    out: Path,
    *,
    timeout: float,
    max_bytes: int,
    resolve: Callable[[str, int], list[str]] | None,
) -> CaptureResult:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CaptureError(f"网址无效：{url}（请写完整的 http:// 或 https:// 网址）")
    if not browser_available():
        raise CaptureUnavailable(unavailable_message())
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise CaptureError(f"输出目录 {out} 不是空的：取证结果要放在新的目录里，避免与旧文件混在一起")
    if resolve is not None:
        _checked(resolve, url)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    captured_at = dt.datetime.now(dt.UTC)
    exchanges: list[_Exchange] = []
    total = 0
    refused: list[str] = []
    main_status: int | None = None
    final_url = url
    browser_version = ""
    server_addr: dict[str, Any] | None = None
    ms = int(timeout * 1000)
    proxy = GuardProxy(resolve, max_bytes=max_bytes) if resolve is not None else None
    args = list(CHROMIUM_ARGS)
    if proxy is not None:
        # every connection of the page goes through the guard, loopback included
        args += [f"--proxy-server={proxy.url}", "--proxy-bypass-list=<-loopback>"]
    try:
        with contextlib.ExitStack() as stack, sync_playwright() as p:
            if proxy is not None:
                stack.enter_context(proxy)
                refused = proxy.refused
            browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
            browser_version = browser.version
            try:
                context = browser.new_context(
                    locale="zh-CN",
                    timezone_id="Asia/Shanghai",
                    viewport={"width": 1280, "height": 900},
                    accept_downloads=False,
                    service_workers="block",
                    # 卡盟 sites often have broken certificates: still evidence; the manifest says whether it was valid
                    ignore_https_errors=True,
                )

                page = context.new_page()
                responses: list[Any] = []
                page.on("response", lambda r: responses.append(r))
                requested: list[str] = []
                page.on("request", lambda q: requested.append(q.url))
                try:
                    response = page.goto(url, wait_until="load", timeout=ms)
                except PlaywrightError as exc:
                    message = str(exc).splitlines()[0]
                    if proxy is not None and proxy.exceeded:
                        raise CaptureError(
                            f"页面太大（超过 {max_bytes // (1024 * 1024)} MB），未保存"
                        ) from None
                    if "Timeout" in message:
                        raise CaptureError(f"页面在 {timeout:.0f} 秒内没有加载完成：{url}") from None
                    hosts = {
                        f"{urlsplit(u).hostname}:{urlsplit(u).port or _default_port(u)}" for u in requested
                    }
                    mine = [r for r in refused if r.split("：", 1)[0] in hosts]
                    if mine:
                        raise CaptureError(f"出于安全原因未访问：{mine[-1]}") from None
                    raise CaptureError(f"无法打开网页 {url}：{_net_error(message)}") from None
                if response is None:
                    raise CaptureError(f"无法打开网页 {url}：没有收到响应")
                main_status = response.status
                final_url = page.url
                server_addr = response.server_addr() if proxy is None else None
                if proxy is not None:
                    final_parts = urlsplit(final_url)
                    key = f"{final_parts.hostname}:{final_parts.port or _default_port(final_url)}"
                    blocked = [r for r in refused if r.split("：", 1)[0] == key]
                    if blocked:  # the page was sent (redirected) to an address the guard refused
                        raise CaptureError(f"出于安全原因未访问：{blocked[-1]}")
                remaining = max(1.0, timeout - (time.monotonic() - started))
                # a page that keeps polling never goes idle: capture what has loaded by then
                with contextlib.suppress(PlaywrightError):
                    page.wait_for_load_state("networkidle", timeout=int(min(5.0, remaining) * 1000))
                page.screenshot(path=str(out / PNG_NAME), full_page=True, timeout=ms)
                (out / TEXT_NAME).write_text(page.inner_text("body", timeout=ms), encoding="utf-8")
                if proxy is not None and proxy.exceeded:
                    raise CaptureError(f"页面太大（超过 {max_bytes // (1024 * 1024)} MB），未保存")
                for resp in responses:
                    try:
                        body = resp.body()
                    except PlaywrightError:
                        body = b""  # redirects and aborted requests have no body
                    total += len(body)
                    if total > max_bytes:
                        raise CaptureError(f"页面太大（超过 {max_bytes // (1024 * 1024)} MB），未保存")
                    req = resp.request
                    exchanges.append(
                        _Exchange(
                            method=req.method,
                            url=resp.url,
                            request_headers=[(h["name"], h["value"]) for h in req.headers_array()],
                            status=resp.status,
                            reason=resp.status_text or "",
                            http_version="HTTP/1.1",
                            headers=[(h["name"], h["value"]) for h in resp.headers_array()],
                            body=body,
                            at=captured_at,
                        )
                    )
            finally:
                browser.close()
    except CaptureError:
        shutil.rmtree(out, ignore_errors=True)
        raise
    except PlaywrightError as exc:
        shutil.rmtree(out, ignore_errors=True)
        raise CaptureError(f"浏览器出错：{str(exc).splitlines()[0]}") from None
    if time.monotonic() - started > timeout * 2:
        shutil.rmtree(out, ignore_errors=True)
        raise CaptureError(f"取证超时（{timeout:.0f} 秒）")

    tls = None
    final = urlsplit(final_url)
    port = final.port or (443 if final.scheme == "https" else 80)
    ip = None
    if resolve is not None and final.hostname:
        try:
            ip = _checked(resolve, final_url)[0]
        except CaptureError:
            shutil.rmtree(out, ignore_errors=True)
            raise
        server_addr = {"ipAddress": ip, "port": port}
    if final.scheme == "https" and final.hostname:
        tls = tls_certificate(final.hostname, port, ip=ip)
    info = {
        "software": f"weiquan capture; Chromium {browser_version} via Playwright; warcio",
        "format": "WARC File Format 1.1 (ISO 28500)",
        "isPartOf": url,
        "description": "网页取证：浏览器加载页面时的全部请求与响应",
    }
    _write_warc(out / WARC_NAME, url, exchanges, info)
    files = [out / WARC_NAME, out / PNG_NAME, out / TEXT_NAME]
    manifest: dict[str, Any] = {
        "type": "weiquan-web-capture",
        "version": 1,
        "url": url,
        "final_url": final_url,
        "status": main_status,
        "captured_at": captured_at.isoformat(),
        "captured_at_beijing": captured_at.astimezone(CHINA_TZ).isoformat(),
        "server": server_addr,
        "tls": tls,
        "browser": f"Chromium {browser_version}",
        "requests": len(exchanges),
        "refused_requests": refused,
        "files": [{"path": f.name, "size": f.stat().st_size, "sha256": sha256_file(f)} for f in files],
        "note": SHA256_NOTE,
    }
    (out / MANIFEST_NAME).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return CaptureResult(out, manifest, [*files, out / MANIFEST_NAME])
