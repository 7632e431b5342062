from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    name = "weiquan.platforms"
    label = "platforms"
    verbose_name = "平台"

    def ready(self) -> None:
        # New public complaints queue signed webhook deliveries for the platforms that subscribed.
        from weiquan.cases.signals import platform_details_stored
        from weiquan.platforms.linking import link_case_on_signal
        from weiquan.platforms.webhooks import connect_signals

        connect_signals()
        # A case's platform details stored or changed: the registry links the case (weiquan.cases.signals).
        platform_details_stored.connect(link_case_on_signal, dispatch_uid="platforms.link_case")
