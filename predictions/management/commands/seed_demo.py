from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.services import email_mark_verified
from billing.services.wallets import wallet_grant, wallet_open

DEMO_FIXTURE = settings.BASE_DIR / "fixtures" / "demo.json"
DEMO_EMAIL = "demo@mlbilling.local"
# The fixture holds these passwords hashed; they are printed so that people can log in.
DEMO_LOGINS = {
    DEMO_EMAIL: "demo-password-2026",
    "operator@mlbilling.local": "operator-password-2026",
}


class Command(BaseCommand):
    help = (
        "Load fixtures/demo.json (the demo user and operator, the six models' catalogue "
        "entries and prices), grant the demo user's welcome credits once, print the logins. "
        "Idempotent: a rerun puts the fixture's rows back as they were."
    )

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            # The operator is a superuser whose password is in this repository: never on a
            # site that is not a developer's own (bin/run turns DEBUG on).
            raise CommandError(
                "seed_demo creates accounts whose passwords are published; it runs only "
                "with DEBUG on."
            )
        call_command("loaddata", DEMO_FIXTURE, verbosity=0)
        for email in DEMO_LOGINS:
            user = User.objects.get(email=email)
            email_mark_verified(user=user)
            # loaddata saves raw, so the signal that opens a new user's wallet skips these
            # users; and a wallet caches its transfers' sum, so no fixture may carry one.
            wallet_open(user=user)
        # A fixed reference makes the grant idempotent: reruns do not add credits.
        wallet_grant(
            user=User.objects.get(email=DEMO_EMAIL),
            amount=10_000,
            reason="Welcome credits",
            reference="demo-welcome-grant",
        )
        for email, password in DEMO_LOGINS.items():
            self.stdout.write(self.style.SUCCESS(f"Demo login: {email} / password: {password}"))
