"""Website pages of paid predictions: the form on a model's page, the history and a detail.

Thin like the API views: the form turns browser input into rows, `prediction_run` does
the rest, and its domain errors become messages next to the fields.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.money import format_credits
from billing.selectors import wallet_balance
from predictions import prediction_selectors as selectors
from predictions.cases import UnknownCase
from predictions.inference import (
    IdempotencyConflict,
    PredictionFailed,
    PredictionRefused,
    prediction_run,
)
from predictions.models import Prediction
from predictions.predict_form import PredictForm
from predictions.registry import ModelListing, NoProductionVersion, model_list
from predictions.schema import SchemaError

HISTORY_PAGE_SIZE = 25


def predict_form_context(request: HttpRequest, listing: ModelListing, form=None) -> dict:  # type: ignore[no-untyped-def]
    """What templates/predictions/predict_form.html needs (also used by the card page)."""
    context = {
        "listing": listing,
        "price": format_credits(listing.model.price_per_row),
        "predict_url": reverse("predictions:predict", args=[listing.model.slug]),
        "predict_form": form,
    }
    if request.user.is_authenticated:
        context["predict_form"] = form or PredictForm(case=listing.case)
        context["available"] = format_credits(wallet_balance(user=request.user).available)
    return context


def predict(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the form alone; POST: run it, then show the prediction or the errors."""
    try:
        listing = selectors.model_catalog_entry(slug=slug)
    except UnknownCase:
        raise Http404 from None
    form = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        form = PredictForm(request.POST, case=listing.case)
        if form.is_valid():
            try:
                outcome = prediction_run(
                    user=request.user,
                    slug=slug,
                    rows=[form.row()],
                    idempotency_key=form.cleaned_data["idempotency_key"] or None,
                    source=Prediction.Source.WEB,
                )
            except SchemaError as exc:
                form.add_schema_errors(exc)
            except PredictionRefused as exc:
                form.add_error(
                    None,
                    _("Not enough credits: this costs %(needed)s, you have %(available)s.")
                    % {
                        "needed": format_credits(exc.needed),
                        "available": format_credits(exc.available),
                    },
                )
            except (PredictionFailed, IdempotencyConflict, NoProductionVersion) as exc:
                form.add_error(None, str(exc))
            else:
                prediction = outcome.prediction
                messages.success(
                    request,
                    _("Prediction done: %(cost)s credits charged, balance %(balance)s.")
                    % {
                        "cost": format_credits(prediction.cost),
                        "balance": format_credits(prediction.balance_after or 0),
                    },
                )
                return redirect("predictions:detail", pk=prediction.pk)
    return render(
        request, "predictions/predict_page.html", predict_form_context(request, listing, form)
    )


class HistoryFilterForm(forms.Form):
    model = forms.ChoiceField(label=gettext_lazy("Model"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("any")), *Prediction.Status.choices],
    )
    created_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [
            ("", _("any")),
            *((m.model.slug, _(m.model.title)) for m in model_list()),
        ]


@login_required
def history(request: HttpRequest) -> HttpResponse:
    filters = HistoryFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    predictions = selectors.prediction_list(
        user=request.user, **{k: v for k, v in criteria.items() if v}
    )
    page = Paginator(predictions, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "predictions/history.html",
        {"filters": filters, "page": page, "query": query.urlencode()},
    )


@login_required
def detail(request: HttpRequest, pk: str) -> HttpResponse:
    try:
        prediction = selectors.prediction_get(user=request.user, prediction_id=pk)
    except Prediction.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "predictions/detail.html",
        {"prediction": prediction, "results": result_rows(prediction)},
    )


def result_rows(prediction: Prediction) -> list[dict]:
    """Each input row beside its result, probabilities highest first, case extras apart."""
    rows = []
    for index, result in enumerate(prediction.outputs or []):
        probabilities = sorted(
            (result.get("probabilities") or {}).items(), key=lambda item: -item[1]
        )
        rows.append(
            {
                "index": index,
                "label": result.get("label"),
                "probabilities": [(label, p * 100) for label, p in probabilities],
                "extras": {k: v for k, v in result.items() if k not in ("label", "probabilities")},
            }
        )
    return rows
