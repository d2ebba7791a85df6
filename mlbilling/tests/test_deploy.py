"""The deployment files hold together (no container engine here: the YAML is checked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_runs_postgres_migrate_web_and_worker():
    assert set(SERVICES) == {"db", "migrate", "web", "worker"}
    assert SERVICES["db"]["image"] == "postgres:15"
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    assert "pg_isready" in " ".join(SERVICES["db"]["healthcheck"]["test"])


def test_web_and_worker_wait_for_a_healthy_database_and_a_finished_migration():
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    assert SERVICES["migrate"]["restart"] == "no"


def test_web_and_worker_share_the_media_volume_and_the_web_has_a_healthcheck():
    assert SERVICES["worker"]["command"] == ["python", "manage.py", "qcluster"]
    for name in ("web", "worker"):
        assert "media:/app/media" in SERVICES[name]["volumes"]
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert set(COMPOSE["volumes"]) == {"pgdata", "media"}


def test_compose_keeps_secrets_out_of_the_file():
    environment = SERVICES["web"]["environment"]

    assert environment["DEBUG"] == "false"
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"]
    assert "BILLING_SANDBOX" not in environment


def test_the_web_healthcheck_is_python_and_healthz_answers_plain_http(client, settings):
    compile(SERVICES["web"]["healthcheck"]["test"][-1], "healthcheck", "exec")
    settings.ALLOWED_HOSTS = ["mlbilling.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    # What the healthcheck sends: plain HTTP, the first allowed host.
    response = client.get("/healthz", HTTP_HOST="mlbilling.example.com")

    assert response.status_code == 200


def test_the_web_merges_its_workers_metrics_and_takes_the_scrape_token_from_the_env():
    environment = SERVICES["web"]["environment"]

    assert environment["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
    assert environment["METRICS_TOKEN"] == "${METRICS_TOKEN:-}"


def test_the_image_runs_gunicorn_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "\nUSER app\n" in dockerfile
    assert "collectstatic" in dockerfile
    assert 'CMD ["gunicorn"' in dockerfile


def _providers(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "BILLING_SANDBOX"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(sorted(settings.BILLING_PAYMENT_PROVIDERS))",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "mlbilling.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_the_sandbox_payment_provider_is_off_in_production():
    assert _providers(DEBUG="false", SECRET_KEY="x" * 50) == "[]"


def test_the_sandbox_payment_provider_is_on_in_development_or_when_asked():
    assert _providers(DEBUG="true") == "['sandbox']"
    assert _providers(DEBUG="false", SECRET_KEY="x" * 50, BILLING_SANDBOX="true") == "['sandbox']"
