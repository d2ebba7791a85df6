from __future__ import annotations

import numpy as np
import pytest

from predictions.ml.cases import get_case
from predictions.ml.cases.nhanes_age import FEATURES
from predictions.tests.ml.case_checks import assert_serving_matches_training, field_errors

CASE = get_case("nhanes-age")


@pytest.fixture(scope="module")
def model(quick_model):
    return quick_model(CASE)


def _api_row(record) -> dict:
    return {
        "gender": "female" if record.RIAGENDR == 2 else "male",
        "vigorous_work_activity": "yes" if record.PAQ605 == 1 else "no",
        "bmi": record.BMXBMI,
        "fasting_glucose": record.LBXGLU,
        "diabetes": {1: "yes", 2: "no", 3: "borderline"}[int(record.DIQ010)],
        "oral_glucose_tolerance": record.LBXGLT,
        "insulin": record.LBXIN,
    }


def test_it_reads_the_dataset_without_the_age_the_id_or_the_refused_answer(data) -> None:
    assert data.X.shape == (2277, len(FEATURES))
    assert list(data.X.columns) == list(FEATURES)
    assert not {"RIDAGEYR", "SEQN", "age_group"} & set(data.X.columns)
    assert set(data.y) == {"Adult", "Senior"}
    assert 7 not in set(data.frame["PAQ605"])
    assert data.notes["dropped_rows"] == {"PAQ605 = 7 (refused)": 1}


def test_it_encodes_api_rows_as_the_training_rows_including_borderline_diabetes(data) -> None:
    rows = [_api_row(record) for record in data.frame.head(200).itertuples()]
    borderline = data.frame.index[data.frame["DIQ010"] == 3][0]
    assert borderline < 200
    assert_serving_matches_training(CASE, data, rows)


def test_the_fitted_model_reads_the_features_in_their_order(model) -> None:
    assert CASE.feature_names(model) == list(FEATURES)


def test_the_example_gets_a_label_from_the_tuned_threshold(model) -> None:
    [result] = CASE.predict(model, CASE.schema.validate_rows([CASE.example]))
    senior = result["probabilities"]["Senior"]
    assert result["probabilities"]["Adult"] + senior == pytest.approx(1.0)
    assert 0 < result["threshold"] < 1
    assert result["label"] == ("Senior" if senior >= result["threshold"] else "Adult")
    assert CASE.result_to_columns(result)["prediction"] == result["label"]


def test_a_senior_probability_between_the_threshold_and_one_half_says_senior(model) -> None:
    rows = CASE.schema.validate_rows(
        [{**CASE.example, "oral_glucose_tolerance": glt} for glt in np.linspace(60, 400, 40)]
    )
    results = CASE.predict(model, rows)
    threshold = results[0]["threshold"]
    assert threshold < 0.5
    for result in results:
        senior = result["probabilities"]["Senior"]
        assert (result["label"] == "Senior") == (senior >= threshold)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vigorous_work_activity", "refused"),
        ("diabetes", 3),
        ("insulin", 0),
        ("fasting_glucose", float("nan")),
        ("bmi", 120),
    ],
)
def test_it_rejects_codes_and_values_outside_the_schema(field: str, value: object) -> None:
    errors = field_errors(CASE, {**CASE.example, field: value})
    assert list(errors) == [field]


def test_it_refuses_the_age_itself_as_an_input() -> None:
    errors = field_errors(CASE, {**CASE.example, "RIDAGEYR": 70})
    assert "RIDAGEYR" in errors["non_field_errors"][0]


def test_the_vectorised_batch_columns_match_each_rows_result(model, data) -> None:
    rows = CASE.schema.validate_rows([_api_row(r) for r in data.frame.head(300).itertuples()])
    results = [CASE.result_to_columns(result) for result in CASE.predict(model, rows)]

    columns = CASE.predict_columns(model, rows)

    assert {"Adult", "Senior"} <= set(columns["prediction"])  # both sides of the threshold
    assert columns == {name: [r[name] for r in results] for name in CASE.output_columns()}
