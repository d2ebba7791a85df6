"""The scaled-out stack, tried through its load balancer only (run by bin/containers).

Signs a user up on the website, takes an API token, makes a paid prediction, runs a
batch of 10,000 rows while one worker container is killed, restarts a web replica under
a bounded load of paid predictions, and checks every charge against the balance. Talks
to the stack over HTTP and to Docker only to grant credits, read the sign-up email from
the console log, kill and restart containers. Standard library only: it runs on the host.

Usage: python deploy/smoke.py BASE_URL SLUG   (COMPOSE names the compose command)
"""

from __future__ import annotations

import csv
import http.cookiejar
import io
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

COMPOSE = shlex.split(os.environ.get("COMPOSE", "docker compose"))
BATCH_ROWS = 10_000
AFTER_RESTART_SECONDS = 10  # the load goes on this long once the replica is back
LOAD_CLIENTS = 3
# Paid predictions a second from all the clients together: under THROTTLE_PREDICT's
# default of 1,200 a minute (20 a second), which compose.yaml keeps.
LOAD_PER_SECOND = 12


def log(message: str) -> None:
    print(f"smoke: {message}", flush=True)


def compose(*args: str) -> str:
    done = subprocess.run([*COMPOSE, *args], check=True, capture_output=True, text=True)
    return done.stdout


class Site:
    """HTTP through the load balancer, with cookies (the website) or a token (the API)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.token = ""

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Token {self.token}"} if self.token else {}
        headers.update(kw.pop("headers", {}))
        data = None
        if isinstance(body, dict):
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif isinstance(body, tuple):  # (content type, bytes)
            headers["Content-Type"], data = body
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with self.opener.open(request, timeout=kw.get("timeout", 60)) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, ConnectionError) as exc:  # nothing answered at all
            return 0, str(exc)
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        """GET the page for its CSRF token, then POST the form as a browser would."""
        _, page = self.call("GET", path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        referer = {"Referer": self.base + path}
        kind = "application/x-www-form-urlencoded"
        return self.call("POST", path, (kind, body), headers=referer)

    def balance(self) -> int:
        """The wallet's balance in hundredths of a credit."""
        status, body = self.call("GET", "/api/v1/balance")
        assert status == 200, (status, body)
        return round(float(body["balance"]) * 100)


def wait_ready(site: Site, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = site.call("GET", "/readyz")
        if status == 200:
            log(f"/readyz ok: {json.dumps(body)[:300]}")
            return
        time.sleep(2)
    raise AssertionError(f"/readyz not ok after {timeout} s: {status} {body}")


def sign_up(site: Site) -> str:
    """Sign up on the website, confirm the email from the console log, take a token."""
    email, password = f"smoke-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
    status, _ = site.form(
        "/auth/signup/", {"email": email, "password1": password, "password2": password}
    )
    assert status in (200, 302), status
    key = None
    for _ in range(30):  # the console email is in the log of whichever replica sent it
        found = re.findall(r"/auth/confirm-email/([^/\s]+)/", compose("logs", "web"))
        if found:
            key = found[-1]
            break
        time.sleep(1)
    assert key, "no confirmation email in the web replicas' logs"
    status, _ = site.form(f"/auth/confirm-email/{key}/", {})
    assert status in (200, 302), status
    status, body = site.call("POST", "/api/v1/auth/token", {"email": email, "password": password})
    assert status in (200, 201), (status, body)
    site.token = body["token"]
    log(f"signed up {email}, confirmed the email, took a token")
    return email


def predict(site: Site, slug: str, row: dict[str, Any]) -> tuple[int, Any]:
    headers = {"Idempotency-Key": uuid.uuid4().hex}  # a retried request charges once
    return site.call("POST", f"/api/v1/models/{slug}/predict", {"inputs": [row]}, headers=headers)


def paid_prediction(site: Site, slug: str, row: dict[str, Any]) -> int:
    before = site.balance()
    status, body = predict(site, slug, row)
    assert status == 200, (status, body)
    cost = round(float(body["cost"]) * 100)
    assert cost > 0, body
    assert site.balance() == before - cost, (before, cost, site.balance())
    log(f"paid prediction: {body['results'][0]}, charged {body['cost']}")
    return cost


def batch_csv(row: dict[str, Any], rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    for _ in range(rows):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue().encode()


def multipart(fields: dict[str, str], name: str, content: bytes) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
    parts.append(head.encode() + b"Content-Type: text/csv\r\n\r\n" + content + b"\r\n")
    return f"multipart/form-data; boundary={boundary}", b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode()


def worker_running(job_id: int) -> str | None:
    """The worker container whose log shows it took the job's task."""
    for container in compose("ps", "-q", "worker").split():
        logs = subprocess.run(["docker", "logs", container], capture_output=True, text=True)
        if f"batch-{job_id}-" in logs.stdout + logs.stderr:
            return container
    return None


def batch_with_a_worker_killed(site: Site, slug: str, row: dict[str, Any]) -> None:
    before = site.balance()
    body = multipart({"model": slug}, "smoke.csv", batch_csv(row, BATCH_ROWS))
    status, job = site.call("POST", "/api/v1/batches", body, timeout=120)
    assert status in (200, 201, 202), (status, job)
    job_id, killed, deadline = job["id"], None, time.monotonic() + 420
    while time.monotonic() < deadline:
        _, job = site.call("GET", f"/api/v1/batches/{job_id}")
        if job["status"] in ("done", "failed", "cancelled"):
            break
        container = None if killed else worker_running(job_id)
        if container and job["status"] == "running" and 0 < job["rows_done"] < BATCH_ROWS:
            subprocess.run(["docker", "kill", container], check=True, capture_output=True)
            killed = container
            log(f"batch {job_id}: killed worker {container[:12]} at row {job['rows_done']}")
        time.sleep(1)
    assert killed, f"batch {job_id} ended before a worker could be killed: {job}"
    assert job["status"] == "done", job
    assert job["rows_succeeded"] == BATCH_ROWS, job
    charged = round(float(job["charged"]) * 100)
    assert site.balance() == before - charged, (before, charged, site.balance())
    log(
        f"batch {job_id}: {BATCH_ROWS} rows done on the other worker, charged once {job['charged']}"
    )
    subprocess.run(["docker", "start", killed], check=True, capture_output=True)


def load(site: Site, slug: str, row: dict[str, Any], stop: threading.Event, out: list) -> None:
    """One client's paid predictions, paced so that all the clients together stay under
    the per-user predict throttle (a 429 there would say nothing about the restart)."""
    pace = LOAD_CLIENTS / LOAD_PER_SECOND
    while not stop.is_set():
        started = time.monotonic()
        status, body = predict(site, slug, row)
        cost = round(float(body["cost"]) * 100) if status == 200 else 0
        out.append((status, cost, round(time.monotonic() - started, 2), str(body)[:200]))
        time.sleep(max(0.0, started + pace - time.monotonic()))


def wait_healthy(container: str, timeout: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        inspect = ["docker", "inspect", "-f", "{{.State.Health.Status}}", container]
        if subprocess.run(inspect, capture_output=True, text=True).stdout.strip() == "healthy":
            return time.monotonic() - started
        time.sleep(1)
    raise AssertionError(f"web replica {container[:12]} not healthy after {timeout} s")


def web_restart_under_load(site: Site, slug: str, row: dict[str, Any]) -> None:
    """Paid predictions from a few clients (bounded: until the restarted replica is healthy
    again and a little after) while one web replica restarts: none may fail."""
    before, stop, results = site.balance(), threading.Event(), []
    clients = [
        threading.Thread(target=load, args=(site, slug, row, stop, results))
        for _ in range(LOAD_CLIENTS)
    ]
    for client in clients:
        client.start()
    time.sleep(5)
    replica = compose("ps", "-q", "web").split()[0]
    # As `docker compose stop` would: SIGTERM, and time for gunicorn to finish its requests.
    subprocess.run(["docker", "restart", "-t", "30", replica], check=True, capture_output=True)
    back = wait_healthy(replica)
    log(f"restarted web replica {replica[:12]} under load: healthy again after {back:.0f} s")
    time.sleep(AFTER_RESTART_SECONDS)
    stop.set()
    for client in clients:
        client.join()
    failed = [r for r in results if r[0] != 200]
    assert not failed, f"{len(failed)} of {len(results)} requests failed: {failed[:5]}"
    charged = sum(cost for _, cost, _, _ in results)
    assert site.balance() == before - charged, (before, charged, site.balance())
    slowest = max(seconds for _, _, seconds, _ in results)
    log(
        f"{len(results)} paid predictions around the restart: none failed, each charged once "
        f"(slowest {slowest} s)"
    )


def main(base: str, slug: str) -> None:
    site = Site(base)
    wait_ready(site)
    email = sign_up(site)
    compose(
        "exec",
        "-T",
        "web",
        "python",
        "manage.py",
        "billing_grant",
        email,
        "5000",
        "--reason",
        "container smoke test",
    )
    _, model = site.call("GET", f"/api/v1/models/{slug}")
    row = model["example"]
    paid_prediction(site, slug, row)
    batch_with_a_worker_killed(site, slug, row)
    web_restart_under_load(site, slug, row)
    log("all checks passed")


if __name__ == "__main__":
    main(*sys.argv[1:3])
