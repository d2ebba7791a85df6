"""The catalogue, the prediction records and the OpenAPI document through HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from predictions.models import Prediction
from predictions.serving.services import PredictionFailed, prediction_run

pytestmark = pytest.mark.django_db


def test_the_catalogue_shows_price_schema_example_and_production_version(served):
    listing = APIClient().get("/api/v1/models").json()
    detail = APIClient().get("/api/v1/models/tiny").json()

    assert detail == next(m for m in listing if m["slug"] == "tiny")
    assert detail["price_per_row"] == "0.07"
    assert detail["input_schema"]["properties"]["x1"]["maximum"] == 10
    assert detail["input_schema"]["additionalProperties"] is False
    assert detail["example"] == {"x1": 7.5, "x2": 6.0}
    assert detail["production_version"]["version"] == served.version
    assert detail["production_version"]["metrics"]["production"]["roc_auc"]["mean"] == 0.9


def test_an_unknown_model_has_no_page(served):
    response = APIClient().get("/api/v1/models/nope")

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_list_shows_only_my_predictions_filtered(served, customer, token_client, broken_model):
    other = UserFactory()
    with pytest.raises(PredictionFailed):
        prediction_run(user=customer, slug="tiny", rows=[{"x1": 1}])
    # Someone else's, which must never show.
    Prediction.objects.create(
        user=other, model_version=served, status="refused", rows=1, inputs=[{"x1": 1}]
    )

    mine = token_client.get("/api/v1/predictions").json()
    failed = token_client.get("/api/v1/predictions", {"status": "failed"}).json()
    succeeded = token_client.get("/api/v1/predictions", {"status": "succeeded"}).json()
    other_model = token_client.get("/api/v1/predictions", {"model": "other"}).json()
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    future = token_client.get("/api/v1/predictions", {"created_from": tomorrow}).json()
    bad_date = token_client.get("/api/v1/predictions", {"created_from": "yesterday"})

    assert mine["count"] == 1
    assert mine["results"][0]["status"] == "failed"
    assert "inputs" not in mine["results"][0]
    assert (failed["count"], succeeded["count"], other_model["count"]) == (1, 0, 0)
    assert future["count"] == 0
    assert bad_date.status_code == 400
    assert "created_from" in bad_date.json()["errors"]


def test_a_prediction_can_be_read_back_by_its_owner_only(served, customer, token_client):
    prediction = prediction_run(user=customer, slug="tiny", rows=[{"x1": 9, "x2": 9}]).prediction
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())

    mine = token_client.get(f"/api/v1/predictions/{prediction.id}")
    theirs = stranger.get(f"/api/v1/predictions/{prediction.id}")

    assert mine.status_code == 200
    assert mine.json()["results"][0]["label"] == "high"
    assert mine.json()["inputs"] == [{"x1": 9, "x2": 9}]
    assert mine.json()["cost"] == "0.07"
    assert (theirs.status_code, theirs.json()["code"]) == (404, "not_found")


def test_swagger_ui_is_served_without_a_cdn():
    page = APIClient().get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html
