"""The contract every registered case keeps, run for each case in the registry.

The tiny test case runs through the same tests, so they prove themselves even before the
real cases are registered. Real cases read their datasets from settings.DATASETS_DIR. Each
case's own test module (test_case_<slug>.py) keeps only what is particular to that case.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from predictions.ml.cases import CASES
from predictions.ml.cases.base import Case, DatasetMissing
from predictions.ml.schema import Field, SchemaError
from predictions.models import ModelVersion
from predictions.registry.artifacts import load_model, load_model_cache_clear
from predictions.registry.errors import ArtifactTampered
from predictions.registry.services import (
    model_version_promote,
    model_version_register,
    model_version_rollback,
)
from predictions.tests.ml.case_checks import batch_columns, field_errors
from predictions.tests.tiny_case import TinyCase

ALL_CASES: list[Case] = [*CASES.values(), TinyCase()]
NOT_FINITE = (math.nan, math.inf, -math.inf)


@pytest.fixture(params=ALL_CASES, ids=[case.slug for case in ALL_CASES])
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


def _with(case: Case, **values: Any) -> dict[str, Any]:
    return {**case.example, **values}


# --- the input schema ---------------------------------------------------------------------


def test_the_example_validates(case):
    [clean] = case.schema.validate_rows([case.example])

    assert set(clean) == set(case.schema.names)


def test_a_missing_required_field_is_named(case):
    for field in case.schema.fields:
        row = {k: v for k, v in case.example.items() if k != field.name}
        if field.required:
            assert field.name in field_errors(case, row), field.name
        elif row:
            # Leaving out the example's only field empties the row: the next test's case.
            assert case.schema.validate_rows([row])[0][field.name] is None


def test_an_unknown_field_is_refused(case):
    errors = field_errors(case, _with(case, no_such_field=1))

    assert errors == {"non_field_errors": ["Unknown fields: no_such_field."]}


def test_a_value_of_the_wrong_type_is_named(case):
    for field in case.schema.fields:
        assert field.name in field_errors(case, _with(case, **{field.name: {"a": 1}})), field.name


def test_null_is_refused_unless_the_field_allows_it(case):
    for field in case.schema.fields:
        row = _with(case, **{field.name: None})
        if field.nullable:
            assert case.schema.validate_rows([row])[0][field.name] is None
        else:
            assert field.name in field_errors(case, row), field.name


def _out_of_range(field: Field) -> list[Any]:
    values: list[Any] = []
    if field.kind in {"number", "integer"}:
        if field.minimum is not None:
            values.append(field.minimum - 1)
        if field.maximum is not None:
            values.append(field.maximum + 1)
    if field.kind == "choice":
        values.append("not-one-of-the-choices")
    if field.kind == "multichoice":
        values.append(["not-one-of-the-choices"])
    if field.kind == "datetime":
        # Well formed, but no such moment: a 400 naming the field, not a server error.
        values += ["2024-01-01T12:99:00Z", "2024-02-30T10:00:00Z"]
    if field.kind == "text" and field.max_length is not None:
        values.append("x" * (field.max_length + 1))
        # Over maxLength as sent, as the published schema counts, though it fits stripped.
        values.append("\f" + "x" * field.max_length)
    return values


def test_a_value_out_of_range_is_named(case):
    for field in case.schema.fields:
        for value in _out_of_range(field):
            assert field.name in field_errors(case, _with(case, **{field.name: value})), (
                field.name,
                value,
            )


def test_nan_and_infinity_are_refused_in_every_field(case):
    for field in case.schema.fields:
        for value in NOT_FINITE:
            assert field.name in field_errors(case, _with(case, **{field.name: value})), field.name


def test_an_empty_row_is_refused_naming_every_required_field_and_no_optional_one(case):
    required = {f.name for f in case.schema.fields if f.required}
    errors = field_errors(case, {})

    assert not set(errors) & (set(case.schema.names) - required)
    if required:
        assert required <= set(errors)
    else:
        # No single field is required (e.g. one of two input forms): a row check must
        # still say what to send, rather than predict (and charge) on nothing.
        assert errors["non_field_errors"][0]


def test_a_row_that_is_not_an_object_is_refused(case):
    assert "non_field_errors" in field_errors(case, [1, 2])


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=8,
)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_json_row_is_either_clean_or_a_schema_error(case, data):
    names = st.sampled_from([*case.schema.names, "unknown"])
    row = data.draw(st.dictionaries(names, _json, max_size=len(case.schema.names) + 1))
    # Anything but a clean row or a SchemaError for row 0 (a TypeError...) fails the test.
    errors = {}
    try:
        case.schema.validate_rows([row])
    except SchemaError as error:
        errors = error.errors
    assert set(errors) <= {0}


# --- data and a quick training run --------------------------------------------------------


def test_a_missing_dataset_names_the_file(case, tmp_path):
    with pytest.raises(DatasetMissing) as error:
        case.load_training_data(tmp_path)

    assert error.value.path == tmp_path / case.dataset_files[0]
    assert error.value.path.name in str(error.value)


def test_the_training_data_holds_no_leaky_column(case, training_data):
    data = training_data(case)

    assert len(data.X) == len(data.y)
    if data.groups is not None:
        assert len(data.groups) == len(data.y)
    columns = set(getattr(data.X, "columns", []))
    assert not columns & set(case.leaky_columns)


def test_a_quickly_trained_model_reads_no_leaky_column(case, quick_model):
    features = case.feature_names(quick_model(case))

    assert features
    assert not set(features) & set(case.leaky_columns)


def test_a_quickly_trained_model_predicts_the_example(case, quick_model):
    results = case.predict(quick_model(case), case.schema.validate_rows([case.example] * 3))

    assert len(results) == 3
    assert all(isinstance(result, dict) for result in results)
    if "probabilities" in results[0]:
        total = sum(results[0]["probabilities"].values())
        assert np.isclose(total, 1.0, atol=1e-4)
        assert results[0]["label"] in results[0]["probabilities"]
    assert set(case.result_to_columns(results[0])) == set(case.output_columns())


def _parallel_settings(model: Any) -> dict[str, Any]:
    """Every n_jobs parameter of an estimator and its sub-estimators that may use several
    threads: anything but 1, except scikit-learn's None (one thread outside a joblib
    context); XGBoost reads None as "every core"."""
    get_params = getattr(model, "get_params", None)
    params = get_params(deep=True) if callable(get_params) else {}
    found = {}
    for name, value in params.items():
        owner_name, _, leaf = name.rpartition("__")
        if leaf != "n_jobs" or value == 1:
            continue
        owner = params.get(owner_name, model) if owner_name else model
        if value is None and not type(owner).__module__.startswith("xgboost"):
            continue
        found[name] = value
    return found


def test_the_thread_check_flags_what_would_use_several_cores():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from xgboost import XGBClassifier

    assert _parallel_settings(make_pipeline(LogisticRegression(n_jobs=2))) == {
        "logisticregression__n_jobs": 2
    }
    assert _parallel_settings(make_pipeline(XGBClassifier())) == {"xgbclassifier__n_jobs": None}
    assert _parallel_settings(make_pipeline(XGBClassifier(n_jobs=1), LogisticRegression())) == {}


def test_the_production_model_serves_on_one_thread(case, quick_model):
    # Several threads per prediction cost more than they save for one row, and fight the
    # web workers for the two cores.
    assert _parallel_settings(quick_model(case)) == {}


@pytest.mark.django_db
def test_a_quickly_trained_model_goes_through_the_registry(case, quick_model):
    load_model_cache_clear()
    model = quick_model(case)
    first, second = (
        model_version_register(case=case, model=model, metrics={"production": {}}) for _ in range(2)
    )
    model_version_promote(version_id=first.pk)
    model_version_promote(version_id=second.pk)

    assert model_version_rollback(slug=case.slug).pk == first.pk
    loaded = load_model(ModelVersion.objects.get(pk=first.pk))
    assert case.predict(loaded, case.schema.validate_rows([case.example]))
    tampered = Path(settings.MEDIA_ROOT) / second.artifact.name
    tampered.write_bytes(tampered.read_bytes()[:-1] + b"!")
    with pytest.raises(ArtifactTampered):
        load_model(second)
    load_model_cache_clear()


def test_the_batch_columns_are_the_rows_results_through_result_to_columns(case, quick_model):
    """`predict_columns` (the batch path, vectorised where a case overrides it) gives
    exactly `predict` then `result_to_columns`, column by column, for every output."""
    model = quick_model(case)
    rows = case.schema.validate_rows([case.example] * 4)

    results = [case.result_to_columns(result) for result in case.predict(model, rows)]

    assert batch_columns(case, model, rows) == {
        name: [result[name] for result in results] for name in case.output_columns()
    }
