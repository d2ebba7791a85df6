from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts.services import user_create_verified
from billing.services.wallets import wallet_grant

DEMO_EMAIL = "demo@mlbilling.local"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (demo account, printed on purpose)


class Command(BaseCommand):
    help = "Create the demo user (idempotent) and print its credentials."

    def handle(self, *args: object, **options: object) -> None:
        user = user_create_verified(email=DEMO_EMAIL, password=DEMO_PASSWORD)
        # A fixed reference makes the grant idempotent: reruns do not add credits.
        wallet_grant(
            user=user, amount=10_000, reason="Welcome credits", reference="demo-welcome-grant"
        )
        self.stdout.write(
            self.style.SUCCESS(f"Demo user: {DEMO_EMAIL} / password: {DEMO_PASSWORD}")
        )
