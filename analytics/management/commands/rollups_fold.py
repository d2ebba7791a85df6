"""Fold closed days into the daily roll-ups now (the schedule does it every 15 minutes),
or with --rebuild forget them and fold again from the first day with data: after rows were
written into days already folded (a restore, an import, a seeded benchmark)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from analytics.rollups import rollups_fold, rollups_rebuild


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rebuild", action="store_true", help="fold every day again")

    def handle(self, *args: Any, rebuild: bool = False, **options: Any) -> None:
        mark = rollups_rebuild() if rebuild else rollups_fold()
        self.stdout.write(f"Daily roll-ups hold every day through {mark or 'none yet'}.")
