"""Shared personas, built once per test: alice owns a case, bob is another consumer (an outsider to it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture
def seed_case_file() -> dict:
    return json.loads((EXAMPLES / "seed-invalid-code.json").read_text(encoding="utf-8"))


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-secret-pw-2026")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="bob-secret-pw-2026")


@pytest.fixture
def alice_case(alice, seed_case_file):
    from weiquan.cases.models import Case

    return Case.create_from_case_file(alice, seed_case_file)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture(autouse=True)
def _fast_password_hasher(request, settings):
    # Argon2 costs ~0.1 s a hash; the suite hashes thousands of times. tests/test_accounts.py checks that the
    # production settings still store Argon2 (marked production_hasher, which keeps the real list).
    if "production_hasher" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _evidence_dir(settings, tmp_path):
    # Each test gets its own evidence folder: nothing leaks between tests or into ./data.
    settings.EVIDENCE_DIR = tmp_path / "evidence"
