"""Evidence upload through the real path, against `sha256sum` on the same file, and memory against file size.

Each upload is one multipart POST to /cases/<id>/evidence/ handed to Django's WSGI application with the body
streamed from a file on disk (as a WSGI server hands it over): middleware, CSRF, the owner loader, the hashing
upload handler, the content check, fsync, the move into place, the row and the log entry all run.

Prints, per size: upload time and throughput, the ratio of that throughput to `sha256sum` reading the same file
(target ≥ 0.8), the Python heap peak during the upload (tracemalloc) and the process's peak RSS. The heap peak
should stay flat as the file grows from 50 MB to 200 MB. Asserts nothing.

    uv run python bench/upload.py [SIZE_MB ...]        default: 50 200
    BENCH_DIR=/some/disk uv run python bench/upload.py  where the scratch files go (default: system temp)
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

MB = 1024 * 1024
BOUNDARY = "weiquanbenchboundary"
TOKEN = "b" * 32  # CSRF secret: sent as the cookie and as the form field, as a browser would


def setup(scratch: Path) -> tuple[object, str, str]:
    os.environ["WEIQUAN_DATA_DIR"] = str(scratch / "data")
    os.environ["DJANGO_SETTINGS_MODULE"] = "weiquan.settings"
    os.environ["EVIDENCE_MAX_BYTES"] = str(4 * 1024 * MB)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from weiquan.cases.models import Case

    call_command("migrate", verbosity=0)

    user = get_user_model().objects.create_user("bench", password="bench-secret-pw-2026")
    example = Path(__file__).parent.parent / "examples" / "seed-invalid-code.json"
    case = Case.create_from_case_file(user, json.loads(example.read_text(encoding="utf-8")))
    client = Client()
    client.force_login(user)
    return case, client.cookies["sessionid"].value, f"/cases/{case.public_id}/evidence/"


def make_files(scratch: Path, size_mb: int) -> tuple[Path, Path]:
    """The evidence file (an MP4 header, then random bytes) and the multipart body that carries it."""
    data = scratch / f"screen-{size_mb}.mp4"
    with open(data, "wb") as fh:
        fh.write(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
        block = os.urandom(MB)
        for i in range(size_mb):
            fh.write(block[i:] + block[:i])  # different every megabyte, so nothing compresses or repeats
    body = scratch / f"body-{size_mb}.bin"
    with open(body, "wb") as out, open(data, "rb") as src:
        out.write(
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{TOKEN}\r\n'
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nerror_recording\r\n'
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="screen-{size_mb}.mp4"\r\n'
                "Content-Type: video/mp4\r\n\r\n"
            ).encode()
        )
        shutil.copyfileobj(src, out, MB)
        out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return data, body


def post(app: object, path: str, session: str, body: Path) -> tuple[str, float]:
    status: list[str] = []
    with open(body, "rb") as stream:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": stream,
            "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "CONTENT_LENGTH": str(body.stat().st_size),
            "HTTP_COOKIE": f"sessionid={session}; csrftoken={TOKEN}",
        }
        start = time.perf_counter()
        result = app(environ, lambda s, headers, exc_info=None: status.append(s))  # type: ignore[operator]
        for _ in result:
            pass
        result.close()
        elapsed = time.perf_counter() - start
    return status[0], elapsed


def sha256sum(path: Path) -> tuple[str, float]:
    start = time.perf_counter()
    out = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True).stdout
    return out.split()[0], time.perf_counter() - start


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [50, 200]
    scratch = Path(tempfile.mkdtemp(prefix="weiquan-bench-upload-", dir=os.getenv("BENCH_DIR")))
    try:
        case, session, path = setup(scratch)
        from django.core.wsgi import get_wsgi_application

        from weiquan.evidence.models import Evidence

        app = get_wsgi_application()
        print(
            f"{'size':>7} {'1st upload':>10} {'best':>7} {'MB/s':>6} {'sha256sum':>9} {'MB/s':>6} "
            f"{'ratio':>6} {'heap peak':>10} {'max RSS':>8}"
        )
        for size_mb in sizes:
            data, body = make_files(scratch, size_mb)
            sha256sum(data)  # warm the page cache for both contenders
            expected, sum_time = min(sha256sum(data) for _ in range(3))
            # The first upload also pays for the kernel's first touch of page-cache memory (large on a fresh VM);
            # repeats store the same bytes again (deduplicated: written, hashed, fsynced, then dropped), as
            # sha256sum's best of three reads a warm cache.
            runs = [post(app, path, session, body) for _ in range(3)]
            status, first_time = runs[0]
            upload_time = min(t for _, t in runs)
            stored = Evidence.objects.filter(case=case).order_by("-pk").first()
            ok = (
                all(s.startswith("302") for s, _ in runs) and stored is not None and stored.sha256 == expected
            )
            # Once more under tracemalloc (slower, so not timed): the heap peak.
            tracemalloc.start()
            post(app, path, session, body)
            heap_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            print(
                f"{size_mb:>4} MB {first_time:>9.2f}s {upload_time:>6.2f}s {size_mb / upload_time:>6.0f} "
                f"{sum_time:>8.2f}s {size_mb / sum_time:>6.0f} {sum_time / upload_time:>6.2f} {heap_peak / MB:>7.1f} MB "
                f"{rss:>5.0f} MB{'' if ok else '  (upload FAILED: ' + status + ')'}"
            )
            data.unlink()
            body.unlink()
        print(
            "ratio = upload throughput / sha256sum throughput (target ≥ 0.8); the heap peak should not grow with size"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
