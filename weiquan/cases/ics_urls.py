"""Included by weiquan/urls.py at the site root: the secret calendar feed lives outside /accounts/ and /cases/."""

from django.urls import path

from weiquan.cases import ics

urlpatterns = [
    path("calendar/<str:token>.ics", ics.feed, name="ics_feed"),
]
