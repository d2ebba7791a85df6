"""Sixteen identical requests under one Idempotency-Key, at the same moment, from sixteen
client threads, against a real gunicorn with three worker processes on PostgreSQL. The wallet
holds exactly one price: the first charge to commit wins, and every duplicate answers with
its response; none is refused, recorded or charged."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from billing.models import Transfer
from billing.selectors import wallet_balance
from billing.services.wallets import wallet_grant
from mlbilling.tests.processes import env_on_the_test_database
from predictions.models import Prediction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 16
PRICE = 7  # TinyCase.default_price


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, media_root: Path) -> subprocess.Popen:
    env = env_on_the_test_database(
        MEDIA_ROOT=str(media_root),
        SECRET_KEY="tests-only-secret-key-not-for-production",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        THROTTLE_USER="100000/min",
        THROTTLE_PREDICT="100000/min",
        TINY_PREDICT_SECONDS="0.3",
    )
    command = [sys.executable, "-m", "gunicorn", "--workers", "3", "--threads", "6"]
    command += ["--graceful-timeout", "5", "--no-control-socket", "--bind", f"127.0.0.1:{port}"]
    command += ["predictions.tests.serving.tiny_wsgi:application"]
    log = (media_root.parent / "gunicorn.log").open("w")
    return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stderr=log)


def wait_until_up(url: str, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=10)  # noqa: S310 (our http URL)
            return
        except OSError:  # refused, reset or timed out while the workers boot
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)


def post_at(start: float, url: str, key: str) -> tuple[int, dict, str | None]:
    """One client: wait for the common start, then POST once."""
    request = urllib.request.Request(  # noqa: S310 (our own http URL)
        f"{url}/api/v1/models/tiny/predict",
        data=json.dumps({"inputs": [{"x1": 9, "x2": 9}]}).encode(),
        headers={
            "Authorization": f"Token {key}",
            "Content-Type": "application/json",
            "Idempotency-Key": "order-42",
        },
    )
    time.sleep(max(0.0, start - time.time()))
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.load(response), response.headers["Idempotent-Replayed"]
    except urllib.error.HTTPError as error:
        return error.code, json.load(error), None


def test_duplicates_on_an_exactly_funded_wallet_all_get_the_winners_answer(served, settings):
    user = UserFactory()
    wallet_grant(user=user, amount=PRICE, reason="exactly one prediction")
    key = api_token_create(user=user, name="race")[1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_gunicorn(port, settings.MEDIA_ROOT)
    try:
        wait_until_up(url)
        start = time.time() + 1.0
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(lambda _: post_at(start, url, key), range(CLIENTS)))
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert [status for status, _, _ in answers] == [200] * CLIENTS
    bodies = {json.dumps(body, sort_keys=True) for _, body, _ in answers}
    assert len(bodies) == 1, "every duplicate answers with the winner's body"
    assert sorted(replayed or "" for _, _, replayed in answers) == [""] + ["true"] * 15
    assert wallet_balance(user=user).balance == 0
    assert Transfer.objects.filter(kind="charge").count() == 1
    assert list(Prediction.objects.values_list("status", flat=True)) == ["succeeded"]
