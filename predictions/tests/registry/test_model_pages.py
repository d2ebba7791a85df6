from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from predictions.ml.cases import CASES
from predictions.models import MLModel, ModelVersion
from predictions.registry.services import model_version_promote

pytestmark = pytest.mark.django_db


def test_the_model_list_shows_each_active_model_with_its_price(client, trained_tiny):
    response = client.get(reverse("predictions:model_list"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Tiny test case" in body
    assert "0.07 credits per row" in body
    assert reverse("predictions:model_detail", args=["tiny"]) in body


def test_the_model_list_hides_inactive_models(client, trained_tiny):
    MLModel.objects.filter(slug="tiny").update(is_active=False)

    response = client.get(reverse("predictions:model_list"))

    assert "Tiny test case" not in response.content.decode()


def test_the_nav_links_to_the_models(client):
    response = client.get(reverse("home"))

    assert reverse("predictions:model_list") in response.content.decode()


def test_the_landing_page_lists_every_registered_case_even_before_training(client, tiny_case):
    body = client.get(reverse("home")).content.decode()

    for case in CASES.values():
        assert case.title in body
        assert reverse("predictions:model_detail", args=[case.slug]) in body
    assert "0.07 credits per row" in body


def test_an_untrained_model_has_a_card_that_says_so(client, tiny_case):
    response = client.get(reverse("predictions:model_detail", args=["tiny"]))

    assert response.status_code == 200
    assert "has not been trained yet" in response.content.decode()


def test_a_deactivated_model_has_no_card(client, trained_tiny):
    MLModel.objects.filter(slug="tiny").update(is_active=False)

    assert client.get(reverse("predictions:model_detail", args=["tiny"])).status_code == 404


def test_the_model_card_shows_schema_example_metrics_bars_figures_and_source(client, trained_tiny):
    response = client.get(reverse("predictions:model_detail", args=["tiny"]))

    assert response.status_code == 200
    body = response.content.decode()
    production = trained_tiny.metrics["production"]["roc_auc"]
    assert production["ci_low"] < production["mean"] < production["ci_high"]
    interval = f"{production['ci_low']:.4f}; {production['ci_high']:.4f}"
    assert f"{production['mean']:.4f} [{interval}]" in body
    assert "<code>x1</code>" in body
    assert "&quot;x1&quot;: 7.5" in body
    assert "Stratified 3-fold cross-validation." in body
    assert "roc_auc &gt;= 0.8" in body
    assert "CC BY 4.0" in body
    assert "Version 1" in body
    figure_url = reverse("predictions:model_figure", args=["tiny", 1, "confusion_matrix.svg"])
    assert figure_url in body


def test_the_model_card_says_when_a_version_misses_its_bar(client, trained_tiny):
    ModelVersion.objects.filter(pk=trained_tiny.pk).update(
        card={**trained_tiny.card, "promoted_below_bar": True}
    )

    response = client.get(reverse("predictions:model_detail", args=["tiny"]))

    assert "misses its quality bar" in response.content.decode()


def test_the_model_card_shows_the_production_version_after_a_promotion(
    client, trained_tiny, register_tiny
):
    model_version_promote(version_id=register_tiny(roc_auc=0.91).pk)

    response = client.get(reverse("predictions:model_detail", args=["tiny"]))

    assert "Version 2" in response.content.decode()


def test_an_unknown_model_card_is_not_found(client, tiny_case):
    assert client.get(reverse("predictions:model_detail", args=["nope"])).status_code == 404


def test_a_card_figure_is_served_without_debug_media(client, trained_tiny, settings):
    settings.DEBUG = False
    url = reverse("predictions:model_figure", args=["tiny", 1, "metrics.svg"])

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)


@pytest.mark.parametrize("name", ["other.svg", "..%2F1-x.joblib", "metrics.svg.joblib"])
def test_only_figures_listed_on_the_card_are_served(client, trained_tiny, name):
    url = reverse("predictions:model_figure", args=["tiny", 1, "x"]).replace("/x", f"/{name}")

    assert client.get(url).status_code == 404


def test_a_trained_model_card_reads_in_russian_figures_and_bars_included(client, trained_tiny):
    # override: the language the request activates must not outlive this test.
    with translation.override("en"):
        response = client.get(
            reverse("predictions:model_detail", args=["tiny"]), HTTP_ACCEPT_LANGUAGE="ru"
        )

    body = response.content.decode()
    assert "Матрица ошибок (рабочая модель, вне фолда)" in body
    # Numbers with the Russian decimal comma, the interval's ends apart by a semicolon.
    production = trained_tiny.metrics["production"]["roc_auc"]
    mean, low = (f"{production[key]:.4f}".replace(".", ",") for key in ("mean", "ci_low"))
    assert f"{mean} [{low}; " in body
    assert "Порог качества" in body
    assert "Версия 1, обучена" in body
    # What the case itself wrote and the card stored stays as written.
    assert "Stratified 3-fold cross-validation." in body


def _figure_texts(client, url: str) -> list[str]:
    svg = b"".join(client.get(url).streaming_content).decode()
    return [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]+)</text>", svg)]


def test_a_russian_card_shows_its_figures_drawn_in_russian(client, trained_tiny):
    with translation.override("en"):
        english = client.get(reverse("predictions:model_detail", args=["tiny"])).content.decode()
        russian = client.get(
            reverse("predictions:model_detail", args=["tiny"]), HTTP_ACCEPT_LANGUAGE="ru"
        ).content.decode()
    [english_url] = re.findall(r'src="([^"]+/confusion_matrix(?:\.ru)?\.svg)"', english)
    [russian_url] = re.findall(r'src="([^"]+/confusion_matrix(?:\.ru)?\.svg)"', russian)

    english_texts = _figure_texts(client, english_url)
    russian_texts = _figure_texts(client, russian_url)

    # The axis labels come from the catalogue, drawn in the reader's language.
    assert {"predicted", "true"} <= set(english_texts)
    assert {"предсказанный класс", "истинный класс"} <= set(russian_texts)
    assert not {"predicted", "true"} & set(russian_texts)


def test_every_other_stored_figure_reaches_the_card_in_english_and_russian(client, trained_tiny):
    metrics = trained_tiny.metrics
    metrics["production"].update(
        {"false_alarm_rate": 0.0053, "recall_by_kind": {"gas": 0.25}, "threshold": 0.26}
    )
    metrics["baseline"]["threshold"] = 0.5
    ModelVersion.objects.filter(pk=trained_tiny.pk).update(metrics=metrics)
    url = reverse("predictions:model_detail", args=["tiny"])

    english = client.get(url).content.decode()
    russian = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Other recorded figures" in english
    for name, value in (("false_alarm_rate", "0.0053"), ("recall_by_kind.gas", "0.2500")):
        assert f'<code>{name}</code></td><td class="num">—</td><td class="num">{value}' in english
    assert '<code>threshold</code></td><td class="num">0.5000</td><td class="num">0.2600' in english
    assert "<code>confusion_matrix</code>" not in english
    assert "Другие записанные показатели" in russian


def test_a_stored_figure_with_its_interval_is_one_row_of_the_card(client, trained_tiny):
    metrics = trained_tiny.metrics
    found = {"mean": 0.89, "std": 0.02, "ci_low": 0.838, "ci_high": 0.935}
    metrics["production"]["detection_by_magnitude"] = {"cold": {"1-3": found}}
    ModelVersion.objects.filter(pk=trained_tiny.pk).update(metrics=metrics)

    body = client.get(reverse("predictions:model_detail", args=["tiny"])).content.decode()

    assert (
        '<code>detection_by_magnitude.cold.1-3</code></td><td class="num">—</td>'
        '<td class="num">0.8900 [0.8380; 0.9350]'
    ) in body
    assert "detection_by_magnitude.cold.1-3.ci_low" not in body
