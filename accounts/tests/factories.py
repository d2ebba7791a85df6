from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from factory.django import DjangoModelFactory, Password

from accounts.models import User

DEFAULT_PASSWORD = "a-long-test-password-2026"


class UserFactory(DjangoModelFactory):
    """A user who can log in at once: active, with a verified primary email address.

    Log in with `DEFAULT_PASSWORD`, or pass `password=...`.
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = Password(DEFAULT_PASSWORD)

    @factory.post_generation
    def verified_email(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )
