from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation

from accounts.models import User
from accounts.services import user_language_remember


def remember_language(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    # Sign-up and login are the visits that tie a browser's language to the account.
    if request is not None:
        user_language_remember(user=user, language=translation.get_language() or "")
