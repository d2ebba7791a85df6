"""Bodies that used to be 500s, or accepted in silence, through the real token API: each is
a 4xx in the common error body, and nothing is run, recorded or charged."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from billing.models import TopUp, Transfer
from billing.selectors import wallet_balance
from predictions.ml.cases import CASES
from predictions.models import Prediction

pytestmark = pytest.mark.django_db

URL = "/api/v1/models/tiny/predict"
HUGE = "1" + "0" * 400


def raw_post(client: APIClient, url: str, body: str):
    return client.post(url, body, content_type="application/json")


def assert_nothing_happened(customer) -> None:
    assert wallet_balance(user=customer).balance == 100
    assert not Transfer.objects.filter(kind="charge").exists()
    assert not Prediction.objects.exists()


@pytest.mark.parametrize(
    ("row", "path"),
    [
        ('{"x1": "abc\\u0000def"}', "inputs.0.x1"),
        ('{"x1": 1, "x2": "\\ud800"}', "inputs.0.x2"),
        ('{"x1": ' + HUGE + "}", "inputs.0.x1"),
        ('{"x1": -' + HUGE + "}", "inputs.0.x1"),
        ('{"x1": 1e400}', "inputs.0.x1"),
        ('{"x1\\u0000": 1}', "inputs.0"),
    ],
    ids=["nul", "lone-surrogate", "huge-int", "huge-negative-int", "float-overflow", "nul-key"],
)
def test_values_no_database_or_float_can_hold_are_a_400_naming_the_field(
    served, token_client, customer, row, path
):
    response = raw_post(token_client, URL, '{"inputs": [' + row + "]}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_value"
    assert list(response.json()["errors"]) == [path]
    assert_nothing_happened(customer)


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000, "[" * 40 + "]" * 40],
    ids=["arrays-100000-deep", "objects-5000-deep", "arrays-40-deep"],
)
def test_deep_nesting_is_a_400_naming_the_depth_limit(served, token_client, customer, body):
    response = raw_post(token_client, URL, '{"inputs": ' + body + "}")

    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"
    assert response.json()["limit"] == django_settings.API_JSON_MAX_DEPTH
    assert_nothing_happened(customer)


def test_nan_is_not_json(served, token_client, customer):
    response = raw_post(token_client, URL, '{"inputs": [{"x1": NaN}]}')

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert_nothing_happened(customer)


def test_an_unknown_top_level_key_is_refused_and_not_charged(served, token_client, customer):
    response = raw_post(token_client, URL, '{"inputs": [{"x1": 9}], "evil": 1}')

    assert response.status_code == 400
    assert response.json()["errors"] == {"evil": ["Unknown field."]}
    assert_nothing_happened(customer)


def test_an_unknown_key_in_a_top_up_is_refused(settings, token_client, customer):
    settings.BILLING_PAYMENT_PROVIDERS = ["sandbox"]
    response = raw_post(token_client, "/api/v1/topups", '{"amount": "10.00", "evil": 1}')

    assert response.status_code == 400
    assert response.json()["errors"] == {"evil": ["Unknown field."]}
    assert not TopUp.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "a\\u0000@example.com", "password": "x"}',
        '{"email": "a@example.com", "password": "\\udfff"}',
        '{"email": "a@example.com", "password": "x", "evil": 1}',
    ],
    ids=["nul", "lone-surrogate", "unknown-key"],
)
def test_the_token_endpoint_refuses_hostile_bodies_with_a_400(api_client, body):
    response = raw_post(api_client, "/api/v1/auth/token", body)

    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_value", "invalid"}


def test_a_json_body_over_the_limit_is_a_413_naming_the_limit(
    settings, served, token_client, customer
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = raw_post(token_client, URL, json.dumps({"inputs": [{"x1": 1}] * 200}))

    assert response.status_code == 413
    body = response.json()
    assert (body["code"], body["limit"], body["setting"]) == (
        "request_too_large",
        1000,
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
    )
    assert_nothing_happened(customer)


def widest_row(slug: str) -> dict:
    """A row of `slug` as long as JSON makes it: every field, choices all listed, texts at
    their maximum length in escaped non-ASCII."""
    row = dict(CASES[slug].example)
    for field in CASES[slug].schema.fields:
        if field.kind == "multichoice":
            row[field.name] = list(field.choices)
        elif field.kind == "text":
            row[field.name] = "é" * (field.max_length or 1000)
        elif field.kind == "integer":
            row[field.name] = 1
    return row


@pytest.mark.parametrize("slug", sorted(CASES))
def test_the_documented_rows_of_every_case_fit_under_the_body_limit(slug):
    body = json.dumps({"inputs": [widest_row(slug)] * django_settings.PREDICT_MAX_ROWS}, indent=1)

    assert len(body.encode()) < django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_a_thousand_malware_rows_of_0_1_fields_pass_the_limit_and_the_parser(token_client):
    fields = [f.name for f in CASES["android-malware"].schema.fields if f.kind == "integer"]
    rows = [dict.fromkeys(fields, 1)] * 1000
    body = json.dumps({"inputs": rows})
    assert len(body) > 6_000_000

    response = raw_post(token_client, "/api/v1/models/android-malware/predict", body)

    # The rows were read, parsed and validated: the only refusal left is that no version
    # of the model is served in this test.
    assert response.json()["code"] == "model_unavailable"


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_without_a_length_is_a_411(live_server):
    url = urlsplit(live_server.url)
    chunk = b'{"inputs": [{"x1": 1}]}'
    request = (
        b"POST /api/v1/batches HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n%s\r\n0\r\n\r\n"
        % (len(chunk), chunk)
    )
    # Sent whole, so the server may answer before it reads the body.
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = json.loads(response.read())

    assert response.status == 411
    assert body["code"] == "length_required"


def test_the_refusal_follows_the_request_language(served, token_client):
    response = token_client.post(
        URL,
        '{"inputs": [{"x1": "\\u0000"}]}',
        content_type="application/json",
        headers={"Accept-Language": "ru"},
    )

    assert response.json()["errors"] == {"inputs.0.x1": ["Символы NUL не допускаются."]}
