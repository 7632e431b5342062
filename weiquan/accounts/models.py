from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models


def _token() -> str:
    return secrets.token_urlsafe(24)


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    # Secret part of the personal ICS feed URL; regenerating it revokes old subscriptions.
    ics_token = models.CharField(max_length=64, unique=True, default=_token)

    def __str__(self) -> str:
        return f"Profile({self.user_id})"


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: object) -> str:
        key = secrets.token_urlsafe(32)
        cls.objects.create(user=user, key_hash=cls.hash(key))
        return key


class RateCounter(models.Model):
    """One fixed-window counter (weiquan.accounts.counters): hits counted until the epoch second ``until``."""

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    until = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}={self.count}"
