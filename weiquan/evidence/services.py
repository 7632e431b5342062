"""The evidence locker's service API, shared by the web pages, the JSON API and the CLI.

``store_upload`` is the only way a file becomes evidence. Order (DESIGN.md, "Evidence storage"):

1. the file is streamed to EVIDENCE_DIR/tmp while hashed (``upload.EvidenceUploadHandler``; any other
   ``UploadedFile`` is copied the same way here);
2. it is checked: kind, size, not empty, content type by its bytes;
3. fsync, then moved into place under its hash (or dropped, if those bytes are already stored);
4. the row and its case-log entry are inserted in one short transaction.

A crash between 3 and 4 leaves an unreferenced blob for ``cleanup_evidence``; there is never a row without its
file, and an upload that was cut off never reaches step 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from weiquan.cases.models import Case
from weiquan.domain.facts import MAX_EVIDENCE, EvidenceItem
from weiquan.evidence.content import EvidenceRejected, detect_content_type, inspect_image, too_large
from weiquan.evidence.models import EVIDENCE_KINDS, Evidence
from weiquan.evidence.storage import blob_store
from weiquan.evidence.upload import HashedUpload

__all__ = ["EvidenceRejected", "evidence_for_owner", "open_blob", "store_upload"]

KIND_LABELS = dict(EVIDENCE_KINDS)
DESCRIPTION_MAX = Evidence._meta.get_field("description").max_length or 300
NAME_MAX = Evidence._meta.get_field("original_name").max_length or 255


def store_upload(
    case: Case, uploaded_file: UploadedFile | None, *, kind: str, description: str = "", actor: Any = None
) -> Evidence:
    """Stores the file as evidence of ``case`` and logs it; ``EvidenceRejected`` (changing nothing) otherwise."""
    if kind not in KIND_LABELS:
        raise EvidenceRejected(_("请选择证据种类。") if not kind else _("未知的证据种类：%s") % kind)
    description = (description or "").strip()
    if case.evidence.count() >= MAX_EVIDENCE:  # the case file's own limit (issue 12)
        raise EvidenceRejected(_("这个案件的证据已达上限（%d 项），不能再上传。") % MAX_EVIDENCE)
    if "\x00" in description:  # PostgreSQL cannot store it (issue 12)
        raise EvidenceRejected(_("说明含有空字符（\\0），请删除后重试。"))
    if len(description) > DESCRIPTION_MAX:
        raise EvidenceRejected(_("说明太长：最多 %d 个字。") % DESCRIPTION_MAX)
    if uploaded_file is None:
        raise EvidenceRejected(_("没有收到文件：请选择要上传的文件后再提交。"))
    name = clean_name(uploaded_file.name or "")
    upload = uploaded_file if isinstance(uploaded_file, HashedUpload) else _spool(uploaded_file, name)
    try:
        if upload.exceeded or upload.size > settings.EVIDENCE_MAX_BYTES:
            raise too_large(name, settings.EVIDENCE_MAX_BYTES)
        if not upload.size or upload.path is None:
            raise EvidenceRejected(_("文件「%s」是空的（0 字节），未保存。") % name)
        content_type = detect_content_type(upload.path, name)
        # A decompression bomb is refused here, before anything is stored.
        taken_at = inspect_image(upload.path, name) if content_type.startswith("image/") else None
        blob_store().commit(upload.path, upload.sha256)
        upload.stored()
        with transaction.atomic():
            evidence = Evidence.objects.create(
                case=case,
                kind=kind,
                description=description,
                sha256=upload.sha256,
                size=upload.size,
                original_name=name,
                content_type=content_type,
                received_at=timezone.now(),
                exif_taken_at=taken_at,
            )
            case.log("evidence_uploaded", log_payload(evidence), actor)
    finally:
        if upload is not uploaded_file:
            upload.close()
    # The plan (and so the next reminder) depends on which evidence the case holds.
    case.refresh_reminder()
    return evidence


def store_declared(sender: object, case: Case, evidence: Iterable[EvidenceItem], **kwargs: object) -> None:
    """Receiver of ``weiquan.cases.signals.evidence_declared``: the case file's evidence, declared, no file yet."""
    for e in evidence:
        Evidence.objects.create(
            case=case,
            kind=e.kind,
            description=e.description or "",
            sha256=e.sha256 or "",
            declared=True,
        )


def log_payload(evidence: Evidence) -> dict[str, Any]:
    # The file's hash goes into the hash-chained log: a later change to the file is visible against the log.
    return {
        "evidence": str(evidence.public_id),
        "kind": evidence.kind,
        "original_name": evidence.original_name,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "content_type": evidence.content_type,
        "received_at": evidence.received_at.isoformat(),
        "exif_taken_at": evidence.exif_taken_at.isoformat() if evidence.exif_taken_at else None,
        "description": evidence.description,
    }


def clean_name(name: str) -> str:
    """The consumer's file name as given, minus folders and control characters, at most 255 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name or name in (".", ".."):
        return _("未命名文件")
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        keep = f".{ext}" if dot and len(ext) <= 16 else ""
        name = name[: NAME_MAX - len(keep)] + keep
    return name


def _spool(uploaded_file: UploadedFile, name: str) -> HashedUpload:
    """Copies an upload that did not come through our handler into EVIDENCE_DIR/tmp, hashing on the way."""
    spool = blob_store().spool(settings.EVIDENCE_MAX_BYTES)
    try:
        uploaded_file.seek(0)
        for chunk in uploaded_file.chunks(1024 * 1024):
            spool.write(chunk)
            if spool.exceeded:
                break
    except BaseException:
        spool.discard()
        raise
    return HashedUpload(spool, name, uploaded_file.content_type)


def evidence_for_owner(user: Any, public_id: Any) -> Evidence:
    """The one loader for evidence: by public id, only for the owner of its case; anyone else gets 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404(_("证据不存在"))
    try:
        return Evidence.objects.select_related("case").get(public_id=public_id, case__owner=user)
    except (Evidence.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404(_("证据不存在")) from exc


def open_blob(evidence: Evidence) -> BinaryIO:
    """The stored original, opened for reading (the caller closes it)."""
    if not evidence.has_file:
        raise FileNotFoundError(_("这项证据只有登记，没有上传文件"))
    return blob_store().open(evidence.sha256)
