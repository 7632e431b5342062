"""Evidence in S3-compatible object storage (STORAGES["evidence"] → django-storages), against a local S3 server.

The same promises as on local disk: hashed while streaming, stored under its hash, never overwritten, downloadable,
bundled with the hash of the bytes copied, and nothing left behind in the local spool folder.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from weiquan.evidence.bundle import build_bundle
from weiquan.evidence.storage import blob_name, blob_store
from weiquan.evidence.verify import verify_bundle

pytestmark = pytest.mark.django_db

BUCKET = "weiquan-evidence-test"


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(settings, s3_server, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(var, "testing")
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "location": "evidence",
                "file_overwrite": True,
                "default_acl": None,
            },
        },
    }
    yield client
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


def png(color: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buf, "PNG")
    return buf.getvalue()


def upload(client, case, data: bytes, name: str = "chat.png"):
    url = reverse("evidence_upload", args=[case.public_id])
    return client.post(url, {"file": SimpleUploadedFile(name, data), "kind": "cs_chat"})


def keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_an_upload_lands_in_object_storage_under_its_hash_and_downloads(
    alice_client, alice_case, s3, settings
):
    data = png("red")
    sha = hashlib.sha256(data).hexdigest()
    assert upload(alice_client, alice_case, data).status_code == 302
    assert keys(s3) == [f"evidence/{blob_name(sha)}"]
    assert s3.get_object(Bucket=BUCKET, Key=f"evidence/{blob_name(sha)}")["Body"].read() == data
    local = settings.EVIDENCE_DIR
    assert not (local / blob_name(sha)).exists()  # nothing kept on this machine's disk
    assert list((local / "tmp").iterdir()) == []  # the spool is gone too
    [ev] = alice_case.evidence.filter(declared=False)
    response = alice_client.get(reverse("evidence_download", args=[ev.public_id]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == data


def test_the_same_bytes_are_stored_once_and_never_overwritten(alice_client, alice_case, s3):
    data = png("blue")
    upload(alice_client, alice_case, data)
    key = f"evidence/{blob_name(hashlib.sha256(data).hexdigest())}"
    first = s3.head_object(Bucket=BUCKET, Key=key)["LastModified"]
    upload(alice_client, alice_case, data, name="again.png")
    assert keys(s3) == [key]
    assert s3.head_object(Bucket=BUCKET, Key=key)["LastModified"] == first
    assert alice_case.evidence.filter(declared=False).count() == 2  # each upload is still recorded


def test_a_bundle_from_object_storage_verifies(alice_client, alice_case, s3, tmp_path):
    data = png("green")
    upload(alice_client, alice_case, data, name="订单.png")
    build_bundle(alice_case, tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        [entry] = [n for n in zf.namelist() if n.startswith("files/")]
        assert zf.read(entry) == data
    report = verify_bundle(tmp_path / "b.zip")
    assert report.ok, report.problems


def test_cleanup_finds_orphans_in_object_storage(alice_client, alice_case, s3):
    data = png("black")
    upload(alice_client, alice_case, data)
    orphan = hashlib.sha256(b"orphan").hexdigest()
    s3.put_object(Bucket=BUCKET, Key=f"evidence/{blob_name(orphan)}", Body=b"orphan")
    assert {sha for sha, _ in blob_store().blobs()} == {orphan, hashlib.sha256(data).hexdigest()}
    call_command("cleanup_evidence", hours=0)
    assert keys(s3) == [f"evidence/{blob_name(hashlib.sha256(data).hexdigest())}"]
