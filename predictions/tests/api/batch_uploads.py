"""Uploading a batch through the API and reading its result and charge back, as the
batch tests do it."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from billing.models import Transfer, TransferKind

PRICE = 7  # the tiny case's price per row


def csv_file(text: str, name: str = "rows.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def good_rows(count: int) -> str:
    return "x1,x2\n" + "".join(f"{i % 10},{(i * 3) % 10}\n" for i in range(count))


def upload(client: APIClient, text: str, **headers: Any) -> Any:
    return client.post(
        "/api/v1/batches", {"model": "tiny", "file": csv_file(text)}, format="multipart", **headers
    )


def result_rows(client: APIClient, job_id: int) -> list[list[str]]:
    response = client.get(f"/api/v1/batches/{job_id}/result")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def captures(job: Any) -> list[int]:
    """The amounts captured on the job's hold (one, whatever happened, once it ends)."""
    return list(
        Transfer.objects.filter(
            kind=TransferKind.HOLD_CAPTURE, reference=job.reference
        ).values_list("amount", flat=True)
    )
