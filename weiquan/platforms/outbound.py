"""Outbound HTTP to addresses a platform controls: the claim check and webhook deliveries.

Both fetch URLs that someone outside the project chose, from inside our network, so each request
1. resolves the host once and refuses it if any address is private, loopback, link-local or otherwise not public
   (unless ``settings.WEIQUAN_ALLOW_LOCAL_VERIFICATION`` — tests and local development);
2. connects to the address it checked (a second DNS answer cannot swap in 127.0.0.1: no rebinding);
3. never follows redirects (the caller decides, see ``claims.fetch_token``);
4. reads at most ``max_bytes`` and gives up after ``timeout`` seconds in total — a watchdog closes the socket,
   so a server dripping one byte a second cannot hold a web worker.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

USER_AGENT = "weiquan/1 (+https://github.com/weiquan)"


class OutboundError(Exception):
    """A request that could not be made or completed; the message is for the person who set the address up."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    location: str | None


def allow_local() -> bool:
    return bool(getattr(settings, "WEIQUAN_ALLOW_LOCAL_VERIFICATION", False))


def is_public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, all checked; one private address is enough to refuse (we would not know which one
    a later connection picks)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise OutboundError(_("域名 %(host)s 无法解析") % {"host": host}) from None
    ips = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not ips:
        raise OutboundError(_("域名 %(host)s 无法解析") % {"host": host})
    if not allow_local() and not all(is_public(ip) for ip in ips):
        raise OutboundError(_("%(host)s 指向内网或本机地址，出于安全原因不访问") % {"host": host})
    return ips


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self.ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self.ip, self.port), self.timeout)
        # Certificate checked against the host name, not the address we connected to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
    max_bytes: int = 1024,
    truncate: bool = False,
) -> Response:
    """One request without redirects; raises OutboundError for anything short of a complete answer.

    A body longer than ``max_bytes`` is an error, or, with ``truncate``, cut off (for answers nobody reads).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundError(_("网址无效：%(url)s") % {"url": url})
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundError(_("网址的端口无效：%(url)s") % {"url": url}) from None
    ips = resolve(host, port)
    cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = cls(host, port, ips[0], timeout)
    # The watchdog bounds the whole exchange; socket timeouts alone only bound each single read.
    watchdog = threading.Timer(timeout, _abort, args=(conn,))
    watchdog.daemon = True
    watchdog.start()
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = {"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close", **(headers or {})}
        conn.request(method, path, body=body, headers=sent)
        resp = conn.getresponse()
        data = b""
        while len(data) <= max_bytes:
            chunk = resp.read1(max_bytes + 1 - len(data))
            if not chunk:
                break
            data += chunk
        if len(data) > max_bytes and truncate:
            data = data[:max_bytes]
        elif len(data) > max_bytes:
            raise OutboundError(_("响应超过 %(n)s 字节") % {"n": max_bytes})
        return Response(resp.status, data, resp.getheader("Location"))
    except OutboundError:
        raise
    except ssl.SSLError as exc:
        raise OutboundError(_("HTTPS 证书或握手失败（%(reason)s）") % {"reason": exc.reason or exc}) from None
    except (OSError, http.client.HTTPException) as exc:
        if not watchdog.is_alive():
            raise OutboundError(_("%(s)s 秒内没有完成") % {"s": f"{timeout:g}"}) from None
        raise OutboundError(_("连接失败（%(reason)s）") % {"reason": type(exc).__name__}) from None
    finally:
        watchdog.cancel()
        conn.close()


def _abort(conn: http.client.HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: the request finished as the timer fired
            sock.shutdown(socket.SHUT_RDWR)
