"""The batch upload page offers the models in the catalogue's order."""

from __future__ import annotations

import pytest

from predictions.batch.forms import BatchUploadForm
from predictions.ml.cases import CASES
from predictions.tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def test_the_upload_form_lists_the_models_in_registry_order():
    for slug in reversed(list(CASES)):  # created backwards: the table's order is not it
        ModelVersionFactory(model=MLModelFactory(slug=slug))

    offered = [slug for slug, _label in BatchUploadForm().fields["model"].choices]

    assert offered == list(CASES)
