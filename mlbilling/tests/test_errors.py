from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_unmatched_api_path_is_a_json_404_in_the_common_error_body(client):
    response = client.get("/api/v1/predictions/not-a-uuid")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}


def test_an_api_form_over_the_upload_limit_is_a_413_naming_the_limit(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    client.force_login(UserFactory())

    response = client.post(
        "/api/v1/topups",
        {"amount": "10.00", "padding": "x" * 100},
        content_type="application/json",
    )

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert response.json()["limit"] == 10
    assert response.json()["setting"] == "DATA_UPLOAD_MAX_MEMORY_SIZE"


def test_an_unmatched_page_is_an_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
