from django.urls import path

from weiquan.platforms import views

urlpatterns = [
    path("platforms/<uuid:public_id>/", views.platform_detail, name="platform_detail"),
    path("sancha/", views.sancha, name="sancha"),
]
