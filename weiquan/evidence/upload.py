"""The upload handler: each chunk of the request body is hashed as it is written to EVIDENCE_DIR/tmp.

Django's own TemporaryFileUploadHandler writes to the system temp folder (often a RAM disk) and leaves the hash
for a second full read. This one writes next to the blobs (so storing is a rename), hashes on the way, stops
writing past EVIDENCE_MAX_BYTES, and removes its temp files when an upload is cut off or not stored.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest

from weiquan.evidence.content import too_large
from weiquan.evidence.storage import Spool, blob_store

# Multipart headers and the small form fields around the file (kind, description, CSRF token).
MULTIPART_SLACK = 1024 * 1024


class HashedUpload(UploadedFile):
    """A received file, already on disk in EVIDENCE_DIR/tmp, with the SHA-256 computed while it arrived."""

    def __init__(
        self,
        spool: Spool,
        name: str,
        content_type: str | None = None,
        charset: str | None = None,
        content_type_extra: dict[str, Any] | None = None,
    ) -> None:
        self.sha256 = spool.finish()
        self.exceeded = spool.exceeded
        self.path: Path | None = spool.path
        file = io.BytesIO() if spool.exceeded else open(spool.path, "rb")  # noqa: SIM115 — closed by close()
        super().__init__(file, name, content_type, spool.size, charset, content_type_extra)

    def temporary_file_path(self) -> str:
        assert self.path is not None
        return str(self.path)

    def stored(self) -> None:
        """The temp file was moved under its hash: it is no longer ours to delete."""
        self.path = None

    def close(self) -> None:
        # Django closes request.FILES when the response is done: an upload nobody stored goes away then.
        super().close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


class EvidenceUploadHandler(FileUploadHandler):
    # 1 MB chunks instead of Django's 64 KB: far fewer Python calls per gigabyte, memory still flat.
    chunk_size = 1024 * 1024

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.store = blob_store()
        self.limit: int = settings.EVIDENCE_MAX_BYTES
        self.spool: Spool | None = None
        self.completed: list[HashedUpload] = []

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.spool = self.store.spool(self.limit)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self.spool is not None
        self.spool.write(raw_data)
        return None  # consumed: no later handler receives (and copies) the bytes

    def file_complete(self, file_size: int) -> HashedUpload:
        assert self.spool is not None
        spool, self.spool = self.spool, None
        upload = HashedUpload(
            spool, self.file_name or "", self.content_type, self.charset, self.content_type_extra
        )
        self.completed.append(upload)
        return upload

    def upload_interrupted(self) -> None:
        # The body ended before the file's closing boundary: a cut-off upload is never evidence.
        self.discard_unfinished()

    def discard_unfinished(self) -> None:
        if self.spool is not None:
            self.spool.discard()
            self.spool = None


@contextmanager
def evidence_uploads(request: HttpRequest) -> Iterator[None]:
    """Receive this request's files with the hashing handler; afterwards delete every temp file not stored.

    Enter it before anything reads ``request.POST`` (the CSRF check does). A body whose declared length is over
    the limit is refused before a byte of it is read. The ``finally`` also covers a client that disconnects
    mid-stream: the parser then raises out of the middle of a file, and only we know that file's temp path.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > settings.EVIDENCE_MAX_BYTES + MULTIPART_SLACK:
        raise too_large(None, settings.EVIDENCE_MAX_BYTES)
    handler = EvidenceUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        yield
    finally:
        handler.discard_unfinished()
        for upload in handler.completed:
            upload.close()
