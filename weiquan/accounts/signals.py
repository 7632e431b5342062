"""Every user gets a Profile (ICS feed token) as soon as the account exists; and the sign-in pages' two signals.

The sign-in pages are partly another app's business: the case wizard (weiquan.cases) saves the case a visitor
finished before having an account. It connects to these signals in its AppConfig.ready, so accounts imports no app.
- ``signed_in(sender=None, request=request)``: a visitor just signed up or logged in here; a receiver may answer
  with the URL to go to next (instead of ?next=).
- ``sign_in_page(sender=None, request=request)``: a receiver answers True when the page should say that signing in
  saves what the visitor typed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from weiquan.accounts.models import Profile

signed_in = Signal()
sign_in_page = Signal()


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="weiquan_create_profile")
def create_profile(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    # raw: loaddata replays fixtures that carry their own Profile rows.
    if created and not raw:
        Profile.objects.get_or_create(user=instance)
