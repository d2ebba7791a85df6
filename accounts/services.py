"""Writes on users and their API tokens."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import User


@transaction.atomic
def user_create_verified(*, email: str, password: str, is_staff: bool = False) -> User:
    """Create a user whose email address is already verified (demo data, operators' scripts).

    Idempotent on the email: an existing user is returned unchanged.
    """
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, is_staff=is_staff)
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user
