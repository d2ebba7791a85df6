from __future__ import annotations

import pytest

from predictions.ml.cases import get_case
from predictions.ml.cases.glioma_grade import FEATURES, GENES, parse_age
from predictions.ml.schema import FieldError
from predictions.tests.ml.case_checks import assert_serving_matches_training, field_errors

CASE = get_case("glioma-grade")


@pytest.fixture(scope="module")
def model(quick_model):
    return quick_model(CASE)


def _api_row(record: dict) -> dict:
    return {
        "gender": record["Gender"].lower(),
        "age_at_diagnosis": record["Age_at_diagnosis"],
        "race": record["Race"],
        **{gene: record[gene] for gene in GENES},
    }


@pytest.mark.parametrize(
    ("value", "years"),
    [
        ("51 years 108 days", 51 + 108 / 365.25),
        ("87 years", 87.0),
        ("  1 year   2 days ", 1 + 2 / 365.25),
        (51.3, 51.3),
        (60, 60.0),
    ],
)
def test_it_takes_the_age_as_years_or_as_the_dataset_text(value: object, years: float) -> None:
    assert parse_age(value) == pytest.approx(years)


@pytest.mark.parametrize(
    "value", ["fifty", "51 years 400 days", "51", "--", True, float("inf"), [51]]
)
def test_it_refuses_other_age_forms_and_says_which_are_accepted(value: object) -> None:
    with pytest.raises(FieldError) as caught:
        parse_age(value)
    assert "51 years 108 days" in str(caught.value)


def test_an_age_out_of_range_is_an_error_on_that_field() -> None:
    errors = field_errors(CASE, {**CASE.example, "age_at_diagnosis": "150 years"})
    assert list(errors) == ["age_at_diagnosis"]
    assert "between 1 and 100" in errors["age_at_diagnosis"][0]


def test_mutation_flags_are_booleans_or_the_dataset_text() -> None:
    [clean] = CASE.schema.validate_rows(
        [{**CASE.example, "IDH1": "MUTATED", "TP53": "not_mutated", "ATRX": True}]
    )
    assert (clean["IDH1"], clean["TP53"], clean["ATRX"]) == (True, False, True)
    errors = field_errors(CASE, {**CASE.example, "EGFR": "yes", "PTEN": 1})
    assert sorted(errors) == ["EGFR", "PTEN"]


def test_it_reads_the_bom_file_without_leaks_or_unreported_ages(data) -> None:
    assert data.X.shape == (857, len(FEATURES))
    assert not {"Project", "Primary_Diagnosis", "Case_ID", "Grade"} & set(data.X.columns)
    assert sorted(set(data.y)) == ["GBM", "LGG"]
    assert "--" not in set(data.frame["Age_at_diagnosis"])
    assert data.X["age_years"].between(14, 90).all()


def test_it_encodes_api_rows_as_the_training_rows(data) -> None:
    rows = [_api_row(record) for record in data.frame.head(60).to_dict("records")]
    assert_serving_matches_training(CASE, data, rows)


def test_the_example_gets_a_grade_with_probabilities(model) -> None:
    [result] = CASE.predict(model, CASE.schema.validate_rows([CASE.example]))
    assert set(result["probabilities"]) == {"LGG", "GBM"}
    assert sum(result["probabilities"].values()) == pytest.approx(1.0)
    assert result["label"] == max(result["probabilities"], key=result["probabilities"].get)


def test_an_older_idh_wildtype_patient_is_more_likely_gbm(model) -> None:
    wildtype = {**CASE.example, "IDH1": False, "age_at_diagnosis": 68, "PTEN": True}
    young, old = CASE.predict(model, CASE.schema.validate_rows([CASE.example, wildtype]))
    assert old["probabilities"]["GBM"] > young["probabilities"]["GBM"]
