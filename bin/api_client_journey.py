"""A new API user's whole journey, through the client generated from /api/schema/ only.

    api_client_journey.py BASE_URL EMAIL PASSWORD

Run by bin/api-client-check with the generated package `mlbilling_api_client` on the
path (and no Django): token, me, balance, models, one prediction per model from the
example the catalogue publishes, the predictions list, a top-up, a batch uploaded, polled
and downloaded, a second batch cancelled. Every call goes through a generated function
and must answer its documented status with its documented model; a row that does not
survive the generated input class unchanged (as a row of optional fields read another
case's example as `{}`) fails the journey.
"""

from __future__ import annotations

import csv
import importlib
import io
import pkgutil
import sys
import time
from typing import Any

from mlbilling_api_client import AuthenticatedClient, Client
from mlbilling_api_client.api import predictions as prediction_operations
from mlbilling_api_client.api.models import v1_models_list
from mlbilling_api_client.api.predictions import v1_predictions_list
from mlbilling_api_client.api.v1 import (
    auth_token_create,
    batches_cancel,
    batches_create,
    batches_result,
    batches_retrieve,
    me_retrieve,
    v1_balance_retrieve,
    v1_topups_create,
)
from mlbilling_api_client.models import (
    AuthTokenInputRequest,
    AuthTokenOutput,
    Balance,
    BatchCreateInputRequest,
    BatchOutput,
    BatchStatusEnum,
    MeOutput,
    ModelInfo,
    PaginatedPredictionSummaryList,
    PredictResponse,
    TopUp,
    TopUpCreateRequest,
)
from mlbilling_api_client.types import File

BATCH_MODEL = "nhanes-age"
BATCH_ROWS = 3
POLL_SECONDS = 90


def expect(response: Any, status: int, parsed_type: type) -> Any:
    """The answer's status and its parsed model, as the schema documents them."""
    if response.status_code != status or not isinstance(response.parsed, parsed_type):
        sys.exit(
            f"expected {status} {parsed_type.__name__}, got {response.status_code}: "
            f"{response.content[:500]!r}"
        )
    return response.parsed


def camel(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("-"))


def published_predict_slugs() -> set[str]:
    """The models the schema publishes a predict operation for."""
    names = (m.name for m in pkgutil.iter_modules(prediction_operations.__path__))
    return {
        n.removeprefix("models_").removesuffix("_predict").replace("_", "-")
        for n in names
        if n.startswith("models_") and n.endswith("_predict")
    }


def predict_with_example(client: AuthenticatedClient, model: ModelInfo) -> PredictResponse:
    """The model's own operation, its own request and input classes, its own example."""
    operation = importlib.import_module(
        f"mlbilling_api_client.api.predictions.models_{model.slug.replace('-', '_')}_predict"
    )
    classes = importlib.import_module("mlbilling_api_client.models")
    row_class = getattr(classes, f"{camel(model.slug)}Input")
    request_class = getattr(classes, f"{camel(model.slug)}PredictRequest")
    row = row_class.from_dict(model.example)
    # Same fields out as in (values may change form: "...Z" comes back as "...+00:00").
    if set(row.to_dict()) != set(model.example):
        sys.exit(f"{model.slug}: the example does not survive {row_class.__name__}")
    body = request_class(inputs=[row])
    answer = expect(operation.sync_detailed(client=client, body=body), 200, PredictResponse)
    if answer.model != model.slug or len(answer.results) != 1:
        sys.exit(f"{model.slug}: unexpected answer {answer.to_dict()}")
    return answer


def batch_csv(example: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(example))
    writer.writeheader()
    for _ in range(BATCH_ROWS):
        writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in example.items()})
    return out.getvalue().encode()


def batch_upload(client: AuthenticatedClient, example: dict[str, Any], key: str) -> BatchOutput:
    upload = File(
        payload=io.BytesIO(batch_csv(example)), file_name="rows.csv", mime_type="text/csv"
    )
    body = BatchCreateInputRequest(model=BATCH_MODEL, file=upload)
    return expect(
        batches_create.sync_detailed(client=client, body=body, idempotency_key=key),
        201,
        BatchOutput,
    )


def batch_journey(client: AuthenticatedClient, example: dict[str, Any]) -> None:
    job = batch_upload(client, example, key="journey-batch-1")
    deadline = time.monotonic() + POLL_SECONDS
    while job.status != BatchStatusEnum.DONE:
        if job.status in (BatchStatusEnum.FAILED, BatchStatusEnum.CANCELLED):
            sys.exit(f"batch {job.id} ended {job.status}: {job.error}")
        if time.monotonic() > deadline:
            sys.exit(f"batch {job.id} still {job.status} after {POLL_SECONDS} s")
        time.sleep(1)
        job = expect(batches_retrieve.sync_detailed(job.id, client=client), 200, BatchOutput)
    result = expect(batches_result.sync_detailed(job.id, client=client), 200, File)
    rows = list(csv.DictReader(io.StringIO(result.payload.read().decode())))
    if len(rows) != BATCH_ROWS or job.rows_succeeded != BATCH_ROWS:
        sys.exit(f"batch {job.id}: {len(rows)} result rows, {job.rows_succeeded} succeeded")
    second = batch_upload(client, example, key="journey-batch-2")
    cancelled = expect(batches_cancel.sync_detailed(second.id, client=client), 200, BatchOutput)
    if not (cancelled.cancel_requested or cancelled.status == BatchStatusEnum.DONE):
        sys.exit(f"batch {second.id} was not cancelled: {cancelled.to_dict()}")
    print(
        f"batch: {job.rows_succeeded} rows predicted and downloaded; cancel -> {cancelled.status}"
    )


def journey(anonymous: Client, client: AuthenticatedClient, email: str) -> None:
    if expect(me_retrieve.sync_detailed(client=client), 200, MeOutput).email != email:
        sys.exit("me: another user")
    before = expect(v1_balance_retrieve.sync_detailed(client=client), 200, Balance)
    models = expect(v1_models_list.sync_detailed(client=anonymous), 200, list)
    if {model.slug for model in models} != published_predict_slugs():
        sys.exit(f"catalogue {[m.slug for m in models]} != {sorted(published_predict_slugs())}")
    for model in models:
        answer = predict_with_example(client, model)
        print(f"{model.slug}: {answer.results[0].to_dict().get('label')!r}, cost {answer.cost}")
    listed = expect(
        v1_predictions_list.sync_detailed(client=client), 200, PaginatedPredictionSummaryList
    )
    if listed.count < len(models):
        sys.exit(f"predictions list: {listed.count} for {len(models)} predictions")
    topup = expect(
        v1_topups_create.sync_detailed(client=client, body=TopUpCreateRequest(amount="10.00")),
        201,
        TopUp,
    )
    batch_journey(client, {model.slug: model.example for model in models}[BATCH_MODEL])
    after = expect(v1_balance_retrieve.sync_detailed(client=client), 200, Balance)
    print(f"balance {before.balance} -> {after.balance}; top-up {topup.id} {topup.state}")
    print(f"journey: {len(models)} models predicted through the generated client, all passed")


def main() -> None:
    base_url, email, password = sys.argv[1:4]
    login = AuthTokenInputRequest(email=email, password=password, name="journey")
    with Client(base_url=base_url) as anonymous:
        token = expect(
            auth_token_create.sync_detailed(client=anonymous, body=login), 201, AuthTokenOutput
        )
        with AuthenticatedClient(base_url=base_url, token=token.token, prefix="Token") as client:
            journey(anonymous, client, email)


if __name__ == "__main__":
    main()
