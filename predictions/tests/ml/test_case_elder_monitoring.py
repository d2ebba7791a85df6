from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from django.utils import translation

from predictions.ml.cases import get_case
from predictions.ml.cases.elder_monitoring.data import hours_matrix, split_hours
from predictions.ml.cases.elder_monitoring.evaluation import (
    calibrated_margins,
    fit_calibrated,
    precision_at_prevalence,
)
from predictions.ml.cases.elder_monitoring.model import (
    ALERTING,
    COMPONENTS,
    FEATURES,
    GAS,
    HomeRoutineModel,
)
from predictions.ml.cases.elder_monitoring.scenarios import SCENARIOS, scenario_hours
from predictions.serving.results import reason_text
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


@pytest.fixture(scope="module")
def metrics(data):
    return CASE.evaluate(data)


def test_production_meets_the_issue_16_bars_on_held_out_hours(metrics):
    production = metrics["production"]
    assert production["false_alarm_rate"]["mean"] <= 0.01
    for kind in ("no_movement", "gas", "cold"):
        assert production[f"detection_boundary_{kind}"]["mean"] >= 0.5, kind
    # The hour-blind baseline cannot tell 3 still hours at noon from 3 at night.
    assert production["detection_boundary_no_movement"]["mean"] > (
        metrics["baseline"]["detection_boundary_no_movement"]["mean"] + 0.5
    )


def test_every_figure_has_a_bootstrap_interval_around_it(metrics):
    production = metrics["production"]
    figures = [
        value for value in production.values() if isinstance(value, dict) and "mean" in value
    ]
    figures += [
        found
        for ranges in production["detection_by_magnitude"].values()
        for found in ranges.values()
    ]
    assert len(figures) > 30
    for found in figures:
        assert found["ci_low"] <= found["mean"] <= found["ci_high"]
    assert production["false_alarm_rate"]["ci_high"] > production["false_alarm_rate"]["ci_low"]


def test_detection_is_reported_per_magnitude_and_rarely_alerts_inside_the_normal_range(metrics):
    by_magnitude = metrics["production"]["detection_by_magnitude"]
    assert list(by_magnitude["gas"]) == [
        "0.5-0.75",
        "0.75-1",
        "1-1.1",
        "1.1-1.25",
        "1.25-1.5",
        "1.5-2",
    ]
    assert list(by_magnitude["no_movement"]) == [str(k) for k in range(1, 9)]
    # Magnitudes inside what normal hours reach: gas below its training maximum,
    # temperature above its training minimum, one still hour.
    for kind, label in (
        ("gas", "0.5-0.75"),
        ("gas", "0.75-1"),
        ("cold", "-2-0"),
        ("no_movement", "1"),
    ):
        assert by_magnitude[kind][label]["mean"] <= 0.02, (kind, label)
    # Far beyond it, everything alerts.
    for kind, label in (("gas", "1.5-2"), ("cold", "5-8"), ("no_movement", "8")):
        assert by_magnitude[kind][label]["mean"] == 1.0, (kind, label)


def test_rarer_anomalies_make_an_alert_less_often_right(metrics):
    production = metrics["production"]
    day, week, month = (
        production[f"precision_one_a_{n}"]["mean"] for n in ("day", "week", "month")
    )
    assert 1 > day > week > month > 0


def test_the_card_stores_thresholds_margins_and_false_alarms_per_component(data, metrics):
    production = metrics["production"]
    assert production["threshold"] == 1.0
    assert set(production["thresholds"]) >= {
        "no_movement",
        "activity",
        "covalue_above",
        "temperature_below",
    }
    assert set(production["false_alarms_by_component"]) == set(COMPONENTS)
    # January went colder than November-December: the temperature margin says how much,
    # and the served model alerts that far below the coldest occupied hour.
    margin = production["margins"]["temperature"]
    assert margin > 1
    occupied = data.frame[data.frame["period"] == "occupied"]
    assert production["thresholds"]["temperature_below"] == pytest.approx(
        occupied["temperature"].min() - margin
    )


def test_margins_widen_a_channel_only_as_far_as_the_calibration_hours_went(data):
    train, normal, _ = split_hours(data.frame)
    assert calibrated_margins(train, train.iloc[-100:]) == dict.fromkeys(ALERTING, 0.0)
    colder = normal.assign(temperature=train["temperature"].min() - 2.5)
    assert calibrated_margins(train, colder)["temperature"] == pytest.approx(2.5)
    fitted = fit_calibrated(HomeRoutineModel(), train, colder)
    temperature = COMPONENTS.index("temperature")
    assert (fitted.component_scores(hours_matrix(colder))[:, temperature] <= 1).all()
    colder_still = colder.assign(temperature=colder["temperature"] - 0.1)
    assert (fitted.component_scores(hours_matrix(colder_still))[:, temperature] > 1).all()


def test_scenarios_set_the_stated_magnitude_without_reading_the_detector(data):
    train, normal, _ = split_hours(data.frame)
    rng = np.random.default_rng(1)
    gas, cold = (next(s for s in SCENARIOS if s.kind == kind) for kind in ("gas", "cold"))
    rows, labels = scenario_hours(gas, normal, train, rng, per_range=20)
    ratio = (rows[list(GAS)] / train[list(GAS)].max()).max(axis=1).to_numpy()
    boundary = labels == "1-1.1"
    assert ((ratio[boundary] >= 1.0) & (ratio[boundary] < 1.1)).all()
    rows, labels = scenario_hours(cold, normal, train, rng, per_range=20)
    below = train["temperature"].min() - rows["temperature"].to_numpy()
    assert ((below[labels == "1-3"] >= 1) & (below[labels == "1-3"] < 3)).all()
    assert (below[labels == "-2-0"] < 0).all()


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


def test_a_gas_reason_gives_its_normal_range_from_zero_so_the_page_can_translate_it(model):
    reason = predict_one(model, covalue=2500.0)["reasons"][0]
    assert reason.startswith("gas_out_of_range: covalue 2500 outside the normal 0.0-")
    with translation.override("ru"):
        assert reason_text(reason).startswith("covalue: 2500, вне обычного диапазона 0.0-")


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


def test_gas_below_its_range_and_humidity_raise_no_alert(model):
    low_gas = predict_one(model, **dict.fromkeys(GAS, 1.0))
    humid = predict_one(model, humidity=99.0)
    assert low_gas["alert"] is False
    assert humid["alert"] is False


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


# --- a first-generation version, rolled back to -------------------------------------------


def first_generation() -> tuple[HomeRoutineModel, list[dict]]:
    """The model as a first-generation artifact unpickles (its state, this class) and what
    the first-generation code answered."""
    stored = json.loads(
        (Path(__file__).parent / "elder_monitoring_first_generation.json").read_text()
    )
    state = {
        name: np.array(value["array"], dtype=value["dtype"]) if isinstance(value, dict) else value
        for name, value in stored["state"].items()
    }
    model = HomeRoutineModel.__new__(HomeRoutineModel)
    model.__setstate__(state)
    return model, stored["expected"]


def test_a_first_generation_version_answers_as_it_did():
    model, expected = first_generation()
    results = CASE.predict(model, CASE.schema.validate_rows([e["row"] for e in expected]))
    assert [r["anomaly_score"] for r in results] == [e["anomaly_score"] for e in expected]
    assert [r["label"] for r in results] == [e["label"] for e in expected]
    # Its z-scores were two-sided and covered humidity: its reasons say so.
    assert results[1]["reasons"][0].startswith("gas_out_of_range: covalue 2500 outside the normal")
    assert results[3]["reasons"][0].startswith("humidity_out_of_range: humidity 90 outside")
    assert model.get_params()["margins"] is None
