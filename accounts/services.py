"""Writes on users and their API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, User, hash_token_key
from accounts.token_cache import token_forget

# last_used_at is informational; recording it at most once a minute keeps authenticated
# requests read-only instead of writing the token row on every call.
TOKEN_LAST_USED_RESOLUTION = timedelta(seconds=60)


class LoginRefused(Exception):
    """A login attempt that must not succeed; the message is safe to show the caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCredentials(LoginRefused):
    """Unknown email or wrong password: deliberately never says which."""

    def __init__(self) -> None:
        super().__init__(str(_("Unable to log in with the email and password given.")))


class EmailNotVerified(LoginRefused):
    def __init__(self) -> None:
        super().__init__(
            str(_("Your email address must be verified first: follow the link we emailed you."))
        )


class TooManyLoginAttempts(LoginRefused):
    pass


@transaction.atomic
def user_create_verified(*, email: str, password: str, is_staff: bool = False) -> User:
    """Create a user whose email address is already verified (demo data, operators' scripts).

    Idempotent on the email: an existing user is returned unchanged.
    """
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, is_staff=is_staff)
    email_mark_verified(user=user)
    return user


def email_mark_verified(*, user: User) -> None:
    """Record `user.email` as verified and primary, for users who did not sign up (demo
    fixtures, operators' scripts); an address already on record is left as it is."""
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a named API token for `user`; return it with its key.

    A user keeps at most API_TOKENS_PER_USER active tokens: creating one more revokes the
    oldest (so that a script logging in on every run cannot pile up live keys, and a
    login never fails for it). The user's row is locked so that concurrent logins count
    right. The key is returned only here: the database keeps its SHA-256, so the caller
    must show it to the user now or never.
    """
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    keep = settings.API_TOKENS_PER_USER - 1
    oldest = ApiToken.objects.active().filter(user=user).order_by("-created_at", "-pk")[keep:]
    ApiToken.objects.filter(pk__in=list(oldest.values_list("pk", flat=True))).update(
        revoked_at=timezone.now()
    )
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[: ApiToken.PREFIX_LENGTH],
        key_hash=hash_token_key(key),
        expires_at=expires_at,
    )
    return token, key


def api_token_default_name(*, request: HttpRequest, now: datetime) -> str:
    """The name of a token the client did not name: its User-Agent product and the time,
    e.g. "python-requests/2.32.3, 2026-11-29 20:31 UTC"."""
    agent = request.headers.get("User-Agent", "").split(" ")[0][:60] or "API"
    return f"{agent}, {now:%Y-%m-%d %H:%M} UTC"


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s tokens; revoking a revoked token changes nothing.

    Raises ApiToken.DoesNotExist when the token is not the user's, so that another user's
    token id looks exactly like a missing one.
    """
    token = ApiToken.objects.get(pk=token_id, user=user)
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    token_forget(token.key_hash)
    return token


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> bool:
    """Record that `token` was used, at most once per TOKEN_LAST_USED_RESOLUTION; True
    when this call recorded it (and set `token.last_used_at`).

    The condition lives in the UPDATE so that concurrent requests never write twice.
    """
    now = now or timezone.now()
    stale_before = now - TOKEN_LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at >= stale_before:
        return False
    ApiToken.objects.filter(pk=token.pk).filter(
        models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lt=stale_before)
    ).update(last_used_at=now)
    token.last_used_at = now
    return True


def api_token_obtain(
    *, request: HttpRequest, email: str, password: str, name: str = ""
) -> tuple[ApiToken, str]:
    """Exchange an email and password for a new API token (the API's login), named `name`
    (or after the client and the time) and expiring after API_TOKEN_TTL_DAYS.

    Goes through allauth's authentication so failed attempts count towards the same
    per-account and per-IP limits as the login form. Raises InvalidCredentials (never
    saying whether the email or the password was wrong), EmailNotVerified (only after
    the password was right, so it reveals nothing to a guesser) or TooManyLoginAttempts.
    """
    try:
        user = get_adapter(request).authenticate(request, email=email, password=password)
    except ValidationError as error:
        raise TooManyLoginAttempts(" ".join(error.messages)) from error
    # allauth hands back an inactive user whose password matched (to explain the refusal
    # on its own pages); the API treats a deactivated account like a wrong password.
    if user is None or not user.is_active:
        raise InvalidCredentials
    if not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists():
        raise EmailNotVerified
    now = timezone.now()
    return api_token_create(
        user=user,
        name=name or api_token_default_name(request=request, now=now),
        expires_at=now + timedelta(days=settings.API_TOKEN_TTL_DAYS),
    )


def user_language_remember(*, user: User, language: str) -> None:
    """Keep the site language a person uses, for the emails sent when they are not there.

    Written only when it changed, so a login in the same language costs no query.
    """
    if user.language == language:
        return
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
