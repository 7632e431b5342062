"""Content-addressed evidence files: EVIDENCE_DIR/ab/cd/<sha256>, written once, read-only, never replaced.

Every file arrives as a temporary file in EVIDENCE_DIR/tmp (same file system, so the final move is an atomic
rename) that was hashed while it was written (``Spool``). ``BlobStore.commit`` makes it durable and moves it under
its hash. A crash at any point leaves at most a file in tmp/ or a blob no row names yet; ``cleanup_evidence``
removes both once they are old enough that no upload can still be using them.

Where the blobs live is Django's Storage API: ``STORAGES["evidence"]``. The default is the local folder
(FileSystemStorage at EVIDENCE_DIR), written with the atomic rename and fsyncs below; a hosted install points it at
S3-compatible object storage (django-storages' S3Storage, ``WEIQUAN_S3_BUCKET``), where ``commit`` uploads the
spooled file under its hash unless that key exists already — content addressing makes a second upload of the same
bytes a no-op, and nothing is ever overwritten. The Spool stays local either way: the hash is computed while the
upload streams in, before any byte reaches the store.
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
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.module_loading import import_string

_HEX64 = re.compile(r"[0-9a-f]{64}")


def blob_name(sha256: str) -> str:
    """The blob's key: two levels of 256 folders keep every folder small even with millions of files."""
    if not _HEX64.fullmatch(sha256):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class BlobStore:
    """Blobs by SHA-256. ``storage`` None: the local folder ``root`` itself; otherwise a Django Storage."""

    def __init__(self, root: Path, storage: Storage | None = None) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.storage = storage

    @property
    def local(self) -> bool:
        return self.storage is None

    def path(self, sha256: str) -> Path:
        """The local file of a blob (local store only)."""
        if self.storage is not None:
            raise RuntimeError("remote evidence storage has no local paths")
        return self.root / blob_name(sha256)

    def exists(self, sha256: str) -> bool:
        if self.storage is not None:
            return bool(self.storage.exists(blob_name(sha256)))
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        if self.storage is not None:
            return self.storage.open(blob_name(sha256), "rb")  # type: ignore[no-any-return]
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

        With object storage: upload the file under its hash unless that key exists (same hash, same bytes), then
        drop the temporary file.
        """
        if self.storage is not None:
            return self._commit_remote(temp_path, sha256)
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

    def _commit_remote(self, temp_path: Path, sha256: str) -> bool:
        assert self.storage is not None
        name = blob_name(sha256)
        try:
            if self.storage.exists(name):
                return False
            with open(temp_path, "rb") as fh:
                saved = self.storage.save(name, File(fh, name=name))
            if saved != name:  # a storage that renames instead of keeping the key would break addressing
                raise RuntimeError(f"evidence storage stored {name} as {saved}")
            return True
        finally:
            temp_path.unlink(missing_ok=True)

    def blobs(self) -> Iterator[tuple[str, float]]:
        """Every stored blob as (sha256, last-modified time as a Unix timestamp)."""
        if self.storage is not None:
            for first in self.storage.listdir("")[0]:
                for second in self.storage.listdir(first)[0]:
                    for name in self.storage.listdir(f"{first}/{second}")[1]:
                        if _HEX64.fullmatch(name):
                            key = f"{first}/{second}/{name}"
                            yield name, self.storage.get_modified_time(key).timestamp()
            return
        for first in self.root.glob("[0-9a-f][0-9a-f]"):
            for path in first.glob("[0-9a-f][0-9a-f]/*"):
                if _HEX64.fullmatch(path.name):
                    yield path.name, path.stat().st_mtime

    def delete(self, sha256: str) -> None:
        if self.storage is not None:
            self.storage.delete(blob_name(sha256))
        else:
            self.path(sha256).unlink(missing_ok=True)


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
    """The evidence store of STORAGES["evidence"]; the local folder EVIDENCE_DIR unless object storage is set.

    Read on each call: tests give every test its own EVIDENCE_DIR. Uploads spool in EVIDENCE_DIR/tmp either way.
    """
    backend = settings.STORAGES.get("evidence", {}).get("BACKEND")
    if not backend or issubclass(import_string(backend), FileSystemStorage):
        return BlobStore(Path(settings.EVIDENCE_DIR))
    return BlobStore(Path(settings.EVIDENCE_DIR), storages["evidence"])
