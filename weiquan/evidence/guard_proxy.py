"""A small forward proxy on 127.0.0.1 that Chromium must use for server-side captures.

Every connection the page makes — the page itself, every redirect, every image, script and XHR, http or https
(CONNECT) — goes through ``resolve(host, port)``, which returns the checked addresses or raises (the merchant-claim
guard: ``weiquan.platforms.outbound.resolve`` refuses private, loopback and link-local addresses in production).
The proxy then connects to the address it checked, so a second DNS answer cannot swap in 127.0.0.1, and it
cuts every connection once the capture has received more than its size cap.
Chromium is started with ``--proxy-bypass-list=<-loopback>`` so even loopback URLs come through here.
"""

from __future__ import annotations

import http.server
import select
import socket
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]
IDLE_TIMEOUT = 30.0


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        pass

    def _connect(self, host: str, port: int) -> socket.socket | None:
        try:
            ips = self.server.resolve(host, port)
        except Exception as exc:  # noqa: BLE001 - the guard's refusal, whatever its type
            self.server.refused.append(f"{host}:{port}：{getattr(exc, 'message', None) or exc}")
            self.send_error(403, "refused by weiquan capture guard")
            return None
        try:
            return socket.create_connection((ips[0], port), timeout=IDLE_TIMEOUT)
        except OSError:
            self.send_error(502)
            return None

    def do_CONNECT(self) -> None:  # noqa: N802
        host, _, port = self.path.rpartition(":")
        upstream = self._connect(host.strip("[]"), int(port or 443))
        if upstream is None:
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self._pipe(self.connection, upstream, self.server)

    def _forward(self) -> None:
        parts = urlsplit(self.path)
        if parts.scheme != "http" or not parts.hostname:
            self.send_error(400)
            return
        upstream = self._connect(parts.hostname, parts.port or 80)
        if upstream is None:
            return
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"{self.command} {target} HTTP/1.1"]
        for key, value in self.headers.items():
            if key.lower() in ("proxy-connection", "proxy-authorization", "connection", "keep-alive"):
                continue
            lines.append(f"{key}: {value}")
        lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        upstream.sendall(head + body)
        self.close_connection = True
        self._pipe(self.connection, upstream, self.server)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = _forward  # noqa: N815

    @staticmethod
    def _pipe(client: socket.socket, upstream: socket.socket, server: _Server) -> None:
        sockets = [client, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], IDLE_TIMEOUT)
                if not readable:
                    return
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is upstream and not server.count(len(data)):
                        return  # over the size cap: the connection is cut
                    (upstream if s is client else client).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, resolve: Resolver, max_bytes: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.resolve = resolve
        self.refused: list[str] = []
        self.max_bytes = max_bytes
        self.relayed = 0
        self.exceeded = False
        self.lock = threading.Lock()

    def count(self, n: int) -> bool:
        """Adds ``n`` bytes received from servers; False once the capture's size cap is passed."""
        with self.lock:
            self.relayed += n
            if self.relayed > self.max_bytes:
                self.exceeded = True
            return not self.exceeded


class GuardProxy:
    """``with GuardProxy(resolve) as proxy: ... proxy.url ...``; ``proxy.refused`` lists what was refused."""

    def __init__(self, resolve: Resolver, max_bytes: int = 30 * 1024 * 1024) -> None:
        self._server = _Server(resolve, max_bytes)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def refused(self) -> list[str]:
        return self._server.refused

    @property
    def exceeded(self) -> bool:
        return self._server.exceeded

    def __enter__(self) -> GuardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
