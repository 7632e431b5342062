from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("weiquan.accounts.urls")),
    path("api/", include("weiquan.api.urls")),
    path("", include("weiquan.evidence.urls")),
    path("", include("weiquan.cases.urls")),
    path("", include("weiquan.cases.ics_urls")),
    path("", include("weiquan.platforms.urls")),
    path("", include("weiquan.platforms.portal_urls")),
    path("", include("weiquan.public.urls")),
    path("", include("weiquan.web.urls")),
]
