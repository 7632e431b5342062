"""Evidence pages: upload, download, export. Thin: owner loader first, then one service call."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    UnreadablePostError,
)
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from weiquan.cases.models import Case, case_for_owner
from weiquan.evidence.bundle import bundle_file, bundle_filename
from weiquan.evidence.services import EvidenceRejected, evidence_for_owner, open_blob, store_upload
from weiquan.evidence.upload import evidence_uploads


@login_required
@csrf_exempt  # checked in _store_upload: the hashing upload handler must be in place before the CSRF check reads the body
@require_POST
def evidence_upload(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    from django.http.multipartparser import MultiPartParserError
    from django.shortcuts import render

    case = case_for_owner(request.user, public_id)
    try:
        with evidence_uploads(request):
            return _store_upload(request, case)
    except EvidenceRejected as exc:
        messages.error(request, exc.message)
    except UnreadablePostError:  # the client went away mid-upload: nothing was stored and nobody is listening
        return HttpResponseBadRequest()
    except MultiPartParserError:
        # no boundary, a part header over Django's limit, a cut-off part: not a form we can read (as the API says)
        message = _("上传的表单格式不正确（multipart 边界或分段头有误），文件未保存，请重新上传")
        return render(request, "evidence/upload_error.html", {"case": case, "message": message}, status=400)
    return redirect("case_detail", public_id)


@csrf_protect
def _store_upload(request: HttpRequest, case: Case) -> HttpResponse:
    evidence = store_upload(
        case,
        request.FILES.get("file"),
        kind=request.POST.get("kind", ""),
        description=request.POST.get("description", ""),
        actor=request.user,
    )
    messages.success(
        request,
        _("已保存：%(name)s（SHA-256 %(sha)s…）")
        % {"name": evidence.original_name, "sha": evidence.sha256[:12]},
    )
    return redirect("case_detail", case.public_id)


@login_required
@require_GET
def evidence_download(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    evidence = evidence_for_owner(request.user, public_id)
    if not evidence.has_file:
        raise Http404(_("这项证据只有登记，没有上传文件"))
    return FileResponse(
        open_blob(evidence),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type or "application/octet-stream",
    )


@login_required
@require_GET
def case_bundle(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    case = case_for_owner(request.user, public_id)
    return FileResponse(
        bundle_file(case), as_attachment=True, filename=bundle_filename(case), content_type="application/zip"
    )
