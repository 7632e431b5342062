"""The merchant portal: /merchant/…"""

from django.urls import path

from weiquan.platforms import portal_views as views

urlpatterns = [
    path("merchant/", views.home, name="merchant_home"),
    path("merchant/guide/", views.guide, name="merchant_guide"),
    path("merchant/claim/", views.claim_start, name="merchant_claim_start"),
    path("merchant/claims/<uuid:platform_id>/", views.claim_detail, name="merchant_claim"),
    path("merchant/claims/<uuid:platform_id>/verify/", views.claim_verify, name="merchant_claim_verify"),
    path("merchant/p/<uuid:platform_id>/", views.portal, name="merchant_portal"),
    path("merchant/p/<uuid:platform_id>/declare/", views.declare, name="merchant_declare"),
    path("merchant/p/<uuid:platform_id>/webhook/", views.webhook_save, name="merchant_webhook"),
    path(
        "merchant/p/<uuid:platform_id>/webhook/disable/",
        views.webhook_disable,
        name="merchant_webhook_disable",
    ),
    path(
        "merchant/p/<uuid:platform_id>/webhook/secret/", views.webhook_rotate, name="merchant_webhook_rotate"
    ),
    path("merchant/complaints/<uuid:complaint_id>/reply/", views.reply, name="merchant_reply"),
    path("merchant/complaints/<uuid:complaint_id>/progress/", views.progress, name="merchant_progress"),
]
