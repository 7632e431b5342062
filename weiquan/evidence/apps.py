import warnings

from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "weiquan.evidence"
    label = "evidence"
    verbose_name = "证据"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        from weiquan.cases.signals import evidence_declared
        from weiquan.evidence.services import store_declared

        evidence_declared.connect(store_declared, dispatch_uid="evidence.store_declared")

        # Decompression bombs: Pillow's pixel limit from the settings, and its warning (between 1× and 2× the
        # limit) raised as an error instead of printed, for every thread of the process.
        Image.MAX_IMAGE_PIXELS = settings.EVIDENCE_MAX_IMAGE_PIXELS
        warnings.simplefilter("error", Image.DecompressionBombWarning)
