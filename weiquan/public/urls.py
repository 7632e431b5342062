from django.urls import path

from weiquan.public import views

urlpatterns = [
    path("complaints/", views.complaint_list, name="public_complaints"),
    path("complaints/<uuid:public_id>/", views.complaint_detail, name="public_complaint"),
    path("complaints/collective/<uuid:public_id>/", views.collective_detail, name="public_collective"),
    # The consumer's side, on their own case (case_for_owner first in every view).
    path("cases/<uuid:public_id>/publish/", views.case_publish, name="case_publish"),
    path("cases/<uuid:public_id>/publish/withdraw/", views.case_withdraw, name="case_publish_withdraw"),
    path("cases/<uuid:public_id>/publish/confirm/", views.case_confirm, name="case_publish_confirm"),
    path("cases/<uuid:public_id>/publish/collective/", views.case_collective, name="case_publish_collective"),
]
