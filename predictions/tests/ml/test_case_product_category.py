from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from scipy import sparse

from predictions.ml.cases import get_case
from predictions.ml.cases.product_category import NO_MERCHANT
from predictions.tests.ml.case_checks import batch_columns, field_errors

CASE = get_case("product-category")
SAMPLE_TITLES = [
    "samsung wf80f5e0w2w 8kg 1400 spin washing machine white",
    "apple iphone 8 plus 64gb silver",
    "bosch serie 4 wan28281gb",
]


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

    columns = batch_columns(CASE, model, rows)

    assert len(set(columns["prediction"])) > 3
    assert columns == {name: [r[name] for r in results] for name in CASE.output_columns()}


def _sklearn_features(model, X: np.ndarray):
    """The model's features through scikit-learn's own vectorizers (what `transform` did
    before it built the same matrices itself)."""
    features = model.named_steps["features"]
    words = features.words_.transform(features._words(X))
    return sparse.hstack([words, features.chars_.transform(X[:, 0])], format="csr")


def _assert_same_matrix(ours, theirs) -> None:
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)  # bit for bit, not approximately


def test_the_features_are_the_vectorizers_own_on_every_training_title(model, data) -> None:
    features = model.named_steps["features"]
    X = data.X

    _assert_same_matrix(features.transform(X), _sklearn_features(model, X))
    assert np.array_equal(
        model.predict_proba(X),
        model.named_steps["model"].predict_proba(_sklearn_features(model, X)),
    )


# Text a shop might send and text it should not: real words in any case, other scripts
# and cases (final sigma, dotted capital I), spaces of every kind, control characters.
awkward_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("abcxyz0123456789 -_./\t\n\r\x0b\x0c\x1c\x1d\x85\xa0")),
        # capital, small and final sigma; dotted capital I, I, dotless i; sharp s, Dz, ffi
        st.sampled_from(list("\u03a3\u03c3\u03c2\u0130I\u0131\u00df\u01c5\ufb03")),
        st.characters(),
    ),
    max_size=12,
)
real_word = st.sampled_from(" ".join(SAMPLE_TITLES).split()).flatmap(
    lambda word: st.sampled_from([word, word.upper(), word.title()])
)
separator = st.sampled_from([" ", "  ", "\t", "\n", "\xa0", "\u2003", "\x1c", ""])
awkward_title = st.lists(st.tuples(st.one_of(real_word, awkward_text), separator)).map(
    lambda parts: "".join(token + space for token, space in parts)
)


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    titles=st.lists(awkward_title, min_size=1, max_size=20),
    merchant=st.sampled_from([NO_MERCHANT, 1, 126, 99_999]),
)
def test_the_features_of_any_text_are_the_vectorizers_own(model, titles, merchant) -> None:
    X = np.array([[title, merchant] for title in titles], dtype=object)

    # Twice: the second call reads the words' n-grams the first one kept.
    for _ in range(2):
        _assert_same_matrix(model.named_steps["features"].transform(X), _sklearn_features(model, X))


def test_the_kept_n_grams_are_not_pickled_with_the_model(model) -> None:
    features = model.named_steps["features"]
    features.transform(np.array([["samsung tv", 1]], dtype=object))

    copy = pickle.loads(pickle.dumps(model))  # noqa: S301  # our own bytes

    assert "_serving_transforms" in features.__dict__
    assert "_serving_transforms" not in copy.named_steps["features"].__dict__
    X = np.array([["bosch washing machine 8kg", 126]], dtype=object)
    assert np.array_equal(copy.predict_proba(X), model.predict_proba(X))
