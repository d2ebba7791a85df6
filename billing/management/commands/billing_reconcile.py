from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from billing.money import format_credits
from billing.selectors import ledger_reconcile


class Command(BaseCommand):
    help = (
        "Recompute every wallet's balance from its transfers and its held credits from its "
        "active holds; check that all accounts sum to zero. Exits non-zero on any difference."
    )

    def handle(self, *args: object, **options: object) -> None:
        result = ledger_reconcile()
        for difference in result.differences:
            self.stdout.write(
                f"{difference.account}: {difference.field} is "
                f"{format_credits(difference.cached)}, transfers say "
                f"{format_credits(difference.computed)}"
            )
        if result.total != 0:
            self.stdout.write(f"all accounts sum to {format_credits(result.total)}, not 0.00")
        if not result.clean:
            raise CommandError(f"{len(result.differences)} differences in the ledger.")
        self.stdout.write(self.style.SUCCESS(f"{result.wallets} wallets reconcile; books balance."))
