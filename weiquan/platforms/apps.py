from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    name = "weiquan.platforms"
    label = "platforms"
    verbose_name = "平台"

    def ready(self) -> None:
        # New public complaints queue signed webhook deliveries for the platforms that subscribed.
        from weiquan.platforms.webhooks import connect_signals

        connect_signals()
