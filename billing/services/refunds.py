"""Giving back an earlier charge or hold capture, whole or in parts."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum

from accounts.models import User
from billing.errors import ReferenceConflict, RefundNotAllowed
from billing.models import Transfer, TransferKind
from billing.money import format_credits
from billing.services.movements import credit_from_system, existing_transfer, require_positive
from billing.statement_lines import refund_line


@transaction.atomic
def transfer_refund(
    *,
    transfer_id: int,
    amount: int,
    reference: str,
    reason: str,
    created_by: User | None = None,
) -> Transfer:
    """Give back up to the whole of an earlier charge or hold capture, in one or more parts.

    The refund is a new transfer from the revenue account back to the wallet; the total
    refunded never exceeds the original amount. The same reference again returns the first
    refund.
    """
    require_positive(amount)
    # Lock the original first: it serialises refunds of one charge, so two partial refunds
    # cannot both pass the "at most its amount" check, and a retry waiting here sees the
    # first refund once that commits (checked before the lock, it would find none, then
    # be refused as over the amount).
    original = Transfer.objects.select_for_update().filter(pk=transfer_id).first()
    existing = existing_transfer(kind=TransferKind.REFUND, reference=reference)
    if existing is not None:
        if existing.refund_of_id != transfer_id or existing.amount != amount:
            raise ReferenceConflict(f"Reference {reference!r} was used for another refund.")
        return existing
    if original is None or original.kind not in {TransferKind.CHARGE, TransferKind.HOLD_CAPTURE}:
        raise RefundNotAllowed("Only a charge or a hold capture can be refunded.")
    refunded = original.refunds.aggregate(total=Sum("amount"))["total"] or 0
    if refunded + amount > original.amount:
        raise RefundNotAllowed(
            f"At most {format_credits(original.amount - refunded)} of this charge "
            "can still be refunded."
        )
    return credit_from_system(
        wallet_id=original.debit_id,
        amount=amount,
        kind=TransferKind.REFUND,
        reference=reference,
        system=original.credit_id,
        line=refund_line(refund_of=original.pk),
        description=reason,
        created_by=created_by,
        refund_of_id=original.pk,
    )
