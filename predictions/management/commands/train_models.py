from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from predictions.ml.cases import CASES
from predictions.ml.cases.base import DatasetMissing
from predictions.models import ModelVersion
from predictions.registry.training import case_train, version_meets_ci_floor
from predictions.registry.training_queue import (
    cases_train_enqueue,
    evaluations_unfinished_enqueue,
)
from predictions.registry.training_status import expected_seconds, training_in_progress


class Command(BaseCommand):
    help = (
        "Train, evaluate and register the ML cases from DATASETS_DIR; promote each new "
        "version that meets its bars."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", dest="slug", help="Train only this case (its slug).")
        parser.add_argument(
            "--sample", type=int, help="Train on N rows only (a quick run, not for serving)."
        )
        parser.add_argument(
            "--check-bars",
            action="store_true",
            help=(
                "Exit non-zero when a production model misses its case's bars (or its "
                "recorded floors, where a bar is out of reach honestly): the CI check."
            ),
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help=(
                "Queue one background task per case (fastest first) for the workers "
                "instead of training here; a case already queued or training is skipped. "
                "A serving version whose evaluation never finished has it queued again."
            ),
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Skip cases that already have a production version.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Slugs until a case is trained: queueing (bin/run, before its site answers) then
        # imports no case module and none of the ML stack they pull in.
        slugs = [options["slug"]] if options["slug"] else list(CASES)
        if options["slug"] and options["slug"] not in CASES:
            raise CommandError(
                f"Unknown case {options['slug']!r}; known: {', '.join(CASES) or 'none'}."
            )
        if not slugs:
            self.stdout.write("No cases are registered.")
            return
        started = time.perf_counter()
        selected = slugs
        if options["if_missing"]:
            slugs = self._missing(slugs)
        if options["queue"]:
            self._queue(slugs)
            for version in evaluations_unfinished_enqueue(selected):
                self.stdout.write(
                    f"{version.model.slug}: v{version.version} serves, its evaluation "
                    "never finished: queued again"
                )
            return
        for slug in slugs:
            self._train(CASES[slug], options["sample"])
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")
        if options["check_bars"]:
            below_bar = [
                f"{version.model.slug} v{version.version}"
                for version in ModelVersion.objects.select_related("model").filter(
                    model__slug__in=slugs,
                    status=ModelVersion.Status.PRODUCTION,
                )
                if not version_meets_ci_floor(CASES[version.model.slug], version)
            ]
            if below_bar:
                raise CommandError(f"Production models below their bar: {', '.join(below_bar)}.")

    def _missing(self, slugs: list[str]) -> list[str]:
        missing = []
        for slug in slugs:
            existing = ModelVersion.objects.filter(
                model__slug=slug, status=ModelVersion.Status.PRODUCTION
            ).first()
            if existing is None:
                missing.append(slug)
            else:
                self.stdout.write(f"{slug}: production v{existing.version} exists, skipped")
        return missing

    def _queue(self, slugs: list[str]) -> None:
        pending = [slug for slug in slugs if not training_in_progress(slug)]
        for slug in slugs:
            if slug not in pending:
                self.stdout.write(f"{slug}: already queued or training, skipped")
        for slug in cases_train_enqueue(pending):
            self.stdout.write(
                f"{slug}: queued, ready in about {expected_seconds(slug)} s after it starts"
            )

    def _train(self, case: Any, sample: int | None) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"{case.slug}: {case.title}"))
        try:
            outcome = case_train(
                case=case,
                datasets_dir=settings.DATASETS_DIR,
                sample=sample,
                progress=lambda line: self.stdout.write(line),
            )
        except DatasetMissing as exc:
            raise CommandError(
                f"{case.slug}: dataset file not found: {exc.path}. The DATASETS_DIR setting "
                f"is {settings.DATASETS_DIR}; point it (environment variable DATASETS_DIR) "
                f"at the folder holding case_1 ... case_6."
            ) from exc
        version = outcome.version
        for bar in version.card.get("bars", []):
            figure = "n/a" if bar["value"] is None else f"{bar['value']:.4f}"
            mark = "met" if bar["met"] else "NOT MET"
            self.stdout.write(f"  bar {bar['bar']}: {figure} {mark}")
        total = sum(outcome.timings.values())
        if outcome.promoted and outcome.bars_met:
            self.stdout.write(
                self.style.SUCCESS(f"  v{version.version} promoted to production ({total:.1f} s)")
            )
        elif outcome.promoted:
            self.stdout.write(
                self.style.WARNING(
                    f"  v{version.version} promoted although it misses its bar: there was no "
                    f"production version (the card says so) ({total:.1f} s)"
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"  v{version.version} kept as candidate: it misses its bar ({total:.1f} s)"
                )
            )
