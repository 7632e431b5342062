from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    name = "weiquan.platforms"
    label = "platforms"
    verbose_name = "平台"
