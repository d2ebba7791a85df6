from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from accounts.models import User
from accounts.services import user_language_remember


def remember_language(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    # Sign-up ties a browser's language to the new account.
    if request is not None:
        user_language_remember(user=user, language=translation.get_language() or "")


def language_on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """The language stored on the account wins in a new browser: the login's own response
    is already in it, and LoginLanguageCookieMiddleware keeps it in the cookie. An account
    with no stored language takes the browser's."""
    if request is None:
        return
    if user.language not in dict(settings.LANGUAGES):
        remember_language(sender, request, user)
        return
    translation.activate(user.language)
    request.LANGUAGE_CODE = user.language
    request.login_language = user.language
