"""Batch uploads through the API that are refused or answered at once: before any work."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from billing.selectors import wallet_balance
from predictions.batch.csv_stream import BLOCK_BYTES
from predictions.models import BatchJob
from predictions.tests.api.batch_uploads import PRICE, csv_file, good_rows, upload


@pytest.mark.django_db
def test_a_wallet_that_cannot_hold_the_maximum_cost_gets_402_and_nothing_is_created(
    served, settings
):
    poor = UserFactory()
    api = APIClient()
    api.force_authenticate(poor)

    response = upload(api, good_rows(3))

    assert response.status_code == 402
    assert (response.json()["needed"], response.json()["available"]) == ("0.21", "0.00")
    assert not BatchJob.objects.exists()
    assert not list((settings.MEDIA_ROOT / "batches").glob("*"))


# Every line is under BATCH_MAX_LINE_BYTES, but one quoted cell's line breaks make its row
# longer than the worker's CSV reader can take (over two of its blocks): refused at upload,
# not failed later in the worker.
_ROW_BEYOND_THE_READER = (
    b'x1,x2\n1,2\n1,"' + b"\n".join([b"a" * 200_000] * (3 * BLOCK_BYTES // 200_000)) + b'"\n'
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"x1,colour\n1,red\n", "Unknown columns: colour."),
        (b"x2\n1\n", "Missing columns: x1."),
        (b"x1,x2\n", "The file has a header but no rows."),
        (b"x1,x2\n1,\xff\n", "Line 2 is not valid UTF-8"),
        (b"\x00\x01\x02", "contains a NUL byte"),
        (_ROW_BEYOND_THE_READER, "Line 3 is not valid CSV"),
    ],
)
def test_a_bad_file_is_refused_at_once_with_its_problem(
    client, served, content: bytes, message: str
):
    response = client.post(
        "/api/v1/batches",
        {"model": "tiny", "file": SimpleUploadedFile("f.csv", content)},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_file"
    assert message in " ".join(response.json()["errors"]["file"])
    assert not BatchJob.objects.exists()


@pytest.mark.django_db
def test_an_empty_file_too_large_file_or_too_many_rows_are_refused(client, served, settings):
    settings.BATCH_MAX_ROWS = 3
    assert "empty" in upload(client, "").json()["errors"]["file"][0]
    assert "more than 3 rows" in upload(client, good_rows(4)).json()["errors"]["file"][0]
    settings.BATCH_MAX_UPLOAD_BYTES = 10
    assert "larger than" in str(upload(client, good_rows(2)).json())
    assert not BatchJob.objects.exists()


@pytest.mark.django_db
def test_an_unknown_model_is_refused(client, served):
    response = client.post(
        "/api/v1/batches", {"model": "nope", "file": csv_file(good_rows(1))}, format="multipart"
    )

    assert response.status_code == 400
    assert "nope" in response.json()["errors"]["model"][0]


@pytest.mark.django_db
def test_the_same_idempotency_key_returns_the_first_job_and_holds_once(
    client, funded_user, served, enqueued
):
    first = upload(client, good_rows(4), HTTP_IDEMPOTENCY_KEY="k-1")
    again = upload(client, good_rows(4), HTTP_IDEMPOTENCY_KEY="k-1")
    other = upload(client, good_rows(5), HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 409
    assert BatchJob.objects.count() == 1
    assert wallet_balance(user=funded_user).held == 4 * PRICE


@pytest.mark.django_db
def test_a_body_far_over_the_size_limit_is_refused_before_it_is_read(client, served, settings):
    settings.BATCH_MAX_UPLOAD_BYTES = 1000

    response = upload(client, good_rows(20_000))

    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not BatchJob.objects.exists()
