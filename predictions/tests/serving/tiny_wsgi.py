"""The project's WSGI application with the tiny test case registered, for tests that run
a real gunicorn (`gunicorn predictions.tests.serving.tiny_wsgi:application`).

TINY_PREDICT_SECONDS makes the model slow, so that concurrent requests overlap.
"""

from __future__ import annotations

import os
import time

from mlbilling.wsgi import application
from predictions.ml.cases import CASES
from predictions.tests.tiny_case import TinyCase


class SlowTinyCase(TinyCase):
    def predict(self, model, rows):
        time.sleep(float(os.environ.get("TINY_PREDICT_SECONDS", "0")))
        return super().predict(model, rows)


CASES[TinyCase.slug] = SlowTinyCase()

__all__ = ["application"]
