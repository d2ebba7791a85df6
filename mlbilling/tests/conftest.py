from __future__ import annotations

# The tiny served model of the predictions tests, for sweeps that need a real prediction.
from predictions.tests.conftest import (  # noqa: F401
    enqueued,
    register_tiny,
    served,
    tiny_case,
    tiny_datasets_dir,
)
