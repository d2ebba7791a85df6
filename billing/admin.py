"""Operators' view of the ledger. Transfers are read-only: money moves only through the
services, and an operator's grant is audited on its transfer (who, when, why)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.errors import BillingError
from billing.forms import CreditsField
from billing.models import Account, Hold, HoldStatus, TopUp, Transfer
from billing.money import format_credits
from billing.services.holds import hold_release
from billing.services.wallets import wallet_grant


class NoAddOrDeleteAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyAdmin(NoAddOrDeleteAdmin):
    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class GrantForm(forms.Form):
    amount = CreditsField(
        label=_("Credits"), help_text=_("Negative takes credits back (never below zero).")
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def clean_amount(self) -> int:
        if self.cleaned_data["amount"] == 0:
            raise forms.ValidationError(_("Enter a non-zero amount."))
        return self.cleaned_data["amount"]


@admin.register(Account)
class AccountAdmin(NoAddOrDeleteAdmin):
    list_display = ["__str__", "balance_display", "held_display", "low_balance_threshold"]
    list_select_related = ["user"]
    search_fields = ["user__email", "code"]
    list_filter = [("user", admin.EmptyFieldListFilter)]
    fields = ["user", "code", "balance", "held", "low_balance_threshold", "created_at"]
    readonly_fields = ["user", "code", "balance", "held", "created_at"]
    actions = ["grant_credits"]

    @admin.display(description=_("balance"))
    def balance_display(self, account: Account) -> str:
        return "" if account.balance is None else format_credits(account.balance)

    @admin.display(description=_("held"))
    def held_display(self, account: Account) -> str:
        return "" if account.held is None else format_credits(account.held)

    @admin.action(description=_("Grant or take back credits"), permissions=["change"])
    def grant_credits(
        self, request: HttpRequest, queryset: QuerySet[Account]
    ) -> HttpResponse | None:
        wallets = list(queryset.filter(user__isnull=False).select_related("user"))
        form = GrantForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for wallet in wallets:
                try:
                    wallet_grant(
                        user=wallet.user,
                        amount=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        created_by=request.user,
                    )
                except BillingError as exc:
                    self.message_user(request, f"{wallet}: {exc}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"{wallet}: {format_credits(form.cleaned_data['amount'])} credits.",
                        messages.SUCCESS,
                    )
            return None
        return TemplateResponse(
            request,
            "admin/billing/account/grant.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Grant or take back credits"),
                "form": form,
                "wallets": wallets,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "kind",
        "reference",
        "debit",
        "credit",
        "amount_display",
        "balance_after_display",
        "created_by",
        "description",
    ]
    list_filter = ["kind", "created_at"]
    list_select_related = ["debit__user", "credit__user", "created_by"]
    search_fields = ["reference", "wallet__user__email", "description"]
    date_hierarchy = "created_at"

    @admin.display(description=_("amount"))
    def amount_display(self, transfer: Transfer) -> str:
        return format_credits(transfer.amount)

    @admin.display(description=_("balance after"))
    def balance_after_display(self, transfer: Transfer) -> str:
        return format_credits(transfer.balance_after)


@admin.register(Hold)
class HoldAdmin(NoAddOrDeleteAdmin):
    list_display = [
        "id",
        "wallet",
        "amount",
        "status",
        "captured_amount",
        "expires_at",
        "reference",
    ]
    list_filter = ["status"]
    list_select_related = ["wallet__user"]
    search_fields = ["reference", "wallet__user__email"]
    actions = ["release"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in Hold._meta.fields]

    @admin.action(description=_("Release selected active holds"), permissions=["change"])
    def release(self, request: HttpRequest, queryset: QuerySet[Hold]) -> None:
        holds = list(queryset.filter(status=HoldStatus.ACTIVE))
        for hold in holds:
            hold_release(hold_id=hold.pk)
            self.log_change(request, hold, "Released by an operator.")
        self.message_user(
            request,
            ngettext("%(count)d hold released.", "%(count)d holds released.", len(holds))
            % {"count": len(holds)},
        )


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "amount", "state", "provider", "provider_reference", "created_at"]
    list_filter = ["state", "provider"]
    list_select_related = ["user"]
    search_fields = ["user__email", "provider_reference"]
