from __future__ import annotations

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: settings) -> None:  # type: ignore[valid-type]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
