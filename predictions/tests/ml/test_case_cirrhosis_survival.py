from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictions.ml.cases import get_case
from predictions.ml.cases.cirrhosis_survival import FEATURES
from predictions.tests.ml.case_checks import assert_serving_matches_training, field_errors

CASE = get_case("cirrhosis-survival")
NOT_IN_TRIAL = (
    "drug",
    "ascites",
    "hepatomegaly",
    "spiders",
    "cholesterol",
    "copper",
    "alk_phos",
    "sgot",
    "triglycerides",
)


@pytest.fixture(scope="module")
def model(data):
    """Fitted on all 418 patients."""
    return CASE.fit_production(data)


def _value(value):
    return None if pd.isna(value) else value


def _api_row(record) -> dict:
    yes_no = {"Y": True, "N": False}
    return {
        "drug": {"D-penicillamine": "D-penicillamine", "Placebo": "placebo"}.get(record.Drug),
        "age_years": record.Age / 365.25,
        "sex": "male" if record.Sex == "M" else "female",
        "ascites": yes_no.get(record.Ascites),
        "hepatomegaly": yes_no.get(record.Hepatomegaly),
        "spiders": yes_no.get(record.Spiders),
        "edema": {"N": "none", "S": "untreated_or_resolved", "Y": "despite_diuretics"}[
            record.Edema
        ],
        "bilirubin": record.Bilirubin,
        "cholesterol": _value(record.Cholesterol),
        "albumin": record.Albumin,
        "copper": _value(record.Copper),
        "alk_phos": _value(record.Alk_Phos),
        "sgot": _value(record.SGOT),
        "triglycerides": _value(record.Tryglicerides),
        "platelets": _value(record.Platelets),
        "prothrombin": _value(record.Prothrombin),
        "stage": None if pd.isna(record.Stage) else int(record.Stage),
    }


def test_it_reads_the_dataset_as_follow_up_without_time_or_id_as_inputs(data) -> None:
    assert data.X.shape == (418, len(FEATURES))
    assert not {"N_Days", "ID", "Status"} & set(data.X.columns)
    # Death is the event; transplanted (CL) and alive (C) patients are censored.
    assert data.y["died"].sum() == (data.frame["Status"] == "D").sum() == 161
    np.testing.assert_allclose(data.y["years"], data.frame["N_Days"] / 365.25)
    not_in_trial = data.X[data.frame["ID"] > 312]
    assert len(not_in_trial) == 106
    assert not_in_trial["drug"].isna().all()
    assert data.X["age_years"].between(26, 79).all()


def test_it_encodes_api_rows_as_the_training_rows_trial_and_not(data) -> None:
    frame = data.frame
    records = list(frame.head(20).itertuples()) + list(frame.tail(20).itertuples())
    rows = [_api_row(record) for record in records]
    chosen = list(range(20)) + list(range(len(frame) - 20, len(frame)))
    matrix = CASE.rows_to_matrix(CASE.schema.validate_rows(rows))
    expected = np.asarray(data.X, dtype=float)[chosen]
    np.testing.assert_allclose(matrix, expected, rtol=1e-9, equal_nan=True)
    assert_serving_matches_training(CASE, data, rows[:20])


def test_the_example_gets_its_survival_at_the_horizons_and_its_curve(model) -> None:
    [result] = CASE.predict(model, CASE.schema.validate_rows([CASE.example]))

    assert result["risk_group"] in {"low", "medium", "high"}
    assert result["label"] == result["risk_group"]
    assert isinstance(result["risk_score"], float)
    at = result["survival_at"]
    assert list(at) == ["1y", "2y", "5y", "10y"]
    assert 1 > at["1y"] > at["2y"] > at["5y"] > at["10y"] > 0
    curve = result["survival_curve"]
    assert 20 <= len(curve) <= 40
    assert (curve[0]["years"], curve[-1]["years"]) == (0.0, 12.0)
    assert curve[0]["survival"] == 1.0
    survival = [point["survival"] for point in curve]
    assert survival == sorted(survival, reverse=True)
    assert {point["years"]: point["survival"] for point in curve}[5.0] == at["5y"]
    assert CASE.result_to_columns(result) == {
        "risk_group": result["risk_group"],
        "risk_score": result["risk_score"],
        "survival_1y": at["1y"],
        "survival_2y": at["2y"],
        "survival_5y": at["5y"],
        "survival_10y": at["10y"],
    }


def test_the_risk_groups_are_thirds_of_the_training_patients(model, data) -> None:
    rows = np.asarray(data.X, dtype=float)
    groups = model.risk_group(model.predict(rows))

    assert {group: groups.count(group) for group in ("low", "medium", "high")} == {
        "low": 140,
        "medium": 139,
        "high": 139,
    }


def test_a_patient_outside_the_trial_may_leave_out_what_the_data_leaves_out(model) -> None:
    row = {name: value for name, value in CASE.example.items() if name not in NOT_IN_TRIAL}
    [clean] = CASE.schema.validate_rows([row])
    assert all(clean[name] is None for name in NOT_IN_TRIAL)
    [result] = CASE.predict(model, [clean])
    assert 0 < result["survival_at"]["10y"] < result["survival_at"]["1y"] < 1


def test_worse_liver_values_lower_survival_and_raise_the_risk(model) -> None:
    sicker = {
        **CASE.example,
        "bilirubin": 12.0,
        "albumin": 2.6,
        "prothrombin": 13.0,
        "edema": "despite_diuretics",
        "ascites": True,
        "stage": 4,
    }
    mild, severe = CASE.predict(model, CASE.schema.validate_rows([CASE.example, sicker]))
    assert severe["risk_score"] > mild["risk_score"]
    assert severe["risk_group"] == "high"
    assert all(severe["survival_at"][h] < mild["survival_at"][h] for h in mild["survival_at"])


@pytest.mark.parametrize(
    ("field", "value"),
    [("bilirubin", None), ("albumin", None), ("stage", 5), ("sex", "F"), ("age_years", 20000)],
)
def test_it_rejects_what_every_patient_has_missing_or_out_of_range(
    field: str, value: object
) -> None:
    errors = field_errors(CASE, {**CASE.example, field: value})
    assert list(errors) == [field]


def test_it_refuses_follow_up_time_as_an_input() -> None:
    errors = field_errors(CASE, {**CASE.example, "N_Days": 1200})
    assert "N_Days" in errors["non_field_errors"][0]
