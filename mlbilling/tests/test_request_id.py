"""Request ids: on the response, and on every log line of the request."""

from __future__ import annotations

import json
import logging

from django.urls import reverse

from mlbilling.request_id import JsonFormatter, RequestIdFilter


def test_a_request_id_is_generated_and_echoed(client):
    response = client.get(reverse("healthz"))

    assert len(response["X-Request-ID"]) == 32


def test_a_supplied_request_id_is_kept_and_a_dangerous_one_replaced(client):
    kept = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="lb-1234.abc")
    replaced = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="evil\nline")

    assert kept["X-Request-ID"] == "lb-1234.abc"
    assert replaced["X-Request-ID"] != "evil\nline"
    assert len(replaced["X-Request-ID"]) == 32


def test_log_lines_of_a_request_carry_its_id_even_djangos_own_404_warning(client):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    handler.emit = records.append
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.get("/no-such-page/", HTTP_X_REQUEST_ID="trace-42")
    finally:
        logger.removeHandler(handler)
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "after", None, None)
    RequestIdFilter().filter(outside)

    assert [record.request_id for record in records] == ["trace-42"]
    assert outside.request_id == "-"


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("billing", logging.INFO, __file__, 1, "charged %s", ("p1",), None)
    record.request_id = "trace-7"

    line = json.loads(JsonFormatter().format(record))

    assert (line["request_id"], line["logger"], line["message"]) == (
        "trace-7",
        "billing",
        "charged p1",
    )
