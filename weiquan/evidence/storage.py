"""Content-addressed evidence files: EVIDENCE_DIR/ab/cd/<sha256>, written once, read-only, never replaced.

Every file arrives as a temporary file in EVIDENCE_DIR/tmp (same file system, so the final move is an atomic
rename) that was hashed while it was written (``Spool``). ``BlobStore.commit`` makes it durable and moves it under
its hash. A crash at any point leaves at most a file in tmp/ or a blob no row names yet; ``cleanup_evidence``
removes both once they are old enough that no upload can still be using them.

A hosted install would put blobs in S3-compatible storage behind the same few methods (``commit``, ``open``,
``exists``, ``blobs``, ``delete``); the Spool stays local either way.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

_HEX64 = re.compile(r"[0-9a-f]{64}")


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"

    def path(self, sha256: str) -> Path:
        if not _HEX64.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        # Two levels of 256 folders keep every folder small even with millions of files.
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")

    def spool(self, limit: int) -> Spool:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        return Spool(self.tmp_dir, limit)

    def commit(self, temp_path: Path, sha256: str) -> bool:
        """Moves a finished temporary file under its hash; returns False when those bytes were stored already.

        1. fsync the data, so the file is complete on disk before any name points at it.
        2. If a blob with this hash exists, keep it (same hash, same bytes) and drop the temporary file; touch the
           blob so ``cleanup_evidence`` sees it as fresh until the new row referring to it is committed.
        3. Otherwise make it read-only and rename it into place (atomic on one file system), then fsync the
           folder so the rename itself survives a power cut before the database row is written.
        Two uploads of the same bytes racing past step 2 both rename identical content: harmless.
        """
        fd = os.open(temp_path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        final = self.path(sha256)
        if final.is_file():
            os.utime(final)
            temp_path.unlink(missing_ok=True)
            return False
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temp_path, 0o444)
        os.replace(temp_path, final)
        _fsync_dir(final.parent)
        return True

    def blobs(self) -> Iterator[Path]:
        for first in self.root.glob("[0-9a-f][0-9a-f]"):
            for path in first.glob("[0-9a-f][0-9a-f]/*"):
                if _HEX64.fullmatch(path.name):
                    yield path

    def delete(self, path: Path) -> None:
        path.unlink(missing_ok=True)


# Hashing and writing of uploads run here, one chunk behind the request thread that parses the multipart body.
# Both release the GIL, so they overlap with Django's pure-Python parsing (about a third faster on two cores).
# A shared pool rather than a thread per upload: nothing to leak when a request dies mid-upload, and with more
# concurrent uploads than threads each simply waits for its previous chunk, as if single-threaded.
_SPOOL_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="evidence-spool")


class Spool:
    """A temporary file in EVIDENCE_DIR/tmp that hashes each chunk as it is written and stops at the size limit.

    Once more than ``limit`` bytes arrive, the file is deleted and further chunks are only counted: the upload
    can then be refused by size without keeping (or hashing) any of it. At most two chunks are in memory: the
    one being parsed and the one being hashed and written.
    """

    def __init__(self, tmp_dir: Path, limit: int) -> None:
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-", suffix=".part")
        self.path = Path(name)
        self.file: BinaryIO | None = os.fdopen(fd, "wb")
        self.limit = limit
        self.size = 0
        self.exceeded = False
        self._digest = hashlib.sha256()
        self._pending: Future[None] | None = None

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.exceeded:
            return
        if self.size > self.limit:
            self.exceeded = True
            self.discard()
            return
        self._wait()  # chunks stay in order; a write error (disk full) surfaces here
        self._pending = _SPOOL_POOL.submit(self._absorb, chunk)

    def _absorb(self, chunk: bytes) -> None:
        assert self.file is not None
        self._digest.update(chunk)
        self.file.write(chunk)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def finish(self) -> str:
        """Closes the file for writing and returns its SHA-256 (empty when it was over the limit)."""
        try:
            self._wait()
        finally:
            self._close()
        return "" if self.exceeded else self._digest.hexdigest()

    def discard(self) -> None:
        try:
            self._wait()
        except Exception:
            pass  # the file is being thrown away: a failed write no longer matters
        finally:
            self._close()
            self.path.unlink(missing_ok=True)

    def _close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def blob_store() -> BlobStore:
    # Read the setting on each call: tests give every test its own EVIDENCE_DIR.
    return BlobStore(Path(settings.EVIDENCE_DIR))
