"""A newcomer's first run, timed: README's `bin/run` on a fresh clone, from the moment it is
started (the requirements already installed) to the site answering, to each model serving
and to the first paid prediction on the fastest case.

    .venv/bin/python bench/first_run.py [--quick] [--keep]

It clones this checkout's committed HEAD into a temporary folder, links `../shared` beside
the clone as it is beside this checkout (bin/run's datasets: DATASETS_DIR defaults to
`../shared/datasets`) and this checkout's `.venv` into it, runs `bin/setup` there (the
install, not timed: with the requirements installed it does nothing), then starts
`bin/run` with a newcomer's environment (no DATABASE_URL, MEDIA_ROOT or DEBUG: SQLite and
media inside the clone) on a free port and watches it through HTTP only:

- the site answering: the home page `200`;
- the demo user's token (`POST /api/v1/auth/token`), then a prediction on the fastest case
  (cirrhosis) every half second while it answers `503` with `Retry-After`, until `200`;
  the charge is checked: the wallet is lower by the model's price, the answer's `cost`;
- each model serving (its version's `promoted_at`, read from bin/run's database after the
  run: watching the catalogue meanwhile would cost the server CPU) and, without --quick,
  each model's evaluation attached to its card (`GET /api/v1/models` after the first
  prediction: its version's metrics).

Besides the seconds, the CPU seconds bin/run's processes had used by then (from /proc):
on a shared machine the seconds depend on the neighbours, the CPU does not. --quick (what
CI runs) stops at the first paid prediction; the full run waits for every evaluation.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from proc_cpu import cpu_seconds, process_tree

ROOT = Path(__file__).resolve().parent.parent
FASTEST = "cirrhosis-survival"
DEMO = {"email": "demo@mlbilling.local", "password": "demo-password-2026"}
# A newcomer's shell has none of the project's variables; these are what a run needs.
KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DATASETS_DIR")
SITE_TIMEOUT = 180
FIRST_PREDICTION_TIMEOUT = 300
ALL_MODELS_TIMEOUT = 1800
WATCH_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Stop at the first paid prediction.")
    parser.add_argument("--keep", action="store_true", help="Keep the clone (its log, database).")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="mlbilling-first-run-"))
    clone = _fresh_clone(folder)
    port = _free_port()
    watch = Watch(f"http://127.0.0.1:{port}")
    env = {name: os.environ[name] for name in KEPT_ENV if name in os.environ}
    log = (folder / "bin-run.log").open("w")
    load_before = _load()
    watch.started, watch.started_epoch = time.monotonic(), time.time()
    watch.run = subprocess.Popen(
        [str(clone / "bin" / "run")],
        cwd=clone,
        env={**env, "ADDRESS": f"127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        watch.first_paid_prediction()
        if not args.quick:
            _until(watch.models, ALL_MODELS_TIMEOUT, "every model's evaluation")
    finally:
        _stop(watch.run)
        log.close()
        watch.promotions(clone / "db.sqlite3")
        if args.keep:
            print(f"clone and log kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    print(f"\nbin/run on a fresh clone ({'quick' if args.quick else 'full'} run)")
    print(f"load average before: {load_before}; after: {_load()}; cores: {os.cpu_count()}")
    print(f"{'event':<72} {'seconds':>8} {'bin/run CPU s':>14}")
    for what, seconds, cpu in watch.rows:
        print(f"{what:<72} {seconds:8.1f} {'' if math.isnan(cpu) else f'{cpu:.1f}':>14}")


def _fresh_clone(folder: Path) -> Path:
    """This checkout's HEAD cloned into `folder`, `../shared` and `.venv` linked as here,
    and `bin/setup` run (the install, not timed)."""
    clone = folder / "mlbilling"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    (folder / "shared").symlink_to((ROOT.parent / "shared").resolve())
    (clone / ".venv").symlink_to((ROOT / ".venv").resolve())
    subprocess.run([str(clone / "bin" / "setup"), "requirements.txt"], check=True)
    return clone


class Watch:
    """What bin/run's site says over HTTP, each event marked with the seconds since the
    start and the CPU seconds bin/run's processes had used."""

    def __init__(self, site: str) -> None:
        self.site = site
        self.run: subprocess.Popen
        self.started = 0.0
        self.started_epoch = 0.0
        self.rows: list[tuple[str, float, float]] = []
        self.evaluated: set[str] = set()
        self.watched = 0.0

    def mark(self, what: str) -> None:
        self.rows.append((what, time.monotonic() - self.started, _tree_cpu(self.run.pid)))
        print(f"  {self.rows[-1][1]:6.1f} s  {what}", flush=True)

    def first_paid_prediction(self) -> None:
        _until(lambda: _get(self.site + "/")[0] == 200, SITE_TIMEOUT, "the site to answer")
        self.mark("site answers (home page 200)")
        token = _post(self.site + "/api/v1/auth/token", {**DEMO, "name": "first-run bench"})
        auth = {"Authorization": f"Token {token[1]['token']}"}
        before = _get(self.site + "/api/v1/balance", auth)[1]["balance"]
        model = _get(f"{self.site}/api/v1/models/{FASTEST}")[1]
        refusals = []

        def predict() -> dict[str, Any] | None:
            status, body = _post(
                f"{self.site}/api/v1/models/{FASTEST}/predict", {"inputs": [model["example"]]}, auth
            )
            if status == 503 and body.get("code") == "model_training":
                refusals.append(body)
                return None
            if status != 200:
                raise SystemExit(f"the prediction answered {status}: {body}")
            return body

        answer = _until(predict, FIRST_PREDICTION_TIMEOUT, "the first paid prediction")
        self.mark(f"first paid prediction ({FASTEST}, after {len(refusals)} answers 503)")
        self.models(now=True)
        after = _get(self.site + "/api/v1/balance", auth)[1]["balance"]
        charged = _hundredths(before) - _hundredths(after)
        if not (charged == _hundredths(model["price_per_row"]) == _hundredths(answer["cost"])):
            raise SystemExit(f"charge wrong: balance {before} -> {after}, answer {answer}")
        print(f"  charged {answer['cost']} credits, the model's price; balance {after}")

    def models(self, *, now: bool = False) -> bool:
        """Marks the models whose evaluation is attached since the last look (at most every
        WATCH_SECONDS unless `now`: the catalogue is large, and each look costs the server
        CPU); True once every model is evaluated."""
        if not now and time.monotonic() - self.watched < WATCH_SECONDS:
            return False
        self.watched = time.monotonic()
        models = _get(self.site + "/api/v1/models")[1]
        models = models.get("results", models) if isinstance(models, dict) else models
        for model in models:
            version = model.get("production_version")
            if version and version.get("metrics") and model["slug"] not in self.evaluated:
                self.evaluated.add(model["slug"])
                self.mark(f"{model['slug']} evaluated (its card complete)")
        return len(self.evaluated) == len(models)

    def promotions(self, database: Path) -> None:
        """Each model's start of serving, from its version's `promoted_at` in bin/run's
        SQLite database: exact, and read after the run, so that watching for it cost the
        server nothing (no CPU figure, then)."""
        with contextlib.closing(sqlite3.connect(database)) as db:
            rows = db.execute(
                "SELECT m.slug, v.promoted_at FROM predictions_modelversion v "
                "JOIN predictions_mlmodel m ON m.id = v.model_id WHERE v.promoted_at IS NOT NULL"
            ).fetchall()
        for slug, promoted_at in rows:
            at = datetime.fromisoformat(promoted_at).replace(tzinfo=UTC).timestamp()
            self.rows.append((f"{slug} serves", at - self.started_epoch, math.nan))
        self.rows.sort(key=lambda row: row[1])


def _stop(run: subprocess.Popen) -> None:
    """run_local stops its worker (its own process group) on SIGTERM; should it hang,
    every process it had is killed."""
    processes = process_tree(run.pid)
    os.killpg(run.pid, signal.SIGTERM)
    try:
        run.wait(timeout=60)
    except subprocess.TimeoutExpired:
        for pid in processes:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        run.wait()


def _until(attempt: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = attempt()
        except OSError:  # not listening yet, or a connection dropped while it starts
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise SystemExit(f"gave up waiting for {what} after {timeout} s")


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    return _request(urllib.request.Request(url, headers=headers or {}))


def _post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode()
    request_headers = {"Content-Type": "application/json", **(headers or {})}
    return _request(urllib.request.Request(url, data=data, headers=request_headers))


def _request(request: urllib.request.Request) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return {}


def _hundredths(amount: str) -> int:
    units, _, cents = amount.partition(".")
    return int(units) * 100 + int(cents.ljust(2, "0"))


def _tree_cpu(pid: int) -> float:
    return sum(cpu_seconds(child) or 0.0 for child in process_tree(pid))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
