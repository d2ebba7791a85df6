"""Website pages of the predictions app: the model catalogue and cards, the paid
prediction form, the history and a prediction's detail.

Thin like the API views: the form turns browser input into rows, `prediction_run` does
the rest, and its domain errors become messages next to the fields.
"""

from __future__ import annotations

import json
import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from billing.money import credits_number
from billing.selectors import wallet_balance
from predictions.ml.cases import UnknownCase
from predictions.ml.schema import SchemaError, describe_fields
from predictions.models import ModelVersion, Prediction
from predictions.registry.cards import bar_rows, metrics_table, recorded_figures
from predictions.registry.errors import NoProductionVersion
from predictions.registry.selectors import (
    ModelListing,
    figure_file,
    figure_in_language,
    model_list,
    model_listing,
)
from predictions.serving import selectors
from predictions.serving.forms import HistoryFilterForm, PredictForm
from predictions.serving.results import result_view
from predictions.serving.services import (
    IdempotencyConflict,
    PredictionFailed,
    PredictionRefused,
    prediction_run,
)

HISTORY_PAGE_SIZE = 25


def predict_form_context(request: HttpRequest, listing: ModelListing, form=None) -> dict:
    """What templates/predictions/predict_form.html needs (also used by the card page)."""
    context = {
        "listing": listing,
        "price": credits_number(listing.model.price_per_row),
        "predict_url": reverse("predictions:predict", args=[listing.model.slug]),
        "predict_form": form,
    }
    if request.user.is_authenticated:
        context["predict_form"] = form or PredictForm(case=listing.case)
        context["available"] = credits_number(wallet_balance(user=request.user).available)
    return context


def predict(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the form alone; POST: run it, then show the prediction or the errors."""
    try:
        listing = selectors.model_catalog_entry(slug=slug)
    except UnknownCase:
        raise Http404 from None
    form, top_up_needed = None, False
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
                top_up_needed = True
                form.add_error(
                    None,
                    _("Not enough credits: this costs %(needed)s, you have %(available)s.")
                    % {
                        "needed": credits_number(exc.needed),
                        "available": credits_number(exc.available),
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
                        "cost": credits_number(prediction.cost),
                        "balance": credits_number(prediction.balance_after or 0),
                    },
                )
                return redirect("predictions:detail", pk=prediction.pk)
    context = predict_form_context(request, listing, form)
    return render(
        request, "predictions/predict_page.html", {**context, "top_up_needed": top_up_needed}
    )


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
    results = [result_view(i, result) for i, result in enumerate(prediction.outputs or [])]
    return render(
        request,
        "predictions/detail.html",
        {"prediction": prediction, "results": results, "many_rows": len(results) > 1},
    )


@require_GET
def model_index(request: HttpRequest) -> HttpResponse:
    return render(request, "predictions/model_list.html", {"listings": model_list()})


@require_GET
def model_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        listing = model_listing(slug=slug)
    except UnknownCase:
        raise Http404("No such model.") from None
    case, version = listing.case, listing.production
    figures = []
    if version is not None:
        figures = [
            {
                **figure,
                "url": reverse(
                    "predictions:model_figure",
                    kwargs={
                        "slug": slug,
                        "version": version.version,
                        "name": figure_in_language(figure, get_language()),
                    },
                ),
            }
            for figure in version.card.get("figures", [])
        ]
    context = {
        "model": listing.model,
        "case": case,
        "version": version,
        "fields": describe_fields(case.schema.fields),
        "example_json": json.dumps(case.example, indent=2, ensure_ascii=False),
        "metrics_rows": metrics_table(version.metrics) if version else [],
        "recorded_rows": recorded_figures(version.metrics) if version else [],
        "bar_rows": bar_rows(version.card, version.metrics) if version else [],
        "eda_figures": [f for f in figures if f.get("kind") == "eda"],
        "evaluation_figures": [f for f in figures if f.get("kind") != "eda"],
    }
    return render(request, "predictions/model_detail.html", context)


@require_GET
def model_figure(request: HttpRequest, slug: str, version: int, name: str) -> FileResponse:
    """A model-card figure, served by the app so that it works without DEBUG media serving."""
    shown = get_object_or_404(
        ModelVersion, model__slug=slug, model__is_active=True, version=version
    )
    # Only files the card lists: the name never reaches the storage unchecked.
    storage_name = figure_file(version=shown, name=name)
    if storage_name is None or not default_storage.exists(storage_name):
        raise Http404("No such figure.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(storage_name, "rb"), content_type=content_type)
    # A version's figures never change: clients and proxies may keep them.
    response["Cache-Control"] = "public, max-age=86400, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
