"""What a case tells the apps above it, without importing them (they connect in their AppConfig.ready).

- ``evidence_declared(sender=Case, case=case, evidence=[facts.Evidence, …])``: a new case's file declared these
  pieces of evidence (no file yet), inside the creating transaction; ``weiquan.evidence`` stores them.
- ``platform_details_stored(sender=Case, case=case)``: the case's platform name, domain or merchant name was stored
  or changed, inside the storing transaction; the platform registry (``weiquan.platforms``) links the case.
"""

from django.dispatch import Signal

evidence_declared = Signal()
platform_details_stored = Signal()
