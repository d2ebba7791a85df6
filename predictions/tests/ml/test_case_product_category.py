from __future__ import annotations

import numpy as np
import pytest

from predictions.ml.cases import get_case
from predictions.tests.ml.case_checks import field_errors

CASE = get_case("product-category")


@pytest.fixture(scope="module")
def model(data):
    sample = np.random.default_rng(0).choice(len(data.y), size=3000, replace=False)
    return CASE.build_production().fit(data.X[sample], data.y[sample])


def test_a_title_alone_is_enough() -> None:
    [clean] = CASE.schema.validate_rows([{"title": "  sony bravia kd55xf9005 55 tv  "}])

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
    assert field in field_errors(CASE, row)


def test_load_training_data_keeps_title_and_merchant_only(data) -> None:
    assert data.X.shape == (35311, 2)
    assert len(set(data.y)) == 10
    # 13,233 clusters; those sharing an identical title are one group.
    assert len(np.unique(data.groups)) == 11972
    for _, rows in data.frame.groupby("Product Title"):
        assert len(np.unique(data.groups[rows.index])) == 1
    for _, rows in data.frame.groupby("Cluster ID"):
        assert len(np.unique(data.groups[rows.index])) == 1
    assert "Category Label" in data.frame.columns  # headers were stripped


def test_the_fitted_model_reads_the_title_and_the_merchant(model) -> None:
    assert CASE.feature_names(model) == ["Product Title", "Merchant ID"]


def test_the_baseline_reads_the_title_only(data) -> None:
    sample = np.random.default_rng(1).choice(len(data.y), size=1000, replace=False)
    baseline = CASE.build_baseline().fit(data.X[sample], data.y[sample])

    assert CASE.feature_names(baseline) == ["Product Title"]


def test_the_example_predicts_the_top_three_categories(model) -> None:
    rows = CASE.schema.validate_rows([CASE.example, {"title": CASE.example["title"]}])

    with_merchant, without = CASE.predict(model, rows)

    for result in (with_merchant, without):
        assert result["label"] == "Washing Machines"
        assert result["top3"][0]["label"] == result["label"]
        assert len(result["top3"]) == 3
        assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)


def test_an_unknown_merchant_is_ignored(model) -> None:
    rows = CASE.schema.validate_rows(
        [{"title": "apple iphone 8 plus 64gb silver", "merchant_id": 99_999}]
    )

    [result] = CASE.predict(model, rows)

    assert result["label"] == "Mobile Phones"


def test_a_batch_row_carries_prediction_probability_and_top3(model) -> None:
    [result] = CASE.predict(model, CASE.schema.validate_rows([CASE.example]))

    columns = CASE.result_to_columns(result)

    assert list(columns) == CASE.output_columns() == ["prediction", "probability", "top3"]
    assert columns["top3"].startswith("Washing Machines (")
    assert columns["top3"].count(";") == 2


def test_the_vectorised_batch_columns_match_each_rows_result(model, data) -> None:
    titles = data.X[::120, 0]  # every category: the rows come sorted by category
    rows = CASE.schema.validate_rows(
        [{"title": str(title)[:300] or "item", "merchant_id": None} for title in titles]
    )
    results = [CASE.result_to_columns(result) for result in CASE.predict(model, rows)]

    columns = CASE.predict_columns(model, rows)

    assert len(set(columns["prediction"])) > 3
    assert columns == {name: [r[name] for r in results] for name in CASE.output_columns()}
