"""Debits per second on one hot wallet: the billing service beside raw SQL.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlb_bench_ledger
    .venv/bin/python bench/ledger.py [--seconds 2] [--rounds 3] [--clients 1 4 16] [--quick]

The database is created if missing and migrated. For each concurrency (1, 4, 16 clients,
each a process, or a thread with --mode threads, with its own connection) it runs
`billing.services.wallets.wallet_charge` for a few seconds, then the same guarded UPDATE + INSERT
written in raw SQL through psycopg, each on a fresh wallet, and checks that no update was
lost: final balance = start - successes, and one transfer per success. Prints a table;
exits non-zero if any check fails. --quick (what CI runs, so the bench cannot rot): one
round of half a second at 1 and 4 clients.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import queue
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlbilling.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ["DEBUG"] = "false"  # DEBUG records every query, which would slow the service

import django  # noqa: E402
import psycopg  # noqa: E402
from benchdb import ensure_database  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from accounts.models import User  # noqa: E402
from billing.models import Account, Transfer  # noqa: E402
from billing.selectors import ledger_reconcile  # noqa: E402
from billing.services.wallets import wallet_charge, wallet_grant  # noqa: E402
from billing.system_accounts import revenue_account  # noqa: E402

START_UNITS = 100_000_000


def run_clients(
    clients: int,
    seconds: float,
    debit: Callable[[int, int], bool],
    close: Callable[[], None],
    mode: str,
) -> tuple[int, float]:
    """Each client calls debit(client, n) in a loop until time is up, then close();
    returns the number of successful debits and the seconds the slowest client ran.
    Clients are processes (like gunicorn sync workers: no shared GIL) or threads."""
    if mode == "processes":
        context = multiprocessing.get_context("fork")
        barrier, results, spawn = context.Barrier(clients + 1), context.Queue(), context.Process
    else:
        barrier, results, spawn = threading.Barrier(clients + 1), queue.Queue(), threading.Thread

    def client(index: int) -> None:
        done = 0
        barrier.wait()
        started = time.monotonic()
        try:
            for n in itertools.count():
                if time.monotonic() >= started + seconds:
                    break
                done += debit(index, n)
        finally:
            close()
            results.put((done, time.monotonic() - started))

    workers = [spawn(target=client, args=(i,)) for i in range(clients)]
    for worker in workers:
        worker.start()
    barrier.wait()
    reports = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(done for done, _ in reports), max(elapsed for _, elapsed in reports)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per cell and round")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating service/raw runs; medians shown"
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--mode", choices=["processes", "threads"], default="processes")
    parser.add_argument(
        "--quick", action="store_true", help="one 0.5 s round at 1 and 4 clients (CI)"
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.clients = 0.5, 1, [1, 4]
    return args


@dataclass(frozen=True)
class Run:
    """What every measurement of one run shares."""

    id: str  # in the wallets' emails and the transfers' references: reruns never collide
    revenue_id: int
    conninfo: str  # psycopg's spelling of DATABASE_URL, for the raw SQL path
    seconds: float
    mode: str


def prepare(url: str, args: argparse.Namespace) -> Run:
    ensure_database(url)
    call_command("migrate", verbosity=0)
    return Run(
        id=time.strftime("%Y%m%d%H%M%S"),
        revenue_id=Account.objects.get_or_create(code=revenue_account("bench"))[0].pk,
        conninfo=url.replace("postgres://", "postgresql://", 1),
        seconds=args.seconds,
        mode=args.mode,
    )


def fresh_wallet(run: Run, label: str) -> User:
    user = User.objects.create_user(email=f"bench-{label}-{run.id}@example.com")
    wallet_grant(user=user, amount=START_UNITS, reason="bench funds")
    return user


def service_debit(user: User, label: str) -> Callable[[int, int], bool]:
    def debit(client: int, n: int) -> bool:
        wallet_charge(
            user=user,
            amount=1,
            reference=f"bench:{label}:{client}:{n}",
            revenue_account=revenue_account("bench"),
        )
        return True

    return debit


# Each raw SQL client (thread or forked process) opens its own psycopg connection once.
_raw = threading.local()


def raw_close() -> None:
    if hasattr(_raw, "conn"):
        _raw.conn.close()
        del _raw.conn


def raw_debit(run: Run, wallet_id: int, label: str) -> Callable[[int, int], bool]:
    def debit(client: int, n: int) -> bool:
        if not hasattr(_raw, "conn"):
            _raw.conn = psycopg.connect(run.conninfo, autocommit=True)
        conn = _raw.conn
        with conn.transaction():
            row = conn.execute(
                "UPDATE billing_account SET balance = balance - %s "
                "WHERE id = %s AND balance - held >= %s RETURNING balance",
                [1, wallet_id, 1],
            ).fetchone()
            if row is None:
                return False
            conn.execute(
                "INSERT INTO billing_transfer (kind, reference, debit_id, credit_id, "
                "wallet_id, amount, balance_after, description, created_at) "
                "VALUES ('charge', %s, %s, %s, %s, %s, %s, '', now())",
                [f"bench:{label}:{client}:{n}", wallet_id, run.revenue_id, wallet_id, 1, row[0]],
            )
        return True

    return debit


def measure(run: Run, path: str, clients: int, round_: int) -> tuple[float, bool]:
    """Debits per second of one path on a fresh wallet, and whether no update was lost."""
    label = f"{run.id}-{path}-{clients}-{round_}"
    user = fresh_wallet(run, label)
    wallet_id = Account.objects.get(user=user).pk
    if path == "service":
        # Django connections are per thread (persistent, as in production).
        debit, close = service_debit(user, label), lambda: connection.close()
    else:
        debit, close = raw_debit(run, wallet_id, label), raw_close
    # Forked clients must not share the parent's connection.
    connections.close_all()
    done, elapsed = run_clients(clients, run.seconds, debit, close, run.mode)
    balance = Account.objects.get(pk=wallet_id).balance
    transfers = Transfer.objects.filter(wallet_id=wallet_id, kind="charge").count()
    intact = balance == START_UNITS - done and transfers == done
    return done / elapsed, intact


def measure_both_paths(run: Run, clients: int, rounds: int) -> tuple[float, float, bool]:
    """Median debits/s of the service and of raw SQL, and whether every round was intact."""
    rates: dict[str, list[float]] = {"service": [], "raw": []}
    ok = True
    for round_ in range(rounds):
        # Alternate which path goes first, so a load change on the machine hits both.
        for path in ("service", "raw") if round_ % 2 == 0 else ("raw", "service"):
            rate, intact = measure(run, path, clients, round_)
            rates[path].append(rate)
            ok &= intact
    return statistics.median(rates["service"]), statistics.median(rates["raw"]), ok


def main() -> int:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database (it is created if missing).")
        return 2
    run = prepare(url, args)
    print(
        f"one hot wallet, PostgreSQL, clients are {args.mode}; median of {args.rounds} "
        f"alternating rounds of {args.seconds:g} s"
    )
    header = ("clients", "service debits/s", "raw SQL debits/s", "ratio", "lost updates")
    print(f"{header[0]:>7} | {header[1]:>16} | {header[2]:>16} | {header[3]:>5} | {header[4]}")
    print("-" * 72)
    all_ok = True
    for clients in args.clients:
        service_rate, raw_rate, ok = measure_both_paths(run, clients, args.rounds)
        all_ok &= ok
        print(
            f"{clients:>7} | {service_rate:>16,.0f} | {raw_rate:>16,.0f} | "
            f"{service_rate / raw_rate:>5.2f} | {'0' if ok else 'MISMATCH'}"
        )
    reconciled = ledger_reconcile().clean
    print(f"reconcile: {'clean' if reconciled else 'DIFFERENCES'}")
    connection.close()
    return 0 if all_ok and reconciled else 1


if __name__ == "__main__":
    sys.exit(main())
