from __future__ import annotations

import json
import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from predictions.cards import metrics_table
from predictions.cases import UnknownCase
from predictions.models import ModelVersion
from predictions.registry import figure_file, model_list, model_listing
from predictions.schema import describe_fields


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
                    "predictions:model-figure",
                    kwargs={"slug": slug, "version": version.version, "name": figure["file"]},
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
