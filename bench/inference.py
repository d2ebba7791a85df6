"""In-process serving latency of every production model: the case's input path vs the model.

For each registered case with a production version, times
- "input path": `schema.validate_rows` + `case.predict` on JSON-like rows (what the API does
  after parsing the body), with the model from `load_model` (sha256-checked, cached);
- "bare model": the estimator alone on a NumPy array prepared in advance
  (`predict_proba`, else `decision_function`/`score_samples`/`predict`);
for 1 row and for 1,000 rows (the example row repeated), median and p99, and their ratio.
The target is a ratio under 2x for 1 row.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlb_bench_inference \
        .venv/bin/python bench/inference.py [--case SLUG]

Like the other benches, it creates its database when missing (PostgreSQL), migrates it and
trains the cases it times that have no production version yet (once per database, minutes
for all six); artifacts go to MEDIA_ROOT, by default a folder per database under the
temporary directory. --quick (what CI runs, so the bench cannot rot, on the models CI has
just trained) times a tenth as many calls.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchdb import ensure_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DATABASE_URL = os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mlb_bench_inference"
)
os.environ.setdefault(
    "MEDIA_ROOT",
    str(Path(tempfile.gettempdir()) / f"{urlsplit(DATABASE_URL).path.strip('/')}-media"),
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlbilling.settings")
os.environ.setdefault("DEBUG", "true")
if DATABASE_URL.startswith("postgres"):
    ensure_database(DATABASE_URL)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from predictions.ml.cases import CASES  # noqa: E402
from predictions.registry.artifacts import load_model  # noqa: E402
from predictions.registry.errors import NoProductionVersion  # noqa: E402
from predictions.registry.selectors import production_version  # noqa: E402

REPEATS = {1: 300, 1000: 20}


def timings(call: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median and p99 of `repeats` calls, in milliseconds (after two warm-up calls)."""
    call()
    call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def bare_call(model: Any) -> Callable[[Any], Any]:
    for name in ("predict_proba", "decision_function", "score_samples", "predict"):
        if hasattr(model, name):
            return getattr(model, name)
    raise TypeError(f"{type(model).__name__} has no prediction method")


def bench_case(slug: str, case: Any, model: Any, calls_divisor: int) -> list[str]:
    predict = bare_call(model)
    lines = []
    for rows in (1, 1000):
        repeats = REPEATS[rows] // calls_divisor
        raw = [dict(case.example) for _ in range(rows)]
        matrix = case.rows_to_matrix(case.schema.validate_rows(raw))
        path_med, path_p99 = timings(
            lambda raw=raw: case.predict(model, case.schema.validate_rows(raw)), repeats
        )
        bare_med, bare_p99 = timings(lambda matrix=matrix: predict(matrix), repeats)
        lines.append(
            f"{slug:<20} {rows:>5} {path_med:>9.3f} / {path_p99:>8.3f} "
            f"{bare_med:>9.3f} / {bare_p99:>8.3f} {path_med / bare_med:>5.2f}x"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help="only this case")
    parser.add_argument("--quick", action="store_true", help="a tenth as many calls")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    for slug in [args.case] if args.case else CASES:
        call_command("train_models", "--case", slug, "--if-missing")
    header = f"{'case':<20} {'rows':>5} {'input path ms':>20} {'bare model ms':>20} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for slug, case in CASES.items():
        if args.case and slug != args.case:
            continue
        try:
            model = load_model(production_version(slug=slug))
        except NoProductionVersion:
            print(f"{slug:<20} no production version: its training did not meet the bars")
            continue
        for line in bench_case(slug, case, model, calls_divisor=10 if args.quick else 1):
            print(line)
    print("\nms: median / p99; ratio: input path median over bare model median.")


if __name__ == "__main__":
    main()
