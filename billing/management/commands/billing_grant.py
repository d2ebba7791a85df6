from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from billing.errors import BillingError
from billing.money import InvalidAmount, format_credits, parse_credits
from billing.services.wallets import wallet_grant


class Command(BaseCommand):
    help = (
        "Grant credits to a user (negative CREDITS takes them back, never below zero). "
        "Audited like an operator's grant in the admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("credits", help='Credits, e.g. "25" or "-2.50".')
        parser.add_argument("--reason", required=True)
        parser.add_argument("--reference", help="Makes the grant idempotent: given once.")
        parser.add_argument("--operator", help="Email of the operator recorded as its author.")

    def handle(self, *args: object, **options: str) -> None:
        user = User.objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"No user with email {options['email']}.")
        operator = None
        if options["operator"]:
            operator = User.objects.filter(email__iexact=options["operator"]).first()
            if operator is None:
                raise CommandError(f"No operator with email {options['operator']}.")
        try:
            transfer = wallet_grant(
                user=user,
                amount=parse_credits(options["credits"]),
                reason=options["reason"],
                reference=options["reference"],
                created_by=operator,
            )
        except (InvalidAmount, BillingError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{user.email}: {format_credits(transfer.signed_amount)} credits "
                f"(transfer {transfer.pk}), balance {format_credits(transfer.balance_after)}."
            )
        )
