"""Uploading a batch through the API, as the batch API tests do it."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

PRICE = 7  # the tiny case's price per row


def csv_file(text: str, name: str = "rows.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def good_rows(count: int) -> str:
    return "x1,x2\n" + "".join(f"{i % 10},{(i * 3) % 10}\n" for i in range(count))


def upload(client: APIClient, text: str, **headers: Any) -> Any:
    return client.post(
        "/api/v1/batches", {"model": "tiny", "file": csv_file(text)}, format="multipart", **headers
    )
