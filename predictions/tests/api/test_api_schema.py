"""The OpenAPI document as a generated client reads it: one predict operation per model,
each example its own model's only, JSON bodies only, every error status documented."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient

from predictions.ml.cases import CASES

pytestmark = pytest.mark.django_db


@pytest.fixture
def document() -> dict[str, Any]:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def predict_operation(document: dict[str, Any], slug: str) -> dict[str, Any]:
    return document["paths"][f"/api/v1/models/{slug}/predict"]["post"]


def published_example(document: dict[str, Any], slug: str) -> dict[str, Any]:
    content = predict_operation(document, slug)["requestBody"]["content"]
    assert list(content) == ["application/json"]
    (example,) = content["application/json"]["examples"].values()
    return example["value"]


def request_validator(document: dict[str, Any], slug: str) -> Draft202012Validator:
    """The model's request component, its references resolved within the document."""
    body = predict_operation(document, slug)["requestBody"]["content"]["application/json"]
    return Draft202012Validator({**body["schema"], "components": document["components"]})


def test_each_model_has_its_own_operation_request_and_input_component(document):
    assert "/api/v1/models/{slug}/predict" not in document["paths"]
    schemas = document["components"]["schemas"]
    for slug, name in [("nhanes-age", "NhanesAge"), ("android-malware", "AndroidMalware")]:
        operation = predict_operation(document, slug)
        assert operation["operationId"] == f"models_{slug.replace('-', '_')}_predict"
        assert operation["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{name}PredictRequest"
        }
        items = schemas[f"{name}PredictRequest"]["properties"]["inputs"]["items"]
        assert items == {"$ref": f"#/components/schemas/{name}Input"}
        # A title would name the generated class ("AgeGroupFromMetabolic...").
        assert "title" not in schemas[f"{name}Input"]
    assert not [name for name in schemas if name.startswith("AgeGroup")]


def test_every_published_example_is_its_own_models_and_no_other(document):
    assert len(CASES) == 6
    for slug in CASES:
        example = published_example(document, slug)
        accepted_by = {
            other for other in CASES if request_validator(document, other).is_valid(example)
        }
        assert accepted_by == {slug}, f"{slug}'s example is accepted by {accepted_by}"


def test_a_case_registered_later_gets_its_operation_too(tiny_case, document):
    operation = predict_operation(document, "tiny")
    assert document["components"]["schemas"]["TinyInput"]["properties"]["x1"]["maximum"] == 10
    assert request_validator(document, "tiny").is_valid({"inputs": [{"x1": 7.5}]})
    assert not request_validator(document, "tiny").is_valid({"inputs": [{"x1": 7.5, "x9": 1}]})
    assert {"200", "400", "401", "402", "404", "409", "413", "415", "429", "503"} <= set(
        operation["responses"]
    )


def test_every_error_answer_is_documented_with_the_error_body(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if {} not in operation.get("security", [{}]):
                assert "401" in responses, f"{method} {path}"
            assert "429" in responses, f"{method} {path}"
            if any(p["in"] == "query" for p in operation.get("parameters", [])):
                # gunicorn's own answer to an overlong request line, with its own body.
                assert "content" not in responses["414"], f"{method} {path}"
            for status, response in responses.items():
                if int(status) >= 400 and status != "414":
                    schema = response["content"]["application/json"]["schema"]
                    assert "$ref" in schema, f"{method} {path} {status}"


def test_files_travel_as_binary(document):
    batch = document["paths"]["/api/v1/batches"]["post"]["requestBody"]["content"]
    assert list(batch) == ["multipart/form-data"]
    upload = document["components"]["schemas"]["BatchCreateInputRequest"]
    assert upload["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": upload["properties"]["file"]["description"],
    }
    result = document["paths"]["/api/v1/batches/{job_id}/result"]["get"]["responses"]["200"]
    assert result["content"] == {"text/csv": {"schema": {"type": "string", "format": "binary"}}}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/token", {"email": "a@example.org", "password": "x"}),
        ("/api/v1/topups", {"amount": "10.00"}),
        ("/api/v1/models/tiny/predict", {"inputs": '[{"x1": 1}]'}),
    ],
)
@pytest.mark.parametrize("form", ["multipart", "urlencoded"])
def test_login_top_up_and_predict_accept_json_only(served, token_client, path, body, form):
    if form == "multipart":
        answer = token_client.post(path, body, format="multipart")
    else:
        answer = token_client.post(
            path,
            data="&".join(f"{k}=x" for k in body),
            content_type="application/x-www-form-urlencoded",
        )

    assert answer.status_code == 415
    assert answer.json()["code"] == "unsupported_media_type"


def test_json_bodies_are_the_only_ones_published(document):
    for path in ("/api/v1/auth/token", "/api/v1/topups", "/api/v1/models/nhanes-age/predict"):
        content = document["paths"][path]["post"]["requestBody"]["content"]
        assert list(content) == ["application/json"], path


def test_the_constraints_a_fuzzer_meets_are_in_the_schema(document, settings):
    schemas = document["components"]["schemas"]
    for path in ("/api/v1/models/nhanes-age/predict", "/api/v1/batches"):
        (key,) = [p for p in document["paths"][path]["post"]["parameters"] if p["in"] == "header"]
        assert (key["name"], key["schema"]["maxLength"]) == ("Idempotency-Key", 255)
        assert re.fullmatch(key["schema"]["pattern"].strip("^$"), "order-42")
        assert not re.fullmatch(key["schema"]["pattern"].strip("^$"), " padded ")
    amount = re.compile(schemas["TopUpCreateRequest"]["properties"]["amount"]["pattern"])
    low, high = settings.BILLING_TOPUP_MIN, settings.BILLING_TOPUP_MAX
    for units, admitted in [(low - 1, False), (low, True), (high, True), (high + 1, False)]:
        assert bool(amount.match(f"{units // 100}.{units % 100:02d}")) is admitted, units
    assert schemas["AndroidMalwareInput"]["minProperties"] == 1
    assert schemas["ProductCategoryInput"]["properties"]["title"]["minLength"] == 1


def test_a_blank_query_parameter_is_refused_as_the_schema_says(client):
    assert client.get("/api/v1/transactions", {"date_from": ""}).status_code == 400
    assert client.get("/api/v1/predictions", {"status": ""}).status_code == 400
    assert client.get("/api/v1/predictions", {"status": "failed"}).status_code == 200


def test_a_batch_key_longer_than_the_schema_allows_is_a_400(served, token_client):
    upload = SimpleUploadedFile("rows.csv", b"x1,x2\n1,2\n", content_type="text/csv")

    answer = token_client.post(
        "/api/v1/batches",
        {"model": "tiny", "file": upload},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="k" * 256,
    )

    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()["errors"]


def test_a_blank_page_is_a_404_like_any_page_that_is_no_integer(client):
    assert client.get("/api/v1/predictions", {"page": ""}).status_code == 404
    assert client.get("/api/v1/predictions", {"page": "x"}).status_code == 404
    assert client.get("/api/v1/predictions", {"page": "1"}).status_code == 200


def test_bodies_that_refuse_unknown_fields_publish_no_additional_properties(document):
    """The server refuses an unknown field (400) on login, top-ups and predictions; the
    schema must say so, or a client built from it sends one believing it harmless."""
    for operation in ("/api/v1/auth/token", "/api/v1/topups"):
        body = document["paths"][operation]["post"]["requestBody"]["content"]
        reference = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert document["components"]["schemas"][reference]["additionalProperties"] is False
    response = APIClient().post(
        "/api/v1/auth/token", {"email": "a@example.com", "password": "x", "evil": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["evil"] == ["Unknown field."]


def test_the_pending_top_up_cap_is_documented(document):
    responses = document["paths"]["/api/v1/topups"]["post"]["responses"]
    assert "409" in responses
    assert responses["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
