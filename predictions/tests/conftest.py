from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from predictions.cases import CASES
from predictions.models import ModelVersion
from predictions.registry import load_model_cache_clear, model_version_register
from predictions.tests.tiny_case import TinyCase, write_tiny_dataset


@pytest.fixture
def tiny_datasets_dir(tmp_path: Path) -> Path:
    datasets = tmp_path / "datasets"
    write_tiny_dataset(datasets)
    return datasets


@pytest.fixture
def tiny_case(monkeypatch, settings, tiny_datasets_dir) -> Iterator[TinyCase]:  # type: ignore[no-untyped-def]
    """The tiny case registered in CASES, with its dataset in DATASETS_DIR."""
    settings.DATASETS_DIR = tiny_datasets_dir
    case = TinyCase()
    monkeypatch.setitem(CASES, case.slug, case)
    load_model_cache_clear()
    yield case
    load_model_cache_clear()


@pytest.fixture
def register_tiny(tiny_case, tiny_datasets_dir):  # type: ignore[no-untyped-def]
    """Registers a freshly fitted tiny model as the next candidate version."""
    data = tiny_case.load_training_data(tiny_datasets_dir)

    def register(**metrics: float) -> ModelVersion:
        return model_version_register(
            case=tiny_case,
            model=tiny_case.fit_production(data),
            metrics={"production": {name: {"mean": v, "std": 0.0} for name, v in metrics.items()}},
        )

    return register
