from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "weiquan.cases"
    label = "cases"
    verbose_name = "案件"

    def ready(self) -> None:
        from weiquan.accounts.signals import sign_in_page, signed_in
        from weiquan.cases import signin

        # Signing in saves the case finished in the wizard before the account existed (weiquan.accounts.signals).
        signed_in.connect(signin.save_pending, dispatch_uid="cases.save_pending")
        sign_in_page.connect(signin.has_pending, dispatch_uid="cases.has_pending")
