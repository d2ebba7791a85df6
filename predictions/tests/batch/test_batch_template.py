"""Each model's CSV template, downloaded from the site, is a batch the worker accepts."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from predictions.batch.csv_rows import RowConverter
from predictions.batch.csv_upload import inspect_upload
from predictions.ml.cases import CASES


@pytest.mark.parametrize("slug", list(CASES))
def test_a_models_template_passes_the_upload_check_and_its_row_converts(slug):
    response = Client().get(f"/batches/template/{slug}.csv")

    content = b"".join(response.streaming_content)
    assert response["Content-Disposition"] == f'attachment; filename="{slug}-template.csv"'
    schema = CASES[slug].schema
    assert (
        inspect_upload(io.BytesIO(content), schema=schema, max_rows=10, max_line_bytes=1 << 20).rows
        == 1
    )
    header, row = list(csv.reader(io.StringIO(content.decode())))
    assert set(header) <= {field.name for field in schema.fields}
    assert RowConverter(schema, header).clean(row)  # the schema's own validation


def test_the_malware_template_sends_the_examples_names_as_0_1_columns():
    response = Client().get("/batches/template/android-malware.csv")

    header, row = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    chosen = {name for name, flag in zip(header, row, strict=True) if flag == "1"}
    assert chosen == set(CASES["android-malware"].example["present"])


def test_an_unknown_model_has_no_template():
    assert Client().get("/batches/template/nope.csv").status_code == 404
