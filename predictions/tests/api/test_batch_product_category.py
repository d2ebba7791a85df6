"""A product-category batch through the API and the worker, as production runs it: the
result holds, for every row, what scikit-learn's own vectorizers and the row-by-row
formatting give (the batch path builds the features and the columns its own way)."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from django.conf import settings as django_settings
from scipy import sparse

from mlbilling.tests.browser import promoted_on_a_sample
from predictions.batch.worker import batch_job_run
from predictions.ml.cases import get_case
from predictions.ml.cases.base import TrainingData
from predictions.registry.artifacts import load_model, load_model_cache_clear
from predictions.tests.api.batch_uploads import csv_file, result_rows

CASE = get_case("product-category")


@pytest.fixture
def product_model(settings):
    # Small chunks: the words the first chunks analyse are read back by the later ones.
    settings.BATCH_CHUNK_ROWS = 40
    load_model_cache_clear()
    version = promoted_on_a_sample("product-category", rows=1500)
    yield version
    load_model_cache_clear()


def _expected_columns(model, rows: list[dict]) -> list[dict]:
    """Each row's output columns through scikit-learn's vectorizers and `format_result`."""
    features = model.named_steps["features"]
    matrix = CASE.rows_to_matrix(rows)
    X = sparse.hstack(
        [
            features.words_.transform(features._words(matrix)),
            features.chars_.transform(matrix[:, 0]),
        ],
        format="csr",
    )
    proba = model.named_steps["model"].predict_proba(X)
    classes = [str(c) for c in model.classes_]
    return [CASE.result_to_columns(CASE.format_result(p, classes)) for p in proba]


def _titles(data: TrainingData, count: int) -> list[str]:
    picked = np.random.default_rng(1).choice(len(data.y), size=count, replace=False)
    return [str(title)[:300] for title in data.X[picked, 0]]


@pytest.mark.django_db
def test_a_product_batch_writes_what_the_vectorizers_and_the_row_path_give(
    client, funded_user, product_model, enqueued
):
    data = CASE.load_training_data(django_settings.DATASETS_DIR)
    titles = _titles(data, 200)
    titles += [
        '=HYPERLINK("http://x") SAMSUNG TV',  # escaped in the input column
        'sony 55" bravia, 4k',  # quoted
        "\u03a3\u03a4\u039f \u0130stanbul  Waschmaschine\u00a08kg",
        titles[0].upper(),
        titles[0],  # the same title again
    ]
    merchants = [["", "126", "99999", "3"][i % 4] for i in range(len(titles))]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["title", "merchant_id"])
    writer.writerows(zip(titles, merchants, strict=True))
    writer.writerow(["", "5"])  # no title: the row's error, not charged
    writer.writerow(["tv", "abc"])
    response = client.post(
        "/api/v1/batches",
        {"model": CASE.slug, "file": csv_file(text.getvalue())},
        format="multipart",
    )
    assert response.status_code == 201, response.content

    job = batch_job_run(job_id=response.json()["id"])

    assert (job.rows_done, job.rows_failed) == (len(titles) + 2, 2)
    assert job.charged == len(titles) * product_model.model.price_per_row
    rows = [
        {"title": t, "merchant_id": int(m) if m else None}
        for t, m in zip(titles, merchants, strict=True)
    ]
    expected = _expected_columns(load_model(product_model), rows)
    result = result_rows(client, job.pk)
    assert result[0] == ["title", "merchant_id", "prediction", "probability", "top3", "error"]
    assert [row[2:5] for row in result[1 : len(titles) + 1]] == [
        [e["prediction"], str(e["probability"]), e["top3"]] for e in expected
    ]
    assert {row[5] for row in result[1 : len(titles) + 1]} == {""}
    assert result[1 + 200][0] == '\'=HYPERLINK("http://x") SAMSUNG TV'
    assert result[-2][2:5] == ["", "", ""]
    assert result[-2][5].startswith("title:")
    assert result[-1][5].startswith("merchant_id:")
    assert len({row[2] for row in result[1:-2]}) > 3
