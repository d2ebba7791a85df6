"""Case 5 end to end: trained by train_models into a survival model with its card, served
through the paid API, and the first-generation classifier still served after a rollback."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command

from predictions.ml.cases import get_case
from predictions.ml.cases.cirrhosis_survival.legacy import build_outcome_classifier
from predictions.registry.artifacts import load_model_cache_clear
from predictions.registry.selectors import production_version
from predictions.registry.services import (
    model_version_promote,
    model_version_register,
    model_version_rollback,
)

pytestmark = pytest.mark.django_db

CASE = get_case("cirrhosis-survival")
URL = "/api/v1/models/cirrhosis-survival/predict"


@pytest.fixture(scope="module")
def data():
    return CASE.load_training_data(Path(settings.DATASETS_DIR))


@pytest.fixture
def fresh_cache():
    load_model_cache_clear()
    yield
    load_model_cache_clear()


def _serve(model) -> None:
    version = model_version_register(case=CASE, model=model, metrics={"production": {}})
    model_version_promote(version_id=version.pk)


def _predict(client, rows):
    body = json.dumps({"inputs": rows})
    return client.post(URL, body, content_type="application/json")


def test_train_models_meets_the_survival_bars_and_draws_calibration_on_the_card():
    call_command("train_models", "--case", CASE.slug, "--check-bars", stdout=StringIO())

    version = production_version(slug=CASE.slug)
    assert version.card["bars_met"], version.card["bars"]
    harrell = version.metrics["production"]["harrell_c"]
    assert harrell["ci_low"] < harrell["mean"] < harrell["ci_high"]
    assert harrell["folds"] == 25
    km = version.metrics["production"]["integrated_brier_km"]["mean"]
    assert version.metrics["production"]["integrated_brier"]["mean"] < km
    calibration = version.metrics["production"]["calibration"]
    assert [point["years"] for point in calibration] == [1, 2, 5, 10]
    files = {figure["file"] for figure in version.card["figures"]}
    assert {"calibration.svg", "risk_groups.svg", "cohort_survival.svg"} <= files


def test_the_api_answers_with_survival_outputs_and_charges(data, token_client, fresh_cache):
    _serve(CASE.fit_production(data))

    response = _predict(token_client, [CASE.example])

    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    assert result["risk_group"] in {"low", "medium", "high"}
    assert set(result["survival_at"]) == {"1y", "2y", "5y", "10y"}
    assert result["survival_curve"][0] == {"years": 0.0, "survival": 1.0}
    assert response.json()["cost"] == "0.20"


def test_a_rollback_serves_the_outcome_classifier_again(data, token_client, fresh_cache):
    legacy = build_outcome_classifier().fit(
        np.asarray(data.X, dtype=float), data.frame["Status"].to_numpy(dtype=str)
    )
    _serve(legacy)
    _serve(CASE.fit_production(data))
    assert "survival_at" in _predict(token_client, [CASE.example]).json()["results"][0]

    model_version_rollback(slug=CASE.slug)
    [result] = _predict(token_client, [CASE.example]).json()["results"]

    assert set(result["probabilities"]) == {"C", "CL", "D"}
    assert set(CASE.result_to_columns(result)) == set(CASE.output_columns())
    assert CASE.result_to_columns(result)["survival_5y"] is None
