"""bin/run's process (`manage.py run_local`) as a newcomer starts it: a fresh SQLite database,
the site answering, the fastest model served by the forked worker and paid for, and every
process of it gone after SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from predictions.management.commands.seed_demo import DEMO_EMAIL, DEMO_LOGINS
from predictions.ml.cases import CASES

FASTEST = "cirrhosis-survival"


@pytest.fixture
def site(tmp_path: Path, datasets_dir: Path):
    """`run_local` on a free port, with only the fastest case's dataset (the other cases'
    trainings fail at once: dataset missing)."""
    datasets = tmp_path / "datasets"
    for name in CASES[FASTEST].dataset_files:
        (datasets / name).parent.mkdir(parents=True, exist_ok=True)
        (datasets / name).symlink_to(datasets_dir / name)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DATASETS_DIR": str(datasets),
    }
    log = (tmp_path / "run_local.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "run_local", address],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield f"http://{address}", process, tmp_path / "run_local.log"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_run_local_serves_the_fastest_model_from_its_worker_and_stops_every_process(site):
    url, process, log = site

    _until(lambda: _get(url + "/healthz")[0] == 200, 180)
    token = _post(
        url + "/api/v1/auth/token", {"email": DEMO_EMAIL, "password": DEMO_LOGINS[DEMO_EMAIL]}
    )
    auth = {"Authorization": f"Token {token[1]['token']}"}
    model = _until(lambda: _get(f"{url}/api/v1/models/{FASTEST}")[1]["production_version"], 120)
    example = _get(f"{url}/api/v1/models/{FASTEST}")[1]["example"]
    status, answer = _post(f"{url}/api/v1/models/{FASTEST}/predict", {"inputs": [example]}, auth)

    assert model["version"] == 1
    assert status == 200
    assert answer["cost"] == "0.20"
    assert answer["balance"] == "99.80"
    assert "The site: " + url in log.read_text()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=90)
    assert _session_processes(process.pid) == []


def _session_processes(session: int) -> list[int]:
    """Live processes of the session `session` (its worker's process group included)."""
    members = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After "pid (comm)": state, ppid, pgrp, session; a zombie has let go of everything.
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _until(attempt: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = attempt()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout} s")


def _get(url: str) -> tuple[int, Any]:
    return _request(urllib.request.Request(url))  # noqa: S310 (our own http URL)


def _post(url: str, body: dict, headers: dict | None = None) -> tuple[int, Any]:
    return _request(
        urllib.request.Request(  # noqa: S310 (our own http URL)
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
    )


def _request(request: urllib.request.Request) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
