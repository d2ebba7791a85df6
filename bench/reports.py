"""Time every operator report and the user dashboard on a large PostgreSQL database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlb_analytics \
        .venv/bin/python bench/reports.py --seed            # migrate and seed, then time
    ... bench/reports.py                                     # time again
    ... bench/reports.py --seed --scale 10   # ten times that (a separate database)
    ... bench/reports.py --quick    # what CI runs, so the bench cannot rot: a hundredth

The database is created if missing. Seeds, per unit of --scale, 10,000 users, 1,000,000
predictions and 2,000,000 transfers spread over 365 days with set-based SQL (INSERT ...
SELECT FROM generate_series), plus holds, top-ups and batch jobs; then folds the daily
roll-ups (`rollups_fold --rebuild`: the seed writes into closed days). Each user spends on
about every other day. The two large tables get their indexes and constraints after their
rows (`bulkload.indexes_deferred`): kept up row by row, with deferred foreign-key checks
queued per row, they made the ten-times seed take 71 minutes.
Rows are written in time order, as a live service appends them: a date range then lies in
neighbouring pages, as it does in production (shuffled rows would make every report read
most of the table). A row picks its user and accounts by subscripting arrays rather than
by a join, which would shuffle the rows and need a sort of millions to restore the order.
Each page is fetched through the Django test client (view, queries and template), five
times; the table shows the median. The seeded ledger is double entry and consistent in
sums (wallet caches equal their transfers: `billing_reconcile` passes) but not in running
balances (`balance_after` is 0).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlbilling.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django
from benchdb import ensure_database
from bulkload import indexes_deferred

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from analytics.admin_views import REPORTS  # noqa: E402
from analytics.rollups import rollups_rebuild  # noqa: E402
from billing.system_accounts import PROMOTIONS, REVENUE_PREFIX, clearing_account  # noqa: E402


@dataclass(frozen=True)
class Scale:
    users: int
    predictions: int
    transfers: int
    topups: int
    holds: int


FULL = Scale(users=10_000, predictions=1_000_000, transfers=2_000_000, topups=50_000, holds=20_000)
QUICK = Scale(users=100, predictions=10_000, transfers=20_000, topups=500, holds=200)
DAYS = 365
WINDOWS = (30, 180, 365)
RUNS = 5
# The tables of millions of rows: their indexes are built after the rows go in.
BULK_TABLES = ["predictions_prediction", "billing_transfer"]
MODELS = ["android-malware", "products", "elderly", "nhanes-age", "cirrhosis", "glioma"]


# A str.format template: the sizes come from a Scale and DAYS, `{{}}` is a JSON '{}', and
# `%%` a '%' for psycopg, which fills %(models)s.
SEED_SQL = """
INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff, is_active,
                           date_joined, email, language)
SELECT '!', false, '', '', false, true,
       now() - (random() * {days}) * interval '1 day', 'user' || i || '@bench.example', ''
FROM generate_series(1, {users}) AS i;

INSERT INTO billing_account (user_id, balance, held, created_at)
SELECT id, 0, 0, date_joined FROM accounts_user
WHERE NOT EXISTS (SELECT 1 FROM billing_account a WHERE a.user_id = accounts_user.id);

INSERT INTO billing_account (code, created_at)
SELECT code, now() FROM unnest(ARRAY[%(clearing)s, %(promotions)s] ||
    ARRAY(SELECT %(revenue_prefix)s || slug FROM unnest(%(models)s::text[]) AS slug)) AS code
ON CONFLICT (code) DO NOTHING;

INSERT INTO predictions_mlmodel (slug, title, description, price_per_row, is_active, created_at)
SELECT slug, slug, '', 10, true, now() FROM unnest(%(models)s::text[]) AS slug
ON CONFLICT (slug) DO NOTHING;

INSERT INTO predictions_modelversion (model_id, version, artifact, sha256, metrics, input_schema,
    library_versions, data_fingerprint, trained_at, status, card, created_at)
SELECT id, 1, 'bench/none.joblib', repeat('0', 64), '{{}}', '{{}}', '{{}}', '', now(),
       'production', '{{}}', now()
FROM predictions_mlmodel WHERE slug = ANY(%(models)s::text[])
ON CONFLICT DO NOTHING;

CREATE TEMP TABLE bench_users AS
SELECT row_number() OVER (ORDER BY u.id) AS n, u.id AS user_id, a.id AS wallet_id
FROM accounts_user u JOIN billing_account a ON a.user_id = u.id
WHERE u.email LIKE '%%@bench.example';
CREATE TEMP TABLE bench_versions AS
SELECT row_number() OVER (ORDER BY v.id) AS n, v.id AS version_id, m.slug
FROM predictions_modelversion v JOIN predictions_mlmodel m ON m.id = v.model_id
WHERE m.slug = ANY(%(models)s::text[]);

-- A generated row picks its user, version and accounts by subscripting arrays that each
-- uncorrelated subquery builds once: no join, so the rows come out in the order generated
-- (time order) without sorting millions of them. (Read from a table instead, an array of
-- 100,000 ids is stored compressed and would be decompressed for every subscript.)

INSERT INTO predictions_prediction (id, user_id, model_version_id, source, status, rows, inputs,
    outputs, cost, balance_after, latency_ms, idempotency_key, request_hash, error, created_at)
SELECT gen_random_uuid(), (SELECT array_agg(user_id ORDER BY n) FROM bench_users)[s.un],
       (SELECT array_agg(version_id ORDER BY n) FROM bench_versions)[s.vn], 'api', s.status, 1,
       '{{}}'::jsonb, NULL,
       CASE WHEN s.status = 'succeeded' THEN 10 ELSE 0 END, NULL,
       2 + random() * random() * 200, NULL, '', '',
       now() - ({predictions} - i)::float / {predictions} * {days} * interval '1 day'
FROM (
    SELECT i, 1 + (hashint4(i) & 2147483647) %% {users} AS un, 1 + i %% 6 AS vn,
           CASE WHEN i %% 20 = 0 THEN 'failed' WHEN i %% 20 = 1 THEN 'refused'
                ELSE 'succeeded' END AS status
    FROM generate_series(1, {predictions}) AS i
) AS s;

INSERT INTO billing_transfer (kind, reference, debit_id, credit_id, wallet_id, amount,
    balance_after, refund_of_id, description, created_by_id, created_at)
SELECT t.kind, 'bench:' || t.i,
       CASE t.kind WHEN 'charge' THEN t.wallet
                   WHEN 'grant' THEN (SELECT id FROM billing_account WHERE code = %(promotions)s)
                   WHEN 'topup' THEN (SELECT id FROM billing_account WHERE code = %(clearing)s)
                   ELSE t.revenue END,
       CASE t.kind WHEN 'charge' THEN t.revenue ELSE t.wallet END,
       t.wallet,
       CASE t.kind WHEN 'grant' THEN 10000 WHEN 'topup' THEN 5000 ELSE 10 END,
       0, NULL, '', NULL,
       now() - ({transfers} - t.i)::float / {transfers} * {days} * interval '1 day'
FROM (
    SELECT i, (SELECT array_agg(wallet_id ORDER BY n) FROM bench_users)
               [1 + (hashint4(i + 7) & 2147483647) %% {users}] AS wallet,
           (SELECT array_agg(a.id ORDER BY v.n) FROM bench_versions v
            JOIN billing_account a ON a.code = %(revenue_prefix)s || v.slug)[1 + i %% 6] AS revenue,
           CASE WHEN i %% 40 = 0 THEN 'grant' WHEN i %% 40 = 1 THEN 'topup'
                WHEN i %% 40 = 2 THEN 'refund' ELSE 'charge' END AS kind
    FROM generate_series(1, {transfers}) AS i
) AS t;

-- An opening grant per wallet: no wallet goes below zero whatever the random draws.
INSERT INTO billing_transfer (kind, reference, debit_id, credit_id, wallet_id, amount,
    balance_after, refund_of_id, description, created_by_id, created_at)
SELECT 'grant', 'bench-opening:' || u.n, promo.id, u.wallet_id, u.wallet_id, 1000000, 0, NULL,
       '', NULL, now() - interval '{days} days' - interval '1 day'
FROM bench_users u CROSS JOIN (SELECT id FROM billing_account WHERE code = %(promotions)s) AS promo;

INSERT INTO billing_topup (user_id, amount, state, provider, provider_reference, checkout_url,
    expires_at, created_at, updated_at)
SELECT u.user_id, 5000, 'succeeded', 'sandbox', 'bench-' || i, '', now(),
       now() - (random() * {days}) * interval '1 day', now()
FROM generate_series(1, {topups}) AS i JOIN bench_users u ON u.n = 1 + i %% {users};

INSERT INTO billing_hold (wallet_id, amount, reference, status, captured_amount, description,
    expires_at, created_at, settled_at)
SELECT u.wallet_id, 100, 'bench-hold:' || i,
       CASE WHEN i %% 10 = 0 THEN 'active' WHEN i %% 10 = 1 THEN 'expired' ELSE 'captured' END,
       CASE WHEN i %% 10 > 1 THEN 50 END, '',
       now() + (CASE WHEN i %% 20 = 0 THEN -1 ELSE 1 END) * interval '1 hour',
       now() - (random() * {days}) * interval '1 day',
       CASE WHEN i %% 10 > 0 THEN now() - (random() * {days}) * interval '1 day' END
FROM generate_series(1, {holds}) AS i JOIN bench_users u ON u.n = 1 + i %% {users};

INSERT INTO predictions_batchjob (user_id, model_id, model_version_id, status, original_name,
    input_file, input_size, input_sha256, result_file, rows_total, rows_done, rows_failed,
    price_per_row, max_cost, charged, hold_id, cancel_requested, attempt, heartbeat_at, error,
    idempotency_key, created_at, started_at, finished_at)
SELECT h.user_id, v.model_id, v.id,
       (ARRAY['queued', 'running', 'done', 'done', 'done', 'failed', 'cancelled'])[1 + h.n %% 7],
       'rows.csv', 'bench/rows.csv', 1000, repeat('0', 64), '', 10, 10, h.n %% 3, 10, 100, 50,
       h.hold_id, false, 1, NULL, '', '', h.created_at, h.created_at,
       h.created_at + (1 + h.n %% 30) * interval '1 second'
FROM (
    SELECT row_number() OVER (ORDER BY hold.id) AS n, hold.id AS hold_id, a.user_id,
           hold.created_at
    FROM billing_hold hold JOIN billing_account a ON a.id = hold.wallet_id
    WHERE hold.reference LIKE 'bench-hold:%%'
) AS h
JOIN predictions_modelversion v ON v.id = (SELECT min(version_id) FROM bench_versions);

UPDATE billing_account a SET balance = s.net, held = COALESCE(hs.held, 0)
FROM (
    SELECT wallet_id, sum(CASE WHEN credit_id = wallet_id THEN amount ELSE -amount END) AS net
    FROM billing_transfer GROUP BY wallet_id
) AS s
LEFT JOIN (
    SELECT wallet_id, sum(amount) AS held FROM billing_hold WHERE status = 'active'
    GROUP BY wallet_id
) AS hs ON hs.wallet_id = s.wallet_id
WHERE a.id = s.wallet_id;
"""


def scaled(scale: Scale, factor: int) -> Scale:
    return Scale(**{name: value * factor for name, value in asdict(scale).items()})


def seed(scale: Scale) -> None:
    ensure_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    if User.objects.filter(email__endswith="@bench.example").exists():
        print("already seeded")
        return
    started = time.perf_counter()
    parameters = {
        "models": MODELS,
        "revenue_prefix": REVENUE_PREFIX,
        "promotions": PROMOTIONS,
        "clearing": clearing_account("sandbox"),
    }
    # One transaction: a failed seed leaves no table without its indexes.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        with indexes_deferred(cursor, BULK_TABLES):
            # One statement per execute: psycopg binds parameters server-side, one at a time.
            sql = SEED_SQL.format(days=DAYS, **asdict(scale))
            for statement in sql.split(";\n\n"):
                cursor.execute(statement, parameters)
            print(f"rows inserted in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded in {time.perf_counter() - started:.0f} s (indexes and constraints included)")
    started = time.perf_counter()
    rollups_rebuild()
    # The fold rewrote the carried rows of each month: vacuum them now, as autovacuum
    # would later, so the timings read the roll-ups as they settle.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"daily roll-ups folded in {time.perf_counter() - started:.0f} s (vacuum included)")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (the PostgreSQL backend's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _median_ms(client: Client, url: str) -> tuple[float, float]:
    """The median wall time of a page in ms, and its CPU time per fetch (this process and
    its database backend): on a shared machine the wall time also counts the waits for a
    core, the CPU time does not."""
    client.get(url)  # warm the caches (templates, plans, pages in shared buffers)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    timings = []
    cpu_started = time.process_time() + _cpu_seconds(backend)
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    cpu = (time.process_time() + _cpu_seconds(backend) - cpu_started) / RUNS * 1000
    return statistics.median(timings), cpu


def _cell(client: Client, url: str) -> str:
    wall, cpu = _median_ms(client, url)
    return f"{wall:.0f} ({cpu:.0f})"


def timings() -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    staff, _created = User.objects.get_or_create(
        email="ops@bench.example", defaults={"is_staff": True, "is_superuser": True}
    )
    operator = Client()
    operator.force_login(staff)
    # A customer like every other: about 100 predictions and 200 transfers per unit of scale.
    heavy = User.objects.get(email="user1@bench.example")
    customer = Client()
    customer.force_login(heavy)
    today = timezone.localdate()
    periods = {
        f"{days} days": f"date_from={today - timedelta(days=days - 1)}&date_to={today}"
        for days in WINDOWS
    }
    ledger = reverse("analytics:report", args=["ledger"])
    pages = [
        *(
            (operator, f"report: {slug}", reverse("analytics:report", args=[slug]), "")
            for slug in REPORTS
        ),
        (operator, "report: ledger, reconciliation run", ledger, "reconcile=1"),
        *(
            (operator, f"admin list: {name}", reverse(f"admin:{name}_changelist"), None)
            for name in (
                "accounts_user",
                "predictions_prediction",
                "predictions_modelversion",
                "predictions_batchjob",
            )
        ),
        (customer, "dashboard", reverse("analytics:dashboard"), ""),
        (customer, "dashboard predictions CSV", reverse("analytics:predictions_csv"), ""),
    ]
    print("Each cell: median wall ms (CPU ms per fetch, this process + its PostgreSQL backend)")
    print(f"| page | {' | '.join(periods)} |")
    print(f"|---|{'---:|' * len(periods)}")
    for client, name, url, extra in pages:
        if extra is None:  # an admin list: the first page, newest first, no period
            print(f"| {name} | {_cell(client, url)} |{' |' * (len(periods) - 1)}")
            continue
        cells = [
            _cell(client, url + "?" + "&".join(filter(None, [extra, query])))
            for query in periods.values()
        ]
        print(f"| {name} | {' | '.join(cells)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", action="store_true", help="migrate and seed first")
    parser.add_argument(
        "--quick", action="store_true", help="migrate and seed a hundredth of the data first"
    )
    parser.add_argument("--scale", type=int, default=1, help="times the full data set")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL=postgres://...")
    if args.seed or args.quick:
        seed(QUICK if args.quick else scaled(FULL, args.scale))
    timings()


if __name__ == "__main__":
    main()
