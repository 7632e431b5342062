from django.urls import path

from weiquan.evidence import intel_views

urlpatterns = [
    path("cases/<uuid:public_id>/intel/", intel_views.case_intel, name="case_intel"),
    path("cases/<uuid:public_id>/intel/chat", intel_views.case_chat, name="case_intel_chat"),
    path("cases/<uuid:public_id>/intel/capture", intel_views.case_capture, name="case_intel_capture"),
    path("evidence/<uuid:public_id>/stamp", intel_views.evidence_stamp, name="evidence_stamp"),
    path("evidence/<uuid:public_id>/image", intel_views.evidence_image, name="evidence_image"),
    path("evidence/<uuid:public_id>/reading/", intel_views.evidence_reading, name="evidence_reading"),
]
