from django.urls import include, path

from weiquan.evidence import views

urlpatterns = [
    path("cases/<uuid:public_id>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<uuid:public_id>/download", views.evidence_download, name="evidence_download"),
    path("cases/<uuid:public_id>/bundle.zip", views.case_bundle, name="case_bundle"),
    path("", include("weiquan.evidence.intel_urls")),
]
