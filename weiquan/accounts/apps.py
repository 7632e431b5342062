from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "weiquan.accounts"
    label = "accounts"
    verbose_name = "账户"

    def ready(self) -> None:
        from weiquan.accounts import signals  # noqa: F401  (connects the Profile receiver)
