from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from predictions.ml.cases import get_case
from predictions.ml.cases.base import DatasetMissing
from predictions.ml.schema import SchemaError

case = get_case("product-category")


def errors_of(row: object) -> dict[str, list[str]]:
    with pytest.raises(SchemaError) as caught:
        case.schema.validate_rows([row])
    return caught.value.errors[0]


@pytest.fixture(scope="module")
def data(datasets_dir: Path):
    return case.load_training_data(datasets_dir)


@pytest.fixture(scope="module")
def model(data):
    sample = np.random.default_rng(0).choice(len(data.y), size=3000, replace=False)
    return case.build_production().fit(data.X[sample], data.y[sample])


def test_a_title_alone_is_enough() -> None:
    [clean] = case.schema.validate_rows([{"title": "  sony bravia kd55xf9005 55 tv  "}])

    assert clean == {"title": "sony bravia kd55xf9005 55 tv", "merchant_id": None}


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": 42}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "tv", "merchant_id": "12"}, "merchant_id"),
        ({"title": "tv", "merchant_id": 0}, "merchant_id"),
        ({"title": "tv", "merchant_id": 1.5}, "merchant_id"),
        ({"title": "tv", "merchant_id": float("nan")}, "merchant_id"),
        ({"title": "tv", "merchant_id": float("inf")}, "merchant_id"),
        ({"title": "tv", "shop": "x"}, "non_field_errors"),
    ],
)
def test_it_names_the_field_of_invalid_input(row: dict[str, object], field: str) -> None:
    assert field in errors_of(row)


def test_load_training_data_keeps_title_and_merchant_only(data) -> None:
    assert data.X.shape == (35311, 2)
    assert len(set(data.y)) == 10
    assert len(np.unique(data.groups)) == 13233
    assert "Category Label" in data.frame.columns  # headers were stripped


def test_a_missing_dataset_raises_dataset_missing_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissing, match=r"pricerunner_aggregate\.csv"):
        case.load_training_data(tmp_path)


def test_the_fitted_model_reads_no_leaky_column(model) -> None:
    names = case.feature_names(model)

    assert names == ["Product Title", "Merchant ID"]
    assert not set(case.leaky_columns) & set(names)


def test_the_baseline_reads_the_title_only(data) -> None:
    sample = np.random.default_rng(1).choice(len(data.y), size=1000, replace=False)
    baseline = case.build_baseline().fit(data.X[sample], data.y[sample])

    assert case.feature_names(baseline) == ["Product Title"]


def test_the_example_predicts_the_top_three_categories(model) -> None:
    rows = case.schema.validate_rows([case.example, {"title": case.example["title"]}])

    with_merchant, without = case.predict(model, rows)

    for result in (with_merchant, without):
        assert result["label"] == "Washing Machines"
        assert result["top3"][0]["label"] == result["label"]
        assert len(result["top3"]) == 3
        assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)


def test_an_unknown_merchant_is_ignored(model) -> None:
    rows = case.schema.validate_rows(
        [{"title": "apple iphone 8 plus 64gb silver", "merchant_id": 99_999}]
    )

    [result] = case.predict(model, rows)

    assert result["label"] == "Mobile Phones"


def test_a_batch_row_carries_prediction_probability_and_top3(model) -> None:
    [result] = case.predict(model, case.schema.validate_rows([case.example]))

    columns = case.result_to_columns(result)

    assert list(columns) == case.output_columns() == ["prediction", "probability", "top3"]
    assert columns["top3"].startswith("Washing Machines (")
    assert columns["top3"].count(";") == 2
