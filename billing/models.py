"""The credit ledger.

Money moves only as immutable double-entry `Transfer`s between `Account`s. A user's wallet
caches `balance` and `held` next to its transfers (changed in the same transaction, proved
by `manage.py billing_reconcile`); system accounts (payments clearing, revenue per model,
promotions) carry no cached balance so they never become a hot row. Amounts are integers in
hundredths of a credit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, JSONField, Q, Value
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.money import credits_text


class Account(models.Model):
    """A user's wallet (`user` set, cached balance) or a system account (`code` set)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # A user without money history can be deleted with the wallet; transfers protect
        # the wallet (and so the user) once credits have moved.
        on_delete=models.CASCADE,
        related_name="wallet",
        verbose_name=_("user"),
    )
    code = models.CharField(
        _("code"),
        max_length=120,
        unique=True,
        null=True,
        blank=True,
        help_text=_('System accounts only, e.g. "clearing:sandbox", "revenue:<slug>".'),
    )
    balance = models.BigIntegerField(_("balance"), null=True, blank=True, editable=False)
    held = models.BigIntegerField(_("held"), null=True, blank=True, editable=False)
    low_balance_threshold = models.BigIntegerField(
        _("low balance threshold"),
        null=True,
        blank=True,
        help_text=_("Email the owner when the balance falls below this; empty turns it off."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="account_is_wallet_or_system",
                condition=(
                    Q(
                        user__isnull=False,
                        code__isnull=True,
                        balance__isnull=False,
                        held__isnull=False,
                    )
                    | Q(
                        user__isnull=True,
                        code__isnull=False,
                        balance__isnull=True,
                        held__isnull=True,
                        low_balance_threshold__isnull=True,
                    )
                ),
            ),
            models.CheckConstraint(name="wallet_balance_not_negative", condition=Q(balance__gte=0)),
            models.CheckConstraint(name="wallet_held_not_negative", condition=Q(held__gte=0)),
            models.CheckConstraint(
                name="wallet_held_within_balance", condition=Q(held__lte=F("balance"))
            ),
            models.CheckConstraint(
                name="low_balance_threshold_not_negative",
                condition=Q(low_balance_threshold__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return self.code or gettext("wallet of %(user)s") % {"user": self.user}

    @property
    def is_wallet(self) -> bool:
        return self.user_id is not None

    @property
    def available(self) -> int | None:
        if self.balance is None or self.held is None:
            return None
        return self.balance - self.held


class TransferKind(models.TextChoices):
    TOPUP = "topup", _("Top-up")
    CHARGE = "charge", _("Charge")
    HOLD_CAPTURE = "hold_capture", _("Hold capture")
    REFUND = "refund", _("Refund")
    GRANT = "grant", _("Grant")
    ADJUSTMENT = "adjustment", _("Adjustment")


class LineKind(models.TextChoices):
    """What a statement line says a movement was for; its words are written when a page
    shows it, in the reader's language (`billing.statement_lines`)."""

    PREDICTION = "prediction", _("Prediction")
    BATCH = "batch", _("Batch job")
    TOPUP = "topup", _("Top-up")
    REFUND = "refund", _("Refund")
    GRANT = "grant", _("Grant")
    ADJUSTMENT = "adjustment", _("Adjustment")


class Transfer(models.Model):
    """One immutable movement of `amount` from `debit` to `credit`.

    Exactly one side is a wallet; `wallet` names it and `balance_after` is that wallet's
    balance right after this transfer, so a statement shows a running balance without
    summing history. `(kind, reference)` is the idempotency key of the movement.
    `line_kind` and `line_params` say what it was for (rendered in the reader's
    language); `description` is a person's own note (an operator's reason), shown as
    written.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=TransferKind.choices)
    reference = models.CharField(_("reference"), max_length=200)
    # No single-column index on the three account columns: the (account, created_at)
    # indexes in Meta lead with them and serve the same lookups; every index is one more
    # write on the paid path's insert.
    debit = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="debits",
        verbose_name=_("debit"),
        db_index=False,
    )
    credit = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="credits",
        verbose_name=_("credit"),
        db_index=False,
    )
    wallet = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("wallet"),
        db_index=False,
    )
    amount = models.BigIntegerField(_("amount"))
    balance_after = models.BigIntegerField(_("balance after"))
    refund_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
        verbose_name=_("refund of"),
        db_index=False,  # a partial index in Meta: only refunds have one
    )
    # Database defaults too: a row written by hand in SQL (the ledger bench) has no line.
    line_kind = models.CharField(
        _("line kind"),
        max_length=20,
        choices=LineKind.choices,
        blank=True,
        default="",
        db_default="",
    )
    line_params = models.JSONField(
        _("line parameters"), default=dict, blank=True, db_default=Value({}, JSONField())
    )
    description = models.CharField(
        _("description"),
        max_length=500,
        blank=True,
        help_text=_("A person's own note, such as an operator's reason, shown as written."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The operator who made it; empty for the system."),
        verbose_name=_("created by"),
        db_index=False,  # a partial index in Meta: the system's transfers have none
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="transfer_unique_reference"),
            models.CheckConstraint(name="transfer_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="transfer_between_two_accounts", condition=~Q(debit=F("credit"))
            ),
            models.CheckConstraint(
                name="transfer_wallet_is_a_side",
                condition=Q(wallet=F("debit")) | Q(wallet=F("credit")),
            ),
            models.CheckConstraint(
                name="transfer_balance_after_not_negative", condition=Q(balance_after__gte=0)
            ),
        ]
        indexes = [
            models.Index(fields=["wallet", "created_at"], name="transfer_statement_idx"),
            models.Index(fields=["debit", "created_at"], name="transfer_debit_idx"),
            models.Index(fields=["credit", "created_at"], name="transfer_credit_idx"),
            # Operator reports aggregate every transfer of a date range (analytics).
            models.Index(fields=["created_at"], name="transfer_created_idx"),
            # Nearly every transfer leaves these empty: the paid path writes no entry.
            models.Index(
                fields=["refund_of"],
                name="transfer_refund_of_idx",
                condition=Q(refund_of__isnull=False),
            ),
            models.Index(
                fields=["created_by"],
                name="transfer_created_by_idx",
                condition=Q(created_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        # Shown as the admin page's title and wherever a refund names its charge.
        return f"{self.get_kind_display()} {self.reference}: {credits_text(self.amount)}"

    @property
    def signed_amount(self) -> int:
        """The amount as the wallet sees it: positive in, negative out."""
        return self.amount if self.credit_id == self.wallet_id else -self.amount


class HoldStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CAPTURED = "captured", _("Captured")
    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Expired")


class Hold(models.Model):
    """Credits reserved on a wallet (counted in its `held`) until captured or released."""

    wallet = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="holds", verbose_name=_("wallet")
    )
    amount = models.BigIntegerField(_("amount"))
    reference = models.CharField(_("reference"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=HoldStatus.choices, default=HoldStatus.ACTIVE
    )
    captured_amount = models.BigIntegerField(_("captured amount"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(name="hold_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="hold_captured_within_amount",
                condition=Q(captured_amount__isnull=True)
                | Q(captured_amount__gte=0, captured_amount__lte=F("amount")),
            ),
            models.CheckConstraint(
                name="hold_captured_amount_iff_captured",
                condition=Q(status=HoldStatus.CAPTURED, captured_amount__isnull=False)
                | (~Q(status=HoldStatus.CAPTURED) & Q(captured_amount__isnull=True)),
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="hold_active_expiry_idx",
                condition=Q(status=HoldStatus.ACTIVE),
            ),
        ]

    def __str__(self) -> str:
        return gettext("hold %(reference)s (%(status)s)") % {
            "reference": self.reference,
            "status": self.get_status_display(),
        }


class TopUpState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class TopUp(models.Model):
    """A purchase of credits through a payment provider; credited once, when it succeeds."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    amount = models.BigIntegerField(_("amount"))
    state = models.CharField(
        _("state"), max_length=10, choices=TopUpState.choices, default=TopUpState.PENDING
    )
    provider = models.CharField(_("provider"), max_length=40)
    provider_reference = models.CharField(_("provider reference"), max_length=200, blank=True)
    checkout_url = models.CharField(_("checkout URL"), max_length=500, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(name="topup_amount_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="topup_unique_provider_reference",
            ),
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="topup_user_idx")]

    def __str__(self) -> str:
        return gettext("top-up #%(id)s (%(state)s)") % {
            "id": self.pk,
            "state": self.get_state_display(),
        }

    @property
    def transfer_reference(self) -> str:
        return f"topup:{self.pk}"
