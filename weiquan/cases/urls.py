from django.urls import path, register_converter

from weiquan.cases import corrections, views


class DocumentKindConverter:
    # Kinds are letters, digits and underscores ("12315", "evidence_list"); the view 404s unknown ones.
    regex = r"[a-z0-9_]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class FormatConverter(DocumentKindConverter):
    regex = r"txt|docx|pdf"


register_converter(DocumentKindConverter, "dockind")
register_converter(FormatConverter, "docfmt")

urlpatterns = [
    path("new/", views.wizard_start, name="wizard_start"),
    path("new/<int:step>/", views.wizard, name="wizard"),
    path("new/reset/", views.wizard_reset, name="wizard_reset"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<uuid:public_id>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:public_id>/record/", views.case_record, name="case_record"),
    path("cases/<uuid:public_id>/forms/<dockind:kind>/", views.case_form, name="case_form"),
    path(
        "cases/<uuid:public_id>/contacts/<uuid:contact_id>/correct/",
        corrections.correct_contact,
        name="contact_correct",
    ),
    path(
        "cases/<uuid:public_id>/documents/<dockind:kind>.<docfmt:fmt>",
        views.case_document,
        name="case_document",
    ),
]
