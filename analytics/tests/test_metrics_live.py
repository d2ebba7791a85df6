"""/metrics as production runs it: gunicorn with two workers in prometheus_client's
multiprocess mode, paid predictions over HTTP with an API token, and the counts read back
from the scrape, whichever worker answers it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from billing.selectors import ledger_reconcile
from billing.services.wallets import wallet_grant
from mlbilling.tests.processes import env_on_the_test_database, stop
from predictions.ml.cases import get_case

pytestmark = [
    # gunicorn's workers see the test's data only through a real database.
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

TOKEN = "a-long-random-scrape-token-for-the-live-test"
SUCCEEDED, REFUSED = 6, 3
# More requests at once than workers: both workers are kept busy.
CONCURRENCY = 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, *, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited while starting"
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 (local)
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("gunicorn did not answer /healthz in time")


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """gunicorn with two workers on the test database; yields its URL and metrics folder.
    The folder holds a stale file of an earlier run: gunicorn.conf.py must empty it."""
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    (multiproc / "counter_999999.db").write_bytes(b"left over by an earlier run")
    port = _free_port()
    env = env_on_the_test_database(
        DATASETS_DIR=str(settings.DATASETS_DIR),
        DEBUG="false",
        SECRET_KEY="live-metrics-test-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
    )
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "mlbilling.wsgi",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        yield url, multiproc
    finally:
        stop(server, timeout=30)
        log.close()


def _post_prediction(url: str, api_key: str, row: dict) -> int:
    request = urllib.request.Request(  # noqa: S310 (a local URL)
        f"{url}/api/v1/models/nhanes-age/predict",
        data=json.dumps({"inputs": [row]}).encode(),
        headers={"Authorization": f"Token {api_key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _scrape(url: str) -> dict[str, float]:
    request = urllib.request.Request(  # noqa: S310 (a local URL)
        f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _space, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_predictions_over_http_on_two_workers_are_counted_by_every_scrape(
    gunicorn, nhanes_in_production
):
    url, multiproc = gunicorn
    price = nhanes_in_production.model.price_per_row
    user = UserFactory()
    wallet_grant(user=user, amount=price * SUCCEEDED, reason="live metrics test")
    api_key = api_token_create(user=user, name="live")[1]
    row = dict(get_case("nhanes-age").example)

    # Concurrent requests keep both workers busy; the wallet pays for SUCCEEDED of them.
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        statuses = list(
            pool.map(lambda _i: _post_prediction(url, api_key, row), range(SUCCEEDED + REFUSED))
        )

    assert sorted(statuses) == [200] * SUCCEEDED + [402] * REFUSED
    # Each worker wrote its own file, and the stale one of the "earlier run" is gone.
    files = {path.name for path in multiproc.glob("counter_*.db")}
    assert "counter_999999.db" not in files
    assert len(files) >= 2, files
    for _scrape_number in range(4):  # whichever worker answers, the merged counts
        samples = _scrape(url)
        succeeded = samples['mlbilling_predictions_total{model="nhanes-age",status="succeeded"}']
        refused = samples['mlbilling_predictions_total{model="nhanes-age",status="refused"}']
        charged = samples['mlbilling_credits_charged_hundredths_total{model="nhanes-age"}']
        latency = samples['mlbilling_prediction_latency_seconds_count{model="nhanes-age"}']
        assert (succeeded, refused) == (SUCCEEDED, REFUSED)
        assert charged == price * SUCCEEDED
        assert latency == SUCCEEDED + REFUSED
    assert ledger_reconcile().clean
