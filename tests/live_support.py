"""A real `weiquan serve` process for tests that need the server as deployed (gunicorn, worker processes)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """`weiquan serve` on a free port with ``env`` and its own data folder; ready once /healthz answers."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.env = {**env, "WEIQUAN_DATA_DIR": str(data_dir)}
        self.data_dir, self.port = data_dir, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "weiquan.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or slow on a busy machine
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            "weiquan serve did not start: " + (self.process.stdout.read() if self.process.stdout else "")
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
