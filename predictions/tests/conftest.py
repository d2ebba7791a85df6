from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    return Path(settings.DATASETS_DIR)
