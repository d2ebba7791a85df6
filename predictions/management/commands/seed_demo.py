from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts.services import user_create_verified

DEMO_EMAIL = "demo@mlbilling.local"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (demo account, printed on purpose)


class Command(BaseCommand):
    help = "Create the demo user (idempotent) and print its credentials."

    def handle(self, *args: object, **options: object) -> None:
        user_create_verified(email=DEMO_EMAIL, password=DEMO_PASSWORD)
        self.stdout.write(
            self.style.SUCCESS(f"Demo user: {DEMO_EMAIL} / password: {DEMO_PASSWORD}")
        )
