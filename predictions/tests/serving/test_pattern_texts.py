"""Pattern-built field texts (the 241 Android names, the rooms) in Russian on the pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from predictions.ml.cases import get_case

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


@pytest.fixture(autouse=True)
def _english_after_each_test():
    # A Russian request leaves Russian active in the thread for the tests after it.
    yield
    translation.deactivate()


@pytest.mark.parametrize("slug", ["android-malware", "elder-monitoring"])
def test_every_field_label_and_description_of_a_card_is_russian(slug):
    html = Client().get(f"/models/{slug}/", **RU).content.decode()

    for field in get_case(slug).schema.fields:
        assert f'<br><span class="muted">{field.label}</span>' not in html, field.label
        assert f"<td>{field.description}</td>" not in html, field.description


def test_a_permission_reads_in_russian():
    html = Client().get("/models/android-malware/", **RU).content.decode()

    assert "Разрешение ACCESS_FINE_LOCATION" in html
    assert "1, если приложение запрашивает разрешение ACCESS_FINE_LOCATION" in html
