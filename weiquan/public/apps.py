from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "weiquan.public"
    label = "public"
    verbose_name = "公开投诉"
