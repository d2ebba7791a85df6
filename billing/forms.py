from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from billing.models import TransferKind
from billing.money import InvalidAmount, check_credit_bounds, format_credits, parse_credits
from mlbilling.widgets import IsoDateInput


class CreditsInput(forms.TextInput):
    """Shows a stored amount (hundredths, an int) as credits; typed text is shown as is."""

    def format_value(self, value: object) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return format_credits(value)
        return super().format_value(value)


class CreditsField(forms.CharField):
    """Credits typed as text ("12.50"), cleaned to hundredths; never a float."""

    def __init__(self, *, min_units: int | None = None, max_units: int | None = None, **kwargs):
        self.min_units, self.max_units = min_units, max_units
        kwargs.setdefault("widget", CreditsInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value: object) -> int | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return check_credit_bounds(parse_credits(text), low=self.min_units, high=self.max_units)
        except InvalidAmount as exc:
            raise forms.ValidationError(str(exc)) from None


class TopUpForm(forms.Form):
    amount = CreditsField(label=_("Amount in credits"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["amount"]
        field.min_units, field.max_units = settings.BILLING_TOPUP_MIN, settings.BILLING_TOPUP_MAX
        field.help_text = _("Between %(min)s and %(max)s credits.") % {
            "min": format_credits(settings.BILLING_TOPUP_MIN),
            "max": format_credits(settings.BILLING_TOPUP_MAX),
        }


class StatementFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *TransferKind.choices]
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=IsoDateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=IsoDateInput())

    def clean(self) -> dict:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


class LowBalanceForm(forms.Form):
    threshold = CreditsField(
        label=_("Email me when my balance falls below"),
        required=False,
        min_units=0,
        help_text=_("Leave empty to turn the email off."),
    )
