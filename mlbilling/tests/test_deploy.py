"""The deployment files hold together, as YAML (bin/containers runs them for real in CI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_runs_postgres_redis_migrate_web_worker_the_balancer_and_a_train_job():
    assert set(SERVICES) == {"db", "redis", "migrate", "web", "worker", "lb", "train"}
    assert SERVICES["db"]["image"] == "postgres:15"
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    assert "pg_isready" in " ".join(SERVICES["db"]["healthcheck"]["test"])


def test_web_and_worker_wait_for_a_healthy_database_and_a_finished_migration():
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_started"},
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


def test_only_the_balancer_publishes_a_port_so_web_scales_out():
    assert "ports" not in SERVICES["web"]
    assert SERVICES["lb"]["ports"] == ["${WEB_PORT:-8000}:80"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in SERVICES["lb"]["volumes"]
    assert "server web:8000" in (ROOT / "deploy" / "nginx.conf").read_text()


def test_compose_names_its_own_services_whatever_a_local_env_file_says():
    # .env.example (copied to .env) names a local Redis and database: compose must not
    # pass those on, or the worker loops on 127.0.0.1:6379.
    environment = SERVICES["worker"]["environment"]

    assert environment["CACHE_URL"] == "redis://redis:6379/1"
    assert environment["Q_REDIS_URL"] == "redis://redis:6379/0"
    assert environment["DATABASE_URL"].endswith("@db:5432/mlbilling")
    example = (ROOT / ".env.example").read_text()
    assert "\nPOSTGRES_PASSWORD=" in example


def test_the_train_job_is_one_shot_into_the_shared_media_volume():
    train = SERVICES["train"]

    assert train["profiles"] == ["jobs"]
    assert train["restart"] == "no"
    assert train["entrypoint"][-2:] == ["train_models", "--if-missing"]
    assert "media:/app/media" in train["volumes"]
    assert any(volume.endswith(":/datasets:ro") for volume in train["volumes"])


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
    # gunicorn's control socket goes in the user's home: /app is root's.
    assert "--create-home --home-dir /home/app app" in dockerfile


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
