from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, User, hash_token_key
from accounts.services import api_token_touch
from accounts.token_cache import token_last_used_update, token_recall, token_remember


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` against hashed, revocable, expiring tokens.

    A token read in the last API_TOKEN_CACHE_SECONDS comes from this process's memory
    (accounts/token_cache.py) instead of the database; either way `ApiToken.is_active`
    (revocation and expiry) and the user's `is_active` are checked on every request.
    """

    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        key_hash = hash_token_key(key)
        token = token_recall(key_hash)
        if token is None:
            token = ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
            if token is not None:
                token_remember(token)
        if token is None or not token.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if api_token_touch(token=token):
            token_last_used_update(token)
        return (token.user, token)
