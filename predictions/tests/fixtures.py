"""The tiny case, served and paid for: shared with every app's tests through the root
conftest."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from billing.services.wallets import wallet_grant
from mlbilling.tests.browser import promoted_on_a_sample
from predictions.ml.cases import CASES
from predictions.models import ModelVersion
from predictions.registry.artifacts import load_model_cache_clear
from predictions.registry.services import model_version_promote, model_version_register
from predictions.tests.tiny_case import TinyCase, write_tiny_dataset


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    return Path(settings.DATASETS_DIR)


@pytest.fixture
def tiny_datasets_dir(tmp_path: Path) -> Path:
    datasets = tmp_path / "datasets"
    write_tiny_dataset(datasets)
    return datasets


@pytest.fixture
def tiny_case(monkeypatch, settings, tiny_datasets_dir) -> Iterator[TinyCase]:
    """The tiny case registered in CASES, with its dataset in DATASETS_DIR."""
    settings.DATASETS_DIR = tiny_datasets_dir
    case = TinyCase()
    monkeypatch.setitem(CASES, case.slug, case)
    load_model_cache_clear()
    yield case
    load_model_cache_clear()


@pytest.fixture
def register_tiny(tiny_case, tiny_datasets_dir):
    """Registers a freshly fitted tiny model as the next candidate version."""
    data = tiny_case.load_training_data(tiny_datasets_dir)

    def register(**metrics: float) -> ModelVersion:
        return model_version_register(
            case=tiny_case,
            model=tiny_case.fit_production(data),
            metrics={"production": {name: {"mean": v, "std": 0.0} for name, v in metrics.items()}},
        )

    return register


@pytest.fixture
def trained_tiny(tiny_case):
    """The tiny case trained by train_models: version 1 in production, with its figures."""
    call_command("train_models", "--case", "tiny", stdout=StringIO())
    return ModelVersion.objects.get(model__slug="tiny", version=1)


# --- Paid predictions ---------------------------------------------------------------------


@pytest.fixture
def nhanes_in_production() -> ModelVersion:
    """Case nhanes-age fitted on 300 rows and promoted (a few seconds; the full training
    with its figures is train_models' own test)."""
    return promoted_on_a_sample("nhanes-age")


@pytest.fixture
def served(register_tiny) -> ModelVersion:
    """The tiny case in production, at TinyCase.default_price (0.07) per row."""
    return model_version_promote(version_id=register_tiny(roc_auc=0.9).pk)


@pytest.fixture
def customer():
    """A user with 1.00 credit: fourteen tiny predictions."""
    user = UserFactory()
    wallet_grant(user=user, amount=100, reason="test credits")
    return user


@pytest.fixture
def token_client(customer) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=customer, name='t')[1]}")
    return client


@pytest.fixture
def broken_model(monkeypatch, tiny_case):
    """Makes the tiny model raise as a corrupt or incompatible model would."""

    def explode(model, rows):
        raise ValueError("X has 3 features, but LogisticRegression is expecting 2")

    monkeypatch.setattr(tiny_case, "predict", explode)


# --- Batch jobs ---------------------------------------------------------------------------


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple]:
    """Records django-q2 enqueues instead of sending them to a broker."""
    calls: list[tuple] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: calls.append(args))
    return calls
