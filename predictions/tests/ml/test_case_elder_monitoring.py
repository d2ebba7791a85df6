from __future__ import annotations

import numpy as np
import pytest

from predictions.ml.cases import get_case
from predictions.ml.cases.elder_monitoring.data import hours_matrix
from predictions.ml.cases.elder_monitoring.evaluation import precision_at_prevalence
from predictions.ml.cases.elder_monitoring.model import FEATURES, GAS, HomeRoutineModel
from predictions.tests.ml.case_checks import schema_errors

CASE = get_case("elder-monitoring")


@pytest.fixture(scope="module")
def model(data):
    return CASE.fit_production(data)


def predict_one(model, **changes):
    row = {**CASE.example, **changes}
    return CASE.predict(model, CASE.schema.validate_rows([row]))[0]


# --- input ----------------------------------------------------------------------------------


def test_the_example_keeps_its_room_counts():
    clean = CASE.schema.validate_rows([CASE.example])
    assert clean[0]["living_room"] == 3


def test_it_refuses_a_fractional_or_textual_count():
    errors = schema_errors(
        CASE, [{**CASE.example, "bedroom": 1.5}, {**CASE.example, "hallway": "3"}]
    )
    assert "bedroom" in errors[0]
    assert "hallway" in errors[1]


def test_it_refuses_a_timestamp_that_is_not_iso_8601():
    assert "timestamp" in schema_errors(CASE, [{**CASE.example, "timestamp": "yesterday 10am"}])[0]


def test_gas_readings_and_the_quiet_run_may_be_left_out():
    keep = ("timestamp", "living_room", "bedroom", "bathroom", "kitchen", "hallway")
    clean = CASE.schema.validate_rows([{k: CASE.example[k] for k in keep}])[0]
    assert clean["covalue"] is None
    assert clean["hours_without_motion"] is None
    assert np.isnan(CASE.rows_to_matrix([clean])[0, FEATURES.index("covalue")])


def test_a_timestamp_with_an_offset_is_read_as_its_utc_hour():
    clean = CASE.schema.validate_rows(
        [
            {**CASE.example, "timestamp": "2020-01-08T11:00:00+01:00"},
            {**CASE.example, "timestamp": "2020-01-08T10:00:00Z"},
            {**CASE.example, "timestamp": "2020-01-08T10:00:00"},
        ]
    )
    assert CASE.rows_to_matrix(clean)[:, 0].tolist() == [10, 10, 10]


def test_a_quiet_hour_without_a_run_counts_as_one_hour_and_motion_resets_it():
    still = {**CASE.example, **dict.fromkeys(("living_room", "bathroom", "kitchen"), 0)}
    still["hallway"] = 0
    still.pop("hours_without_motion")
    moving = {**CASE.example, "hours_without_motion": 5}
    matrix = CASE.rows_to_matrix(CASE.schema.validate_rows([still, moving]))
    column = FEATURES.index("hours_without_motion")
    assert matrix[:, column].tolist() == [1, 0]


# --- training -------------------------------------------------------------------------------


def test_training_data_holds_the_hourly_features(data):
    assert list(data.X.columns) == list(FEATURES)
    assert len(data.X) == 2318
    assert set(np.unique(data.y)) == {"occupied", "moving_out", "empty"}
    assert data.groups is None


def test_the_fitted_model_reads_the_hourly_features(model):
    assert CASE.feature_names(model) == list(FEATURES)


def test_the_threshold_lets_about_one_percent_of_training_hours_alert(data):
    occupied = data.frame[data.frame["period"] == "occupied"]
    fitted = HomeRoutineModel().fit(hours_matrix(occupied))
    share = (fitted.score_samples(hours_matrix(occupied)) > fitted.threshold_).mean()
    assert 0.005 <= share <= 0.015


def test_evaluation_judges_baseline_and_production_with_sklearn_names(data):
    metrics = CASE.evaluate(data)
    for name in ("baseline", "production"):
        for metric in ("precision", "recall", "f1", "roc_auc"):
            assert set(metrics[name][metric]) >= {"mean", "std"}
        assert metrics[name]["threshold"] > 0
    assert metrics["production"]["roc_auc"]["mean"] > metrics["baseline"]["roc_auc"]["mean"]
    production = metrics["production"]
    # Rarer anomalies make an alert less often right; a day's is below the labelled set's.
    at = production["precision_at_prevalence"]
    assert production["precision"]["mean"] > at["day"] > at["week"] > at["month"] > 0


# --- serving --------------------------------------------------------------------------------


def test_the_example_predicts_a_well_formed_result(model):
    result = predict_one(model)
    assert set(result) == {"label", "anomaly_score", "alert", "reasons", "probabilities"}
    assert result["label"] == "normal"
    assert result["alert"] is False
    assert result["reasons"] == []
    assert result["probabilities"]["alert"] + result["probabilities"]["normal"] == pytest.approx(1)


def test_a_normal_daytime_hour_with_typical_motion_is_not_an_alert(model):
    result = predict_one(
        model, timestamp="2020-01-09T12:00:00Z", living_room=4, bathroom=2, kitchen=2, hallway=3
    )
    assert result["alert"] is False
    assert result["probabilities"]["alert"] < 0.5


def test_gas_far_out_of_range_raises_an_alert_naming_gas(model):
    result = predict_one(model, covalue=2500.0)
    assert result["alert"] is True
    assert result["label"] == "alert"
    assert any(r.startswith("gas_out_of_range") and "covalue" in r for r in result["reasons"])
    assert result["probabilities"]["alert"] > 0.5


def test_a_cold_house_raises_a_temperature_alert(model):
    result = predict_one(model, temperature=8.0)
    assert [r.split(":")[0] for r in result["reasons"]] == ["temperature_out_of_range"]


def test_a_busy_hour_at_night_is_unusual_night_activity(model):
    result = predict_one(
        model,
        timestamp="2020-01-09T03:00:00+00:00",
        living_room=15,
        bedroom=3,
        bathroom=10,
        kitchen=5,
        hallway=15,
    )
    assert result["alert"] is True
    assert any(r.startswith("unusual_night_activity") for r in result["reasons"])


def test_hours_without_motion_alert_in_the_morning_but_not_at_night(model):
    still = dict.fromkeys(("living_room", "bedroom", "bathroom", "kitchen", "hallway"), 0)
    morning = predict_one(model, timestamp="2020-01-09T11:00:00Z", hours_without_motion=5, **still)
    night = predict_one(model, timestamp="2020-01-09T04:00:00Z", hours_without_motion=5, **still)
    assert morning["alert"] is True
    assert morning["reasons"][0].startswith("no_movement")
    assert night["alert"] is False


def test_missing_gas_readings_do_not_raise_gas_alerts(model):
    result = predict_one(model, **dict.fromkeys(GAS))
    assert result["alert"] is False


def test_a_higher_score_never_has_a_lower_alert_probability(model):
    rows = CASE.schema.validate_rows(
        [{**CASE.example, "covalue": value} for value in (100, 200, 400, 800, 1600, 3200)]
    )
    results = CASE.predict(model, rows)
    pairs = sorted((r["anomaly_score"], r["probabilities"]["alert"]) for r in results)
    assert [p for _, p in pairs] == sorted(p for _, p in pairs)


def test_the_bare_estimator_labels_a_prepared_matrix_like_the_case(model):
    rows = CASE.schema.validate_rows([CASE.example, {**CASE.example, "covalue": 2500.0}])
    matrix = CASE.rows_to_matrix(rows)
    assert model.predict(matrix).tolist() == [r["label"] for r in CASE.predict(model, rows)]
    assert model.predict(matrix).tolist() == ["normal", "alert"]


def test_precision_at_a_prevalence_follows_from_recall_and_false_alarms():
    # One anomalous hour a week, half of them caught, 0.5 % of normal hours alerting:
    # 0.5/168 real alerts against 0.005*167/168 false ones.
    at = precision_at_prevalence(0.5, 0.005)
    assert at["week"] == pytest.approx(0.5 / (0.5 + 0.005 * 167))
    assert precision_at_prevalence(0.5, 0.0)["month"] == 1.0
