from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, User, hash_token_key
from accounts.services import api_token_touch


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` against hashed, revocable, expiring tokens."""

    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = (
            ApiToken.objects.active()
            .select_related("user")
            .filter(key_hash=hash_token_key(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        api_token_touch(token=token)
        return (token.user, token)
