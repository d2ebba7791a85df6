"""Background training on a first run: a queued task per case, its status on the models
page, and a prediction on a model still training refused (503, Retry-After), uncharged;
then the model serving before its evaluation, which a second queued task attaches."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from billing.selectors import wallet_balance
from predictions.ml.cases import CASES
from predictions.ml.cases.base import Bar
from predictions.models import MLModel, ModelVersion, Prediction
from predictions.registry.tasks import case_train_task, version_evaluate_task
from predictions.registry.training_queue import EVALUATE_TASK, TRAIN_TASK
from predictions.registry.training_status import (
    TRAINING_SECONDS,
    training_in_progress,
    training_status,
)
from predictions.tests.tiny_case import write_tiny_dataset

pytestmark = pytest.mark.django_db

PREDICT_URL = "/api/v1/models/tiny/predict"


def _queue(*args: str) -> str:
    out = StringIO()
    call_command("train_models", "--if-missing", "--queue", *args, stdout=out)
    return out.getvalue()


def test_every_case_without_a_model_is_queued_fastest_first(enqueued):
    output = _queue()

    slugs = [args[1] for args in enqueued]
    assert {args[0] for args in enqueued} == {TRAIN_TASK}
    assert sorted(slugs) == sorted(CASES)
    assert slugs == sorted(CASES, key=TRAINING_SECONDS.__getitem__)
    statuses = [training_status(slug) for slug in slugs]
    assert all(status.state == "queued" for status in statuses)
    # Each waits for the ones ahead of it: the first is expected first.
    assert statuses[0].seconds_left() == min(status.seconds_left() for status in statuses)
    assert f"{slugs[0]}: queued" in output


def test_a_case_queued_already_is_not_queued_twice(enqueued, tiny_case):
    _queue("--case", "tiny")
    output = _queue("--case", "tiny")

    assert [args[1] for args in enqueued] == ["tiny"]
    assert "already queued or training, skipped" in output


def test_a_model_in_training_answers_503_with_retry_after_and_charges_nothing(
    enqueued, tiny_case, token_client, customer
):
    _queue("--case", "tiny")

    response = token_client.post(PREDICT_URL, {"inputs": [tiny_case.example]}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "model_training"
    seconds = int(response["Retry-After"])
    assert 0 < seconds <= TRAINING_SECONDS.get("tiny", max(TRAINING_SECONDS.values())) + 1
    assert f"ready in about {seconds} s" in response.json()["detail"]
    assert wallet_balance(user=customer).balance == 100
    assert not Prediction.objects.exists()


def test_the_queued_task_serves_the_model_before_it_is_evaluated_and_queues_the_evaluation(
    enqueued, tiny_case, token_client, customer, client: Client
):
    _queue("--case", "tiny")

    case_train_task(*enqueued[0][1:])  # what the worker runs

    version = ModelVersion.objects.get(model__slug="tiny")
    assert version.status == ModelVersion.Status.PRODUCTION
    assert (version.metrics, version.card["evaluation"]) == ({}, "pending")
    assert training_status("tiny") is None
    # The evaluation is queued behind it, for the version just served.
    assert enqueued[-1][:2] == (EVALUATE_TASK, version.pk)
    response = token_client.post(PREDICT_URL, {"inputs": [tiny_case.example]}, format="json")
    assert response.status_code == 200
    assert wallet_balance(user=customer).balance == 100 - tiny_case.default_price
    card = reverse("predictions:model_detail", args=["tiny"])
    english = client.get(card, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    russian = client.get(card, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Evaluation running: this version serves already" in english
    assert "Quality bar" not in english
    assert "Идёт оценка: эта версия уже работает" in russian
    listing = client.get(reverse("predictions:model_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert "evaluation running" in listing.content.decode()


def test_the_queued_evaluation_completes_the_card_of_the_model_that_serves(
    enqueued, tiny_case, client: Client
):
    _queue("--case", "tiny")
    case_train_task("tiny")

    version_evaluate_task(*enqueued[-1][1:])  # what the worker runs next

    version = ModelVersion.objects.get(model__slug="tiny")
    assert version.status == ModelVersion.Status.PRODUCTION
    assert version.card["evaluation"] == "done"
    assert version.metrics["production"]["roc_auc"]["mean"] >= 0.8
    assert [bar["met"] for bar in version.card["bars"]] == [True]
    assert {figure["file"] for figure in version.card["figures"]} == {
        "confusion_matrix.svg",
        "confusion_matrix_baseline.svg",
        "metrics.svg",
    }
    html = client.get(
        reverse("predictions:model_detail", args=["tiny"]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Evaluation running" not in html
    assert "Quality bar" in html
    assert "<code>roc_auc</code>" in html
    assert "confusion_matrix.svg" in html


def test_a_first_version_found_below_its_bar_keeps_serving_and_its_card_says_so(
    enqueued, tiny_case, monkeypatch
):
    monkeypatch.setattr(tiny_case, "bars", (Bar("roc_auc", ">=", 0.999),))
    _queue("--case", "tiny")
    case_train_task("tiny")

    version_evaluate_task(*enqueued[-1][1:])

    version = ModelVersion.objects.get(model__slug="tiny")
    assert version.status == ModelVersion.Status.PRODUCTION
    assert (version.card["bars_met"], version.card["promoted_below_bar"]) == (False, True)


def test_the_evaluation_refuses_a_dataset_changed_since_the_fit(
    enqueued, tiny_case, tiny_datasets_dir
):
    _queue("--case", "tiny")
    case_train_task("tiny")
    write_tiny_dataset(tiny_datasets_dir, rows=150)

    version_evaluate_task(*enqueued[-1][1:])

    version = ModelVersion.objects.get(model__slug="tiny")
    assert (version.metrics, version.card["evaluation"]) == ({}, "failed")
    assert "dataset changed" in version.card["evaluation_error"]


def test_a_failed_evaluation_is_written_on_the_card(enqueued, tiny_case, monkeypatch):
    _queue("--case", "tiny")
    case_train_task("tiny")
    monkeypatch.setattr(tiny_case, "evaluate", lambda data: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        version_evaluate_task(*enqueued[-1][1:])

    version = ModelVersion.objects.get(model__slug="tiny")
    assert version.status == ModelVersion.Status.PRODUCTION
    assert version.card["evaluation"] == "failed"
    assert "division by zero" in version.card["evaluation_error"]
    html = Client().get(reverse("predictions:model_detail", args=["tiny"])).content.decode()
    assert "The evaluation of this version failed (division by zero)" in html


def test_the_status_shows_the_steps_done_while_it_trains(enqueued, tiny_case, monkeypatch):
    seen = []
    fit = tiny_case.fit_production

    def fit_and_look(data):
        seen.append(training_status("tiny"))
        return fit(data)

    monkeypatch.setattr(tiny_case, "fit_production", fit_and_look)
    _queue("--case", "tiny")
    case_train_task("tiny")

    # Loading is done when the production fit starts: 1 of 3 steps (fit, register to come).
    assert seen[0].state == "training"
    assert (seen[0].steps_done, seen[0].percent) == (1, 33)


def test_the_models_page_shows_which_models_train(enqueued, tiny_case, client: Client):
    _queue("--case", "tiny")

    html = client.get(reverse("predictions:model_list")).content.decode()

    assert "queued for training, ready in about" in html


def test_a_failed_training_is_shown_and_no_longer_promised(enqueued, tiny_case, monkeypatch):
    monkeypatch.setattr(tiny_case, "fit_production", lambda data: 1 / 0)
    _queue("--case", "tiny")

    with pytest.raises(ZeroDivisionError):
        case_train_task("tiny")

    assert training_status("tiny").state == "failed"
    assert not training_in_progress("tiny")
    html = Client().get(reverse("predictions:model_list")).content.decode()
    assert "training failed" in html


def test_the_website_says_when_the_model_will_be_ready(enqueued, tiny_case, customer):
    _queue("--case", "tiny")
    browser = Client()
    browser.force_login(customer)

    page = browser.get("/models/tiny/predict/")
    posted = browser.post("/models/tiny/predict/", {"x1": "7.5", "x2": "6"})

    assert "queued for training, ready in about" in page.content.decode()
    assert "ready in about" in posted.content.decode()
    assert wallet_balance(user=customer).balance == 100
    assert not Prediction.objects.exists()


def test_readyz_stays_ok_while_a_model_trains(enqueued, tiny_case, client: Client):
    # In the catalogue before its first version, as seed_demo's fixture puts the six.
    MLModel.objects.create(slug="tiny", title=tiny_case.title, price_per_row=7)
    _queue("--case", "tiny")

    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    check = response.json()["checks"]["model:tiny"]
    assert check["ok"] is True
    assert check["detail"].startswith("training, about")


def test_a_serving_version_whose_evaluation_never_finished_is_queued_again(enqueued, tiny_case):
    _queue("--case", "tiny")
    case_train_task("tiny")
    version = ModelVersion.objects.get(model__slug="tiny")
    enqueued.clear()  # the worker stopped before it ran the evaluation (bin/run ended)

    output = _queue("--case", "tiny")

    assert [args[:2] for args in enqueued] == [(EVALUATE_TASK, version.pk)]
    assert "tiny: v1 serves, its evaluation never finished: queued again" in output
    version_evaluate_task(version.pk)
    enqueued.clear()
    _queue("--case", "tiny")
    assert enqueued == []


def test_an_evaluation_delivered_twice_is_done_once(enqueued, tiny_case, monkeypatch):
    _queue("--case", "tiny")
    case_train_task("tiny")
    version_evaluate_task(*enqueued[-1][1:])
    judged = ModelVersion.objects.get(model__slug="tiny").card
    monkeypatch.setattr(tiny_case, "evaluate", lambda data: 1 / 0)

    version_evaluate_task(*enqueued[-1][1:])  # the broker hands it out again

    assert ModelVersion.objects.get(model__slug="tiny").card == judged
