"""Throughput of the paid prediction API beside its yardsticks, on one gunicorn server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlb_bench_api .venv/bin/python bench/api.py

Sets the database up (migrate, train and promote case 4 `nhanes-age` once, a user with a
token and plenty of credits, vacuum the tables a paid call writes), starts gunicorn with
bench.settings (the product's settings, plus the yardsticks of bench/endpoints.py in
bench/urls.py) and drives single-row predictions over loopback HTTP with keep-alive
connections (`wrk` when installed, else Python threads), round by round in turn, then
prints the median round of:

  bare    the same model with no auth, no billing, no record          (yardstick a)
  billed  + one guarded UPDATE of the wallet + one INSERT, raw SQL     (yardstick b)
  full    POST /api/v1/models/nhanes-age/predict: token auth, validation, a fresh
          Idempotency-Key, the ledger transfer and the prediction record
and, in process, in alternating blocks: the floor (case.predict, then the same raw debit
and record as `billed` in one transaction) and prediction_run.

Beside throughput, CPU milliseconds per request, read from /proc: the server's processes
("app") and the database's backends ("pg"). On a shared machine throughput moves with
the neighbours; CPU per request much less.

Targets (issue 15): in process, prediction_run >= 70 % of the floor; over HTTP, full >=
85 % of billed and >= 60 % of bare, p99 <= 3x p50. --quick (what CI runs, so the bench
cannot rot): one 1 s round per endpoint and a tenth of the in-process calls, no targets.
Model artifacts live in MEDIA_ROOT, by default a folder per database under the temporary
directory.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from benchdb import ensure_database
from load_clients import choose_client
from proc_cpu import CpuMeter, process_tree

ROOT = Path(__file__).resolve().parent.parent
SLUG = "nhanes-age"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/mlb_bench_api"
CREDITS = 10**12  # hundredths: no run can exhaust it
SERVER_START_SECONDS = 120


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="measurements per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2)
    # gthread measured faster here: its threads overlap the database round trips, and
    # unlike sync workers it keeps client connections alive.
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--client", default="auto", choices=["auto", "wrk", "python"])
    parser.add_argument(
        "--quick", action="store_true", help="one 1 s round, a tenth of the in-process calls"
    )
    args = parser.parse_args()
    if args.quick:
        args.duration, args.rounds = 1.0, 1
    return args


def server_env(database_url: str, media_root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(media_root),
        # The product's URLconf cannot mount the yardsticks; bench.urls adds them to it.
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        # One user drives everything: throttles must not refuse, and a per-second window
        # keeps DRF's request history (pickled into the cache on every call) short.
        "THROTTLE_USER": "1000000/s",
        "THROTTLE_PREDICT": "1000000/s",
        "LOG_LEVEL": "WARNING",
        # No collectstatic for a bench: whitenoise's warning about it is noise here.
        "PYTHONWARNINGS": "ignore:No directory at",
    }


def setup_django(env: dict[str, str]) -> dict[str, object]:
    """Migrate, make sure case 4 serves, and return the bench user's token and ids."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.services import api_token_create, user_create_verified
    from billing.selectors import wallet_balance
    from billing.services.wallets import wallet_grant
    from predictions.ml.cases import CASES
    from predictions.registry.artifacts import load_model
    from predictions.registry.errors import RegistryError
    from predictions.registry.selectors import production_version

    call_command("migrate", verbosity=0)
    if SLUG not in CASES:
        sys.exit(f"Case {SLUG!r} is not registered in predictions.ml.cases: nothing to bench.")
    try:
        load_model(production_version(slug=SLUG))
    except RegistryError:
        print(f"Training {SLUG} (once per database)...", flush=True)
        call_command("train_models", "--case", SLUG)
    version = production_version(slug=SLUG)
    user = user_create_verified(email="bench@mlbilling.local", password=secrets.token_urlsafe())
    available = wallet_balance(user=user).available
    if available < CREDITS // 2:
        wallet_grant(user=user, amount=CREDITS - available, reason="bench/api.py")
    key = api_token_create(user=user, name="bench")[1]
    vacuum_hot_tables()
    return {"key": key, "user_id": user.pk, "version": version, "case": CASES[SLUG]}


def vacuum_hot_tables() -> None:
    """Every run starts from the same tables: one wallet debited by every earlier run
    leaves dead row versions that each lookup of it walks (seen: 77 pages read to find
    one row) until autovacuum, busy elsewhere on a shared server, gets to it."""
    from django.db import connection

    from billing.models import Account, Transfer
    from predictions.models import Prediction

    with connection.cursor() as cursor:
        for model in (Account, Transfer, Prediction):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def start_server(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "mlbilling.wsgi:application",
        f"--workers={args.workers}",
        f"--worker-class={args.worker_class}",
        f"--bind=127.0.0.1:{args.port}",
        "--log-level=warning",
    ]
    if args.worker_class == "gthread":
        command.append(f"--threads={args.threads}")
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    # Generous: on a busy CI machine two workers importing Django can take a minute.
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            conn.request("GET", "/api/v1/models")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"gunicorn exited or did not answer within {SERVER_START_SECONDS} s")


# --- in process -------------------------------------------------------------------------


def latency_stats(times_ms: list[float]) -> dict[str, float]:
    times = sorted(times_ms)
    return {
        "rps": 1000 / statistics.fmean(times),
        "p50": times[len(times) // 2],
        "p99": times[int(len(times) * 0.99)],
        "errors": 0,
    }


def timed_in_turn(calls: dict[str, Callable[[], object]], count: int) -> dict[str, dict]:
    """Each call `count` times in alternating blocks, so that a busy neighbour slows them
    alike; per call: wall-clock latency, and CPU of this process ("app") and of its
    database backend ("pg")."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    meter = CpuMeter({"app": lambda: [os.getpid()], "pg": lambda: [backend]})
    times: dict[str, list[float]] = {name: [] for name in calls}
    cpu = {name: {"app": 0.0, "pg": 0.0} for name in calls}
    for call in calls.values():
        for _ in range(50):
            call()
    block = max(1, count // 10)
    for _ in range(count // block):
        for name, call in calls.items():
            before = meter.snapshot()
            for _ in range(block):
                started = time.perf_counter()
                call()
                times[name].append((time.perf_counter() - started) * 1000)
            for group, seconds in meter.spent(before, meter.snapshot()).items():
                cpu[name][group] += seconds
    return {
        name: latency_stats(times[name])
        | {
            f"{group}_cpu": seconds * 1000 / len(times[name])
            for group, seconds in cpu[name].items()
        }
        for name in calls
    }


def in_process(setup: dict[str, object], row: dict, calls: int) -> dict[str, dict[str, float]]:
    """The floor (case.predict + the raw debit and record of `billed`) and prediction_run."""
    from django.contrib.auth import get_user_model

    from bench.endpoints import raw_charge_and_record
    from predictions.registry.artifacts import load_model
    from predictions.serving.services import prediction_run

    case, version = setup["case"], setup["version"]
    model = load_model(version)
    user = get_user_model().objects.get(pk=setup["user_id"])

    def floor() -> None:
        results = case.predict(model, case.schema.validate_rows([row]))
        raw_charge_and_record(user.pk, version, [row], results)

    return timed_in_turn(
        {
            "floor": floor,
            "prediction_run": lambda: prediction_run(
                user=user, slug=SLUG, rows=[row], source="api"
            ),
        },
        calls,
    )


def full_path_queries(setup: dict[str, object], body: str) -> list[str]:
    """The SQL of one paid prediction, through Django's test client (no server)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {setup['key']}")
    path = f"/api/v1/models/{SLUG}/predict"
    for _ in range(3):  # warm: token touch, caches
        client.post(path, body, content_type="application/json")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=secrets.token_hex(8)
        )
    assert response.status_code == 200, response.content
    return [q["sql"] for q in queries.captured_queries]


def print_queries(queries: list[str]) -> None:
    print(f"\nSQL of one paid prediction ({len(queries)} statements):")
    for sql in queries:
        print("   ", sql[:150])


def server_meter(server: subprocess.Popen) -> CpuMeter:
    """CPU of gunicorn's processes and of this database's backends (theirs and ours)."""
    from django.db import connection

    def backends() -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            return [pid for (pid,) in cursor.fetchall()]

    return CpuMeter({"app": lambda: process_tree(server.pid), "pg": backends})


def measure_over_http(
    args: argparse.Namespace,
    env: dict[str, str],
    targets: dict[str, tuple[str, str]],
    drive: Callable[..., dict[str, float]],
    body: str,
) -> dict[str, list[dict[str, float]]]:
    """Every round of every endpoint, on one gunicorn server started for them."""
    server = start_server(args, env)
    meter = server_meter(server)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    try:
        for url, auth in targets.values():  # warm every worker: model load, connections
            drive(url, body, auth, args.clients, min(2, args.duration))
        # Interleaved rounds, so that a noisy neighbour hurts every endpoint alike.
        for _ in range(args.rounds):
            for name, (url, auth) in targets.items():
                before = meter.snapshot()
                result = drive(url, body, auth, args.clients, args.duration)
                spent = meter.spent(before, meter.snapshot())
                for group, seconds in spent.items():
                    result[f"{group}_cpu"] = seconds * 1000 / max(1, result["requests"])
                results[name].append(result)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def print_table(rows: dict[str, dict[str, float]]) -> None:
    print(
        f"{'endpoint':<26}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'p99/p50':>8}"
        f"{'app CPU':>9}{'pg CPU':>8}{'non-2xx':>8}"
    )
    for name, r in rows.items():
        print(
            f"{name:<26}{r['rps']:>8.0f}{r['p50']:>8.2f}{r['p99']:>8.2f}"
            f"{r['p99'] / r['p50']:>8.1f}{r['app_cpu']:>9.2f}{r['pg_cpu']:>8.2f}{r['errors']:>8}"
        )


def print_summary(
    args: argparse.Namespace,
    client_kind: str,
    results: dict[str, list[dict[str, float]]],
    local: dict[str, dict[str, float]],
) -> None:
    print(
        f"\n{args.workers} x gunicorn {args.worker_class}"
        f"{f' ({args.threads} threads)' if args.worker_class == 'gthread' else ''}, "
        f"{args.clients} keep-alive connections ({client_kind}), {args.rounds} x "
        f"{args.duration:g} s per endpoint, median round shown; CPU in ms per request\n"
    )
    summary: dict[str, dict[str, float]] = {}
    for name, rounds in results.items():
        rounds.sort(key=lambda r: r["rps"])
        summary[name] = rounds[len(rounds) // 2]
    print_table(summary | {f"in-process {k}": v for k, v in local.items()})
    full, billed, bare = summary["full"], summary["billed"], summary["bare"]
    run, floor = local["prediction_run"], local["floor"]

    def cpu(r: dict[str, float]) -> float:
        return r["app_cpu"] + r["pg_cpu"]

    print(
        f"\nin process: prediction_run / floor = {run['rps'] / floor['rps']:.0%} (target >= 70 %)"
        f", CPU floor / prediction_run = {cpu(floor) / cpu(run):.0%}"
        f"\nover HTTP: full / billed = {full['rps'] / billed['rps']:.0%} (target >= 85 %), "
        f"full / bare = {full['rps'] / bare['rps']:.0%} (target >= 60 %), "
        f"full p99 / p50 = {full['p99'] / full['p50']:.1f} (target <= 3)"
        f"\n           CPU billed / full = {cpu(billed) / cpu(full):.0%}, "
        f"bare / full = {cpu(bare) / cpu(full):.0%}"
    )
    print("all rounds (req/s):", {n: [round(r["rps"]) for r in rs] for n, rs in results.items()})


def load_average() -> str:
    """How busy the machine was: the figures above are relative to that."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    args = parse_args()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith("postgres"):
        sys.exit("bench/api.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    client_kind, drive = choose_client(args.client)

    ensure_database(database_url)
    media_root = os.environ.get("MEDIA_ROOT") or (
        Path(tempfile.gettempdir()) / f"{urlsplit(database_url).path.strip('/')}-media"
    )
    env = server_env(database_url, Path(media_root))
    setup = setup_django(env)
    row = setup["case"].example
    body = json.dumps({"inputs": [row]})
    print_queries(full_path_queries(setup, body))

    base = f"http://127.0.0.1:{args.port}/api/v1"
    targets = {
        "bare": (f"{base}/bench/{SLUG}/bare", ""),
        "billed": (f"{base}/bench/{SLUG}/billed?user={setup['user_id']}", ""),
        "full": (f"{base}/models/{SLUG}/predict", f"Token {setup['key']}"),
    }
    load_before = load_average()
    results = measure_over_http(args, env, targets, drive, body)
    local = in_process(setup, row, calls=300 if args.quick else 3000)
    print_summary(args, client_kind, results, local)
    print(f"load average (1, 5, 15 min) before: {load_before}, after: {load_average()}")


if __name__ == "__main__":
    main()
