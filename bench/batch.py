"""Batch predictions benchmark: the whole path beside the bare data path, and worker memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlb_batch .venv/bin/python bench/batch.py

Needs PostgreSQL; the database is created and migrated here, and cases 2 and 4 are trained
when they have no production model yet. For each file it measures:

- whole path: the upload check and the job + hold (as the API does), then the worker
  (`batch_job_run`, in a fresh subprocess, as a qcluster worker runs it: streaming read,
  validation, vectorised predict, result file, progress, capture), then checks that the
  charge equals rows x price;
- bare path, same file, one process, all in memory: `pandas.read_csv`, the production
  model's vectorised `predict_proba` on the case's matrix, `DataFrame.to_csv`;
- the worker subprocess's peak memory: VmHWM (its own address space's high-water mark),
  and ru_maxrss, which on Linux also counts what the process inherited at fork;
- CPU seconds of each path from /proc beside the wall times: on a shared machine the wall
  time says as much about the neighbours as about the code.

Text fields get the example's words and one id out of 10,000 ("v1234"), so titles repeat;
the "distinct" run (100,000 rows) gives every row its own id, so no title repeats (the
product model keeps the n-grams of the words it has seen, so repetition helps it; the
distinct run shows by how much). The table gives each file's share of distinct titles.

Options: --quick (100x fewer rows; what CI runs, so the bench cannot rot), --keep (leave
the CSV files and jobs).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlbilling.settings")
os.environ.setdefault("DEBUG", "true")
# A million product rows make a 65 MB file, past the default 50 MB upload limit: the bench
# raises the limit, as an operator taking such files would.
os.environ.setdefault("BATCH_MAX_UPLOAD_BYTES", str(100 * 2**20))

import django
from benchdb import ensure_database
from proc_cpu import cpu_seconds

django.setup()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from django.core.files import File  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from predictions.ml.cases import CASES  # noqa: E402
from predictions.ml.cases.base import Case  # noqa: E402
from predictions.ml.schema import Field  # noqa: E402

# Issue 15's target: the whole path at >= 1.0 x the bare path for 1M rows of cases 2 and 4,
# and memory flat (the worker's peak at 1M <= 1.2 x its peak at 100k).
# (case, rows, titles): "sampled" ids repeat, "distinct" ones do not.
RUNS = [
    ("product-category", 100_000, "sampled"),
    ("product-category", 1_000_000, "sampled"),
    ("product-category", 100_000, "distinct"),
    ("nhanes-age", 100_000, "sampled"),
    ("nhanes-age", 1_000_000, "sampled"),
]
TEXT_IDS = 10_000


def synthetic_column(
    f: Field, example: Any, rows: int, rng: np.random.Generator, distinct: bool
) -> Any:
    """Plausible values for one field: around the example, inside the declared range."""
    if f.kind == "choice":
        return rng.choice(list(f.choices), size=rows)
    if f.kind == "boolean":
        return rng.choice(["true", "false"], size=rows)
    if f.kind == "multichoice":
        picks = rng.integers(0, 2, size=(rows, len(f.choices))).astype(bool)
        return [";".join(c for c, on in zip(f.choices, row, strict=True) if on) for row in picks]
    if f.kind in ("number", "integer"):
        center = float(example) if isinstance(example, int | float) else 1.0
        values = center * rng.uniform(0.7, 1.3, size=rows)
        if f.minimum is not None or f.maximum is not None:
            values = np.clip(values, f.minimum, f.maximum)
        return np.round(values) if f.kind == "integer" else np.round(values, 2)
    words = str(example or "item").split()
    extra = rng.permutation(rows) if distinct else rng.integers(0, TEXT_IDS, size=rows)
    return [" ".join([*words, f"v{n}"]) for n in extra]


def write_csv(case: Case, rows: int, path: Path, distinct: bool) -> float | None:
    """Writes the file; returns its share of distinct texts (None without a text field)."""
    rng = np.random.default_rng(rows)
    fields = [f for f in case.schema.fields if f.name in case.example]
    frame = pd.DataFrame(
        {f.name: synthetic_column(f, case.example.get(f.name), rows, rng, distinct) for f in fields}
    )
    frame.to_csv(path, index=False)
    texts = [f.name for f in fields if f.kind == "text"]
    return frame[texts].drop_duplicates().shape[0] / rows if texts else None


def cpu_now() -> float:
    return cpu_seconds(os.getpid()) or 0.0


def peak_memory_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the address space, so unlike
    ru_maxrss it does not inherit the parent's size at fork (ru_maxrss survives exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_main(slug: str, path: str) -> None:
    """Subprocess: the bare data path on one file, all in memory; print time and memory."""
    from predictions.registry.artifacts import load_model
    from predictions.registry.selectors import production_version

    case = CASES[slug]
    model = load_model(production_version(slug=slug))
    started, cpu = time.perf_counter(), cpu_now()
    frame = pd.read_csv(path, keep_default_na=False)
    matrix = case.rows_to_matrix(frame.to_dict("records"))
    proba = model.predict_proba(matrix)
    classes = np.asarray([str(c) for c in model.classes_])
    frame["prediction"] = classes[proba.argmax(axis=1)]
    frame["probability"] = proba.max(axis=1)
    frame["error"] = ""
    frame.to_csv(io.StringIO(), index=False)
    seconds, cpu = time.perf_counter() - started, cpu_now() - cpu
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_mb": peak_memory_mb()}))


def worker_main(job_id: int) -> None:
    """Subprocess: run one job as a warm worker would (its model already loaded and
    cached, as after the first job); print its time and peak memory."""
    from predictions.batch.worker import batch_job_run
    from predictions.models import BatchJob
    from predictions.registry.artifacts import load_model

    load_model(BatchJob.objects.get(pk=job_id).model_version)
    started, cpu = time.perf_counter(), cpu_now()
    job = batch_job_run(job_id=job_id)
    seconds, cpu = time.perf_counter() - started, cpu_now() - cpu
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_s": cpu,
                "peak_mb": peak_memory_mb(),
                "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "status": job and job.status,
            }
        )
    )


def run_json(*args: str) -> dict[str, Any]:
    process = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if process.returncode:
        raise SystemExit(process.stderr[-3000:])
    return json.loads(process.stdout.strip().splitlines()[-1])


def whole_path(case: Case, path: Path, user: Any) -> dict[str, Any]:
    from predictions.batch import services
    from predictions.batch.services import batch_job_create, batch_upload_check
    from predictions.models import BatchJob

    # The worker subprocess below runs the job; no qcluster should get it from the queue.
    services.batch_job_enqueue = lambda job_id: None

    started, cpu = time.perf_counter(), cpu_now()
    with path.open("rb") as handle:
        upload = File(handle, name=path.name)
        check = batch_upload_check(model_slug=case.slug, upload=upload)
        job, _created = batch_job_create(
            user=user, check=check, upload=upload, original_name=path.name, confirm=True
        )
    upload_seconds, upload_cpu = time.perf_counter() - started, cpu_now() - cpu
    worker = run_json("--worker", str(job.pk))
    job = BatchJob.objects.get(pk=job.pk)
    assert job.status == BatchJob.Status.DONE, job.status
    assert job.charged == job.rows_succeeded * job.price_per_row
    with job.result_file.open("rb") as result:
        lines = sum(block.count(b"\n") for block in iter(lambda: result.read(1 << 20), b""))
    return {
        "job": job,
        "upload_s": upload_seconds,
        "upload_cpu_s": upload_cpu,
        "worker_s": worker["seconds"],
        "worker_cpu_s": worker["cpu_s"],
        "peak_mb": worker["peak_mb"],
        "ru_maxrss_mb": worker["ru_maxrss_mb"],
        "result_lines": lines,
    }


def print_table(table: list[dict[str, Any]]) -> None:
    columns = list(table[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in table:
        cells = [
            f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else v
            for v in row.values()
        ]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    for slug, titles in dict.fromkeys((row["case"], row["titles"]) for row in table):
        runs = [row for row in table if (row["case"], row["titles"]) == (slug, titles)]
        if len(runs) >= 2:
            growth = runs[-1]["worker peak MB"] / runs[0]["worker peak MB"]
            print(
                f"{slug} ({titles}): worker peak memory at {runs[-1]['rows']:,} rows / at "
                f"{runs[0]['rows']:,} rows: {growth:.2f}x"
            )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", type=int)
    parser.add_argument("--bare", nargs=2, metavar=("SLUG", "CSV"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--only", help="Run only this case, e.g. nhanes-age.")
    return parser.parse_args()


def prepare() -> Any:
    """The database, migrated, and the user whose wallet pays for every job."""
    if connection.vendor != "postgresql":
        raise SystemExit("Run on PostgreSQL: DATABASE_URL=postgres://...")
    ensure_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)

    from accounts.models import User
    from billing.services.wallets import wallet_grant

    user, _ = User.objects.get_or_create(email="batch-bench@example.com")
    wallet_grant(user=user, amount=100_000_000, reason="batch benchmark")
    return user


def bench_file(
    case: Case, rows: int, titles: str, folder: Path, user: Any, keep: bool
) -> dict[str, Any]:
    """One synthetic file of `rows` rows through both paths: one row of the table."""
    call_command("train_models", "--case", case.slug, "--if-missing")
    path = folder / f"{case.slug}-{rows}-{titles}.csv"
    distinct_share = write_csv(case, rows, path, distinct=titles == "distinct")
    bare_run = run_json("--bare", case.slug, str(path))
    bare = bare_run["seconds"]
    whole = whole_path(case, path, user)
    job = whole["job"]
    assert whole["result_lines"] == rows + 1
    end_to_end = whole["upload_s"] + whole["worker_s"]
    end_to_end_cpu = whole["upload_cpu_s"] + whole["worker_cpu_s"]
    if not keep:
        for stored in (job.input_file, job.result_file):
            stored.delete(save=False)
    return {
        "case": case.slug,
        "titles": titles,
        "distinct titles": "-" if distinct_share is None else f"{distinct_share:.3f}",
        "rows": rows,
        "MB": path.stat().st_size / 2**20,
        "bare s": bare,
        "bare rows/s": rows / bare,
        "upload s": whole["upload_s"],
        "worker s": whole["worker_s"],
        "whole rows/s": rows / end_to_end,
        "whole/bare": bare / end_to_end,
        "bare cpu s": bare_run["cpu_s"],
        "whole cpu s": end_to_end_cpu,
        "whole/bare cpu": bare_run["cpu_s"] / end_to_end_cpu,
        "failed": job.rows_failed,
        "charged": job.charged,
        "bare peak MB": bare_run["peak_mb"],
        "worker peak MB": whole["peak_mb"],
        "worker ru_maxrss MB": whole["ru_maxrss_mb"],
    }


def main() -> None:
    args = parse_args()
    # The script runs itself in subprocesses for the two measured paths.
    if args.worker:
        worker_main(args.worker)
        return
    if args.bare:
        bare_main(*args.bare)
        return
    user = prepare()
    scale = 100 if args.quick else 1
    table = []
    with tempfile.TemporaryDirectory() as folder:
        for slug, full_rows, titles in RUNS:
            if args.only and slug != args.only:
                continue
            table.append(
                bench_file(CASES[slug], full_rows // scale, titles, Path(folder), user, args.keep)
            )
            print(json.dumps(table[-1], default=str), flush=True)
    print_table(table)


if __name__ == "__main__":
    main()
