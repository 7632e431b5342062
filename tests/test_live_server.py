"""Against the real `weiquan serve` (gunicorn, 2 worker processes × 4 threads, SQLite in a temporary data folder):
HEAD without a body (issue 12 point 5), atomic log-in counters under 40 parallel requests (point 4), and a backup
taken while requests write that restores into an empty folder and verifies (point 8)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from live_support import LiveServer

ROOT = Path(__file__).parent.parent
SEED = json.loads((ROOT / "examples" / "seed-invalid-code.json").read_text(encoding="utf-8"))
PASSWORD = "live-server-pw-2026"


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(WEIQUAN_DATA_DIR=str(data_dir), WEIQUAN_WORKERS="2", PYTHONUNBUFFERED="1")
    return env


def weiquan(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weiquan.cli", *args],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )


class Server(LiveServer):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(_env(data_dir), data_dir)

    def signup(self, username: str) -> str:
        r = requests.post(
            self.url + "/api/auth/signup", json={"username": username, "password": PASSWORD}, timeout=30
        )
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("live-data"))
    yield s
    s.stop()


def test_serve_runs_one_worker_process_per_setting(server):
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(server.process.pid)], capture_output=True, text=True
    )
    assert len(out.stdout.split()) == 2  # WEIQUAN_WORKERS=2 worker processes under the gunicorn master


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        sock.settimeout(1.5)
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            pass
    return data


def test_head_has_no_body(server):
    # HEAD then GET on one kept-alive connection: if HEAD carried a body, the GET's answer would not start where
    # the HEAD's headers end.
    data = _raw(
        server.port,
        b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Content-Length: " in head  # what the GET would send …
    assert rest.startswith(b"HTTP/1.1 200")  # … but no body: the next response follows at once
    only_head = _raw(server.port, b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert only_head.endswith(b"\r\n\r\n")


def test_forty_parallel_token_requests_get_at_most_the_limit_of_password_checks(server):
    server.signup("parallel")
    wrong = {"username": "parallel", "password": "a-wrong-guess"}

    def attempt(_: int) -> int:
        return requests.post(server.url + "/api/auth/token", json=wrong, timeout=60).status_code

    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(attempt, range(40)))
    # 401 = the password was checked and wrong; 429 = refused before any check. LOGIN_RATE_LIMIT is 5.
    assert codes.count(401) == 5, codes
    assert codes.count(429) == 35, codes
    r = requests.post(server.url + "/api/auth/token", json=wrong, timeout=30)
    assert r.status_code == 429
    assert "登录失败次数过多" in r.json()["error"]


def test_backup_under_writes_restores_and_verifies(server, tmp_path):
    token = server.signup("writer")
    auth = {"Authorization": f"Bearer {token}"}
    stop, written, errors = threading.Event(), [], []

    def write() -> None:
        i = 0
        while not stop.is_set() or i < 3:
            i += 1
            r = requests.post(server.url + "/api/cases", json=SEED, headers=auth, timeout=60)
            if r.status_code != 201:
                errors.append(r.text)
                return
            case_id = r.json()["id"]
            body = f"客服聊天记录 第{i}份\n{time.time()}\n".encode() * 200
            files = {"file": (f"chat-{i}.txt", body, "text/plain")}
            r = requests.post(
                f"{server.url}/api/cases/{case_id}/evidence",
                files=files,
                data={"kind": "cs_chat"},
                headers=auth,
                timeout=60,
            )
            if r.status_code != 201:
                errors.append(r.text)
                return
            written.append(case_id)

    writer = threading.Thread(target=write)
    writer.start()
    while len(written) < 2 and writer.is_alive():
        time.sleep(0.05)
    archive = tmp_path / "weiquan-backup.tar"
    result = weiquan("backup", str(archive), data_dir=server.data_dir)
    during = len(written)
    stop.set()
    writer.join(timeout=120)
    assert not errors, errors
    assert result.returncode == 0, result.stderr
    assert "已备份到" in result.stdout
    assert len(written) > during >= 2  # the writer kept writing before, during and after the snapshot

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("backup.json").read())
    assert manifest["database"]["engine"] == "sqlite"
    assert len(manifest["evidence"]) >= 2

    empty = tmp_path / "restored"
    restored = weiquan("restore", str(archive), data_dir=empty)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "每个证据文件的 SHA-256 与登记一致，每个案件日志的哈希链完整" in restored.stdout
    cases = int(restored.stdout.split("已恢复：")[1].split(" 个案件")[0])
    assert 2 <= cases <= len(written) + 1  # a point in time while writes went on

    again = weiquan("restore", str(archive), data_dir=empty)
    assert again.returncode == 1
    assert "只能恢复到空的数据目录" in again.stderr


def test_a_backup_with_a_changed_file_does_not_restore_silently(server, tmp_path):
    token = server.signup("tamper")
    auth = {"Authorization": f"Bearer {token}"}
    case_id = requests.post(server.url + "/api/cases", json=SEED, headers=auth, timeout=60).json()["id"]
    files = {"file": ("聊天记录.txt", "客服说卡密已使用，不予退款。\n".encode() * 50, "text/plain")}
    r = requests.post(
        f"{server.url}/api/cases/{case_id}/evidence", files=files, data={"kind": "cs_chat"}, headers=auth
    )
    assert r.status_code == 201
    sha = r.json()["sha256"]
    archive = tmp_path / "b.tar"
    assert weiquan("backup", str(archive), data_dir=server.data_dir).returncode == 0
    with tarfile.open(archive) as tar:
        offset = tar.getmember(f"evidence/{sha[:2]}/{sha[2:4]}/{sha}").offset_data
    with open(archive, "r+b") as fh:  # one byte of that evidence file changed inside the archive
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 1]))
    restored = weiquan("restore", str(archive), data_dir=tmp_path / "restored")
    assert restored.returncode == 1
    assert "文件缺失或与 SHA-256 不符" in restored.stdout
