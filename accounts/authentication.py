from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, User, hash_token_key
from accounts.services import api_token_touch
from accounts.token_cache import token_last_used_update, token_recall, token_remember


def check_token_usable(token: ApiToken | None, *, now: datetime | None = None) -> ApiToken:
    """The one place that decides whether a token may authenticate; raises a 401 whose
    code says why (unknown, revoked, expired, inactive user). A cache of tokens must
    call this on every hit, since a cached token can expire while cached."""
    if token is None:
        raise exceptions.AuthenticationFailed(_("Invalid token."), code="authentication_failed")
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed(_("This token was revoked."), code="token_revoked")
    if token.expires_at is not None and token.expires_at <= (now or timezone.now()):
        raise exceptions.AuthenticationFailed(
            _("This token has expired; get a new one from POST /api/v1/auth/token."),
            code="token_expired",
        )
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed(
            _("User inactive or deleted."), code="authentication_failed"
        )
    return token


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` against hashed, revocable, expiring tokens.

    A token read in the last API_TOKEN_CACHE_SECONDS comes from this process's memory
    (accounts/token_cache.py) instead of the database; either way `check_token_usable`
    (revocation, expiry, the user's `is_active`) decides on every request.
    """

    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        key_hash = hash_token_key(key)
        token = token_recall(key_hash)
        if token is None:
            token = ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
            if token is not None:
                token_remember(token)
        check_token_usable(token)
        if api_token_touch(token=token):
            token_last_used_update(token)
        return (token.user, token)
