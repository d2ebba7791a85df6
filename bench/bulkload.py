"""Bulk loading into PostgreSQL tables: indexes and constraints built once, after the rows.

Maintaining eleven indexes row by row while twenty million rows go in, and checking each
row's foreign keys by trigger, took the ten-times seed over an hour. Dropping them first
and building them again afterwards sorts each index once, and re-adding a constraint
checks every row in one statement: the rows are proved as valid as if they had been
inserted under the constraints.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# Primary and unique keys first: the foreign keys that point at them need their indexes.
_CONSTRAINT_ORDER = "CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'c' THEN 2 ELSE 3 END"


@contextmanager
def indexes_deferred(cursor: Any, tables: Sequence[str]) -> Iterator[None]:
    """Drop every index and constraint of `tables` (and the foreign keys pointing at
    them) for the block, then create them again as they were."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%(tables)s::regclass[]) OR confrelid = ANY(%(tables)s::regclass[]) "
        f"ORDER BY {_CONSTRAINT_ORDER}",
        {"tables": list(tables)},
    )
    constraints = cursor.fetchall()
    # The indexes no constraint owns (a constraint's index goes and comes back with it).
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%(tables)s::regclass[]) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        {"tables": list(tables)},
    )
    indexes = cursor.fetchall()
    for table, name, _definition in reversed(constraints):
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    for _name, definition in indexes:
        cursor.execute(definition)
    # One ALTER TABLE per table: its check constraints are then verified in one scan.
    additions: dict[str, list[str]] = {}
    for table, name, definition in constraints:
        additions.setdefault(table, []).append(f'ADD CONSTRAINT "{name}" {definition}')
    for table, clauses in additions.items():
        cursor.execute(f"ALTER TABLE {table} {', '.join(clauses)}")
