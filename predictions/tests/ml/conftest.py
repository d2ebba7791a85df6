"""Each case's training data and quickly fitted model, made once per session for the case
tests; a case's test module names its case `CASE` and reads that case's data as `data`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from predictions.ml.cases.base import Case, TrainingData
from predictions.registry.training import training_data_sample
from predictions.tests.tiny_case import TinyCase, write_tiny_dataset

SAMPLE_ROWS = 400


@pytest.fixture(scope="session")
def training_data(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Case], TrainingData]:
    """Each case's training data, loaded once per session."""
    loaded: dict[str, TrainingData] = {}

    def load(case: Case) -> TrainingData:
        if case.slug not in loaded:
            datasets_dir = settings.DATASETS_DIR
            if isinstance(case, TinyCase):
                datasets_dir = tmp_path_factory.mktemp("datasets")
                write_tiny_dataset(datasets_dir)
            loaded[case.slug] = case.load_training_data(Path(datasets_dir))
        return loaded[case.slug]

    return load


@pytest.fixture(scope="session")
def quick_model(training_data: Callable[[Case], TrainingData]) -> Callable[[Case], Any]:
    """Each case's production pipeline fitted on a sample of SAMPLE_ROWS, once per session."""
    fitted: dict[str, Any] = {}

    def fit(case: Case) -> Any:
        if case.slug not in fitted:
            sample = training_data_sample(training_data(case), SAMPLE_ROWS)
            fitted[case.slug] = case.fit_production(sample)
        return fitted[case.slug]

    return fit


@pytest.fixture(scope="module")
def data(request: pytest.FixtureRequest, training_data) -> TrainingData:
    """The training data of the test module's `CASE`."""
    return training_data(request.module.CASE)
