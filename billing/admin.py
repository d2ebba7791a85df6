"""Operators' view of the ledger. Transfers, holds and top-ups are read-only: money moves
only through the services, and an operator's grant is audited on its transfer (who, when,
why). A wallet's settings are saved by their own service, never by writing the whole row
back (which would undo a charge committed since the page was read). Every amount is in
credits (billing.admin_money)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.admin_money import credits_display, credits_formfield
from billing.errors import BillingError
from billing.forms import CreditsField
from billing.models import Account, Hold, HoldStatus, TopUp, Transfer
from billing.money import credits_text
from billing.services.holds import hold_release
from billing.services.wallets import wallet_grant, wallet_settings_save


class NoAddOrDeleteAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyAdmin(NoAddOrDeleteAdmin):
    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ActionsOnlyAdmin(NoAddOrDeleteAdmin):
    """Changed only by its actions (which call services): a row's page is view-only, since
    saving it would write the whole row back over what a service committed since."""

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and super().has_change_permission(request)


class GrantForm(forms.Form):
    amount = CreditsField(
        label=_("Credits"), help_text=_("Negative takes credits back (never below zero).")
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def clean_amount(self) -> int:
        if self.cleaned_data["amount"] == 0:
            raise forms.ValidationError(_("Enter a non-zero amount."))
        return self.cleaned_data["amount"]


class WalletSettingsForm(forms.ModelForm):
    """The only editable part of a wallet: its settings, typed in credits."""

    class Meta:
        model = Account
        fields = ["low_balance_threshold"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["low_balance_threshold"] = credits_formfield(
            Account._meta.get_field("low_balance_threshold"),
            help_text=_("In credits; the owner is emailed when the balance falls below it."),
        )


@admin.register(Account)
class AccountAdmin(NoAddOrDeleteAdmin):
    list_display = ["__str__", "balance_credits", "held_credits", "threshold_credits"]
    list_select_related = ["user"]
    search_fields = ["user__email", "code"]
    list_filter = [("user", admin.EmptyFieldListFilter)]
    form = WalletSettingsForm
    fields = ["user", "code", "balance_credits", "held_credits", "low_balance_threshold"]
    fields += ["created_at"]
    actions = ["grant_credits"]

    balance_credits = credits_display("balance", _("balance"))
    held_credits = credits_display("held", _("held"))
    threshold_credits = credits_display("low_balance_threshold", _("low-balance threshold"))

    def get_readonly_fields(self, request: HttpRequest, obj: Account | None = None) -> list[str]:
        readonly = ["user", "code", "balance_credits", "held_credits", "created_at"]
        # A system account has no owner to email.
        return readonly if obj is None or obj.user_id else [*readonly, "low_balance_threshold"]

    def save_model(
        self, request: HttpRequest, obj: Account, form: forms.ModelForm, change: bool
    ) -> None:
        # Never obj.save(): the form read balance and held when the page was opened.
        wallet_settings_save(
            wallet_id=obj.pk, low_balance_threshold=form.cleaned_data["low_balance_threshold"]
        )

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
                        f"{wallet}: {credits_text(form.cleaned_data['amount'])}.",
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
        "amount_credits",
        "balance_after_credits",
        "created_by",
        "line_kind",
        "description",
    ]
    list_filter = ["kind", "line_kind", "created_at"]
    list_select_related = ["debit__user", "credit__user", "created_by"]
    search_fields = ["reference", "wallet__user__email", "description"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "kind",
        "reference",
        "debit",
        "credit",
        "wallet",
        "amount_credits",
        "balance_after_credits",
        "refund_of",
        "line_kind",
        "line_params",
        "description",
        "created_by",
        "created_at",
    ]

    amount_credits = credits_display("amount", _("amount"))
    balance_after_credits = credits_display("balance_after", _("balance after"))


@admin.register(Hold)
class HoldAdmin(ActionsOnlyAdmin):
    list_display = [
        "id",
        "wallet",
        "amount_credits",
        "status",
        "captured_credits",
        "expires_at",
        "reference",
    ]
    list_filter = ["status"]
    list_select_related = ["wallet__user"]
    search_fields = ["reference", "wallet__user__email"]
    actions = ["release"]
    fields = readonly_fields = [
        "wallet",
        "amount_credits",
        "reference",
        "status",
        "captured_credits",
        "description",
        "expires_at",
        "created_at",
        "settled_at",
    ]

    amount_credits = credits_display("amount", _("amount"))
    captured_credits = credits_display("captured_amount", _("captured"))

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
    list_display = [
        "id",
        "user",
        "amount_credits",
        "state",
        "provider",
        "provider_reference",
        "created_at",
    ]
    list_filter = ["state", "provider"]
    list_select_related = ["user"]
    search_fields = ["user__email", "provider_reference"]
    fields = readonly_fields = [
        "user",
        "amount_credits",
        "state",
        "provider",
        "provider_reference",
        "checkout_url",
        "expires_at",
        "created_at",
        "updated_at",
    ]

    amount_credits = credits_display("amount", _("amount"))
