"""The benchmarks' PostgreSQL database: created on first use, so a run needs no setup."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg


def ensure_database(url: str) -> None:
    """Create the database that `url` names, if it does not exist yet."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
