"""Two machines (issue 11): two `weiquan serve` processes with separate data folders that share PostgreSQL, Redis
and S3-compatible object storage (a local moto server). What a user does on one machine holds on the other:

- log in on A, continue on B (one SECRET_KEY, sessions in the shared database);
- upload evidence on A, download the bundle from B (evidence in object storage, not on A's disk);
- a lockout counted across both (rate-limit counters in Redis, not per process);
- two reminder workers, one on each machine: each due case is handled once.

Needs the PostgreSQL server on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (both run in CI); skipped without them.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
from live_support import LiveServer, free_port
from PIL import Image

ROOT = Path(__file__).parent.parent
SEED = json.loads((ROOT / "examples" / "seed-invalid-code.json").read_text(encoding="utf-8"))
PASSWORD = "two-machines-pw-2026"
PG = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/7"
BUCKET = "weiquan-two-machines"


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not (_reachable(5432) and _reachable(6379)), reason="needs PostgreSQL on 5432 and Redis on 6379"
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """The services both machines share: a scratch PostgreSQL database, a Redis database, an S3 bucket."""
    import psycopg
    import redis
    from moto.server import ThreadedMotoServer

    name = f"weiquan_two_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(REDIS).flushdb()
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    s3.start()
    host, port = s3.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    import boto3

    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    ).create_bucket(Bucket=BUCKET)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DATABASE_URL=f"{PG}/{name}",
        REDIS_URL=REDIS,
        SECRET_KEY="two-machines-shared-secret-key-0123456789abcdef",
        WEIQUAN_S3_BUCKET=BUCKET,
        WEIQUAN_S3_ENDPOINT_URL=endpoint,
        WEIQUAN_S3_REGION="us-east-1",
        WEIQUAN_S3_ACCESS_KEY_ID="k",
        WEIQUAN_S3_SECRET_ACCESS_KEY="s",
        WEIQUAN_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    first = tmp_path_factory.mktemp("machine-a")
    migrated = subprocess.run(
        [sys.executable, "-m", "weiquan.cli", "manage", "migrate", "--noinput"],
        env={**env, "WEIQUAN_DATA_DIR": str(first)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stderr
    yield env, tmp_path_factory
    s3.stop()
    redis.Redis.from_url(REDIS).flushdb()
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Machine(LiveServer):
    def run(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "weiquan.cli", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture(scope="module")
def machines(shared):
    env, factory = shared
    a = Machine(env, factory.mktemp("machine-a-data"))
    try:
        b = Machine(env, factory.mktemp("machine-b-data"))
    except Exception:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


def signup(machine: Machine, username: str) -> dict[str, str]:
    r = requests.post(
        machine.url + "/api/auth/signup", json={"username": username, "password": PASSWORD}, timeout=30
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def web_login(machine: Machine, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(machine.url + "/accounts/login/", timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, page[:500]
    r = session.post(
        machine.url + "/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": machine.url + "/accounts/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert r.status_code == 302, r.text[:500]
    return session


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (60, 40), "orange").save(buf, "PNG")
    return buf.getvalue()


def test_logged_in_on_one_machine_the_user_continues_on_the_other(machines):
    a, b = machines
    auth = signup(a, "wang")
    case = requests.post(a.url + "/api/cases", json=SEED, headers=auth, timeout=60).json()
    session = web_login(a, "wang")
    # The same session cookie on machine B: the same user, the same case.
    page = session.get(f"{b.url}/cases/{case['id']}/", timeout=60, allow_redirects=False)
    assert page.status_code == 200
    assert "某某卡盟" in page.text


def test_evidence_uploaded_on_one_machine_is_in_the_bundle_from_the_other(machines):
    a, b = machines
    auth = signup(a, "li")
    case = requests.post(a.url + "/api/cases", json=SEED, headers=auth, timeout=60).json()
    data = png()
    r = requests.post(
        f"{a.url}/api/cases/{case['id']}/evidence",
        files={"file": ("账单.png", data, "image/png")},
        data={"kind": "payment_record"},
        headers=auth,
        timeout=60,
    )
    assert r.status_code == 201, r.text
    assert not any(
        p.is_file() and p.name != "secret_key"
        for p in (a.data_dir / "evidence").rglob("*")
        if "tmp" not in p.parts
    )
    bundle = requests.get(f"{b.url}/api/cases/{case['id']}/bundle", headers=auth, timeout=120)
    assert bundle.status_code == 200
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as zf:
        files = [n for n in zf.namelist() if n.startswith("files/")]
        assert [zf.read(n) for n in files] == [data]


def test_a_lockout_is_counted_across_both_machines(machines):
    a, b = machines
    signup(a, "zhao")
    wrong = {"username": "zhao", "password": "not-the-password"}
    codes = [
        requests.post(m.url + "/api/auth/token", json=wrong, timeout=30).status_code for m in (a, b, a, b, a)
    ]
    assert codes == [401] * 5  # five wrong guesses, split over the two machines
    right = {"username": "zhao", "password": PASSWORD}
    for m in (b, a):  # the sixth try is refused on either machine, even with the right password
        assert requests.post(m.url + "/api/auth/token", json=right, timeout=30).status_code == 429


def test_two_reminder_workers_handle_each_due_case_once(machines):
    a, b = machines
    import psycopg

    auth = signup(a, "chen")
    ids = []
    for _ in range(6):
        filed = {**SEED, "contacts": [{"at": "2026-11-02", "channel": "12315", "response": "pending"}]}
        r = requests.post(a.url + "/api/cases", json=filed, headers=auth, timeout=60)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    with psycopg.connect(a.env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("UPDATE auth_user SET email = 'chen@example.com' WHERE username = 'chen'")
        # Everything due now: each worker must find every case, and only one may handle each.
        conn.execute(
            "UPDATE cases_case SET next_reminder_at = now() - interval '1 minute' WHERE public_id = ANY(%s)",
            (ids,),
        )
    workers = [a.run("remind"), b.run("remind")]
    outs = [w.communicate(timeout=300) for w in workers]
    assert all(w.returncode == 0 for w in workers), outs
    subjects = sum(out.count("Subject:") for out, _ in outs)
    summaries = [re.search(r"已发送 (\d+) 封.*?仅记录 (\d+) 个", out) for out, _ in outs]
    assert all(summaries), outs
    handled = sum(int(m.group(1)) + int(m.group(2)) for m in summaries if m)
    with psycopg.connect(a.env["DATABASE_URL"]) as conn:
        delivered = conn.execute(
            "SELECT count(*) FROM cases_remindersent r JOIN cases_case c ON c.id = r.case_id "
            "WHERE r.delivered AND c.public_id = ANY(%s)",
            (ids,),
        ).fetchone()[0]
        due = conn.execute(
            "SELECT count(*) FROM cases_case WHERE public_id = ANY(%s) AND next_reminder_at <= now()", (ids,)
        ).fetchone()[0]
    assert due == 0  # every case was moved on
    assert handled == len(ids)  # each case handled by exactly one of the two workers
    assert subjects == delivered  # one e-mail per reminder recorded as sent, never two
