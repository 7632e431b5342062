"""Every user gets a Profile (ICS feed token) as soon as the account exists."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from weiquan.accounts.models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="weiquan_create_profile")
def create_profile(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    # raw: loaddata replays fixtures that carry their own Profile rows.
    if created and not raw:
        Profile.objects.get_or_create(user=instance)
