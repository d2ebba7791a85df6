"""One number rule for every number a person types: a corpus of texts is accepted or
refused alike as a batch cell (upload, worker, result file) and as a top-up amount
(the API's serializer and the website's form), each through its real path."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import api_token_create
from billing.models import TopUp
from mlbilling.csv_export import escape_cell
from predictions.batch.tasks import batch_job_run_task
from predictions.tests.api.batch_uploads import csv_file

# Every accepted value lies in both ranges: the tiny case's x1 (0 to 10) and a top-up's
# (5.00 to 1000.00 credits by default), with at most two decimals, so only the number
# rule can tell them apart.
ACCEPTED = ["7", " 7 ", "+7", "7.5", "7.50", "7e0", "0.75E1", "75e-1", "10", "5"]
REFUSED = [
    *["1_0", "0_7", "\uff17", "\u0667", "7.", ".75e1", "0x7", "7,5", "7 5", "1e", "e7"],
    *["nan", "inf", "Infinity", "+-7", "1" + "0" * 400],
]


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='t')[1]}")
    return client


def batch_verdicts(client: APIClient, texts: list[str]) -> list[bool]:
    """Each text as x1 in one uploaded CSV, run by the worker: did its row succeed?"""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["x1", "x2"], *([text, "5"] for text in texts)])
    response = client.post(
        "/api/v1/batches",
        {"model": "tiny", "file": csv_file(buffer.getvalue())},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    batch_job_run_task(job_id)
    result = client.get(f"/api/v1/batches/{job_id}/result")
    rows = list(csv.reader(io.StringIO(b"".join(result.streaming_content).decode())))
    # The cells as uploaded, in order (made inert where a spreadsheet would run them).
    assert [row[0] for row in rows[1:]] == [escape_cell(text) for text in texts]
    return [row[-1] == "" for row in rows[1:]]


def topup_verdicts(client: APIClient, web, texts: list[str]) -> list[bool]:
    """Each text as a top-up amount, through the API and the website's form; both must
    agree. Accepted top-ups are removed so no cap on pending ones interferes."""
    verdicts = []
    for text in texts:
        api = client.post("/api/v1/topups", {"amount": text}, format="json")
        page = web.post(reverse("billing:topup"), {"amount": text})
        assert api.status_code in (201, 400), api.content
        verdicts.append(api.status_code == 201)
        assert (page.status_code == 302) == verdicts[-1], text
        TopUp.objects.all().delete()
    return verdicts


@pytest.mark.django_db
def test_a_batch_cell_and_a_top_up_accept_and_refuse_the_same_numbers(
    funded_user, served, enqueued, logged_in_client
):
    client = token_client(funded_user)
    texts = ACCEPTED + REFUSED

    batch = batch_verdicts(client, texts)
    topup = topup_verdicts(client, logged_in_client, texts)

    assert batch == topup
    assert batch == [True] * len(ACCEPTED) + [False] * len(REFUSED)
