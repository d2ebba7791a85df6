"""The website's prediction form, history and detail pages."""

from __future__ import annotations

import pytest
from django.forms import DateTimeInput, NullBooleanSelect
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from billing.selectors import wallet_balance
from predictions.ml.cases import CASES
from predictions.ml.schema import Field, Schema
from predictions.models import Prediction
from predictions.serving.forms import PredictForm
from predictions.serving.services import prediction_run

pytestmark = pytest.mark.django_db

FORM_URL = "/models/tiny/predict/"


@pytest.fixture
def browser(customer) -> Client:
    client = Client()
    client.force_login(customer)
    return client


def test_the_form_is_prefilled_with_the_example(served, browser):
    page = browser.get(FORM_URL)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="x1"' in html
    assert 'value="7.5"' in html
    assert 'max="10"' in html
    assert "1.00 credits available" in html


def test_a_valid_form_predicts_charges_and_shows_the_result(served, browser, customer):
    response = browser.post(FORM_URL, {"x1": "9", "x2": "9", "idempotency_key": "abc"}, follow=True)

    prediction = Prediction.objects.get()
    assert response.redirect_chain[-1][0] == f"/predictions/{prediction.pk}/"
    html = response.content.decode()
    assert "high" in html
    assert "0.07" in html
    assert "balance 0.93" in html
    assert '<a href="/models/tiny/">Back to Tiny test case</a>' in html
    assert (prediction.status, prediction.source) == ("succeeded", "web")
    assert wallet_balance(user=customer).balance == 93


def test_a_double_submitted_form_is_charged_once(served, browser, customer):
    data = {"x1": "9", "x2": "", "idempotency_key": "form-1"}
    first = browser.post(FORM_URL, data)
    second = browser.post(FORM_URL, data)

    assert first["Location"] == second["Location"]
    assert wallet_balance(user=customer).balance == 93


def test_an_invalid_form_shows_the_error_next_to_the_field_and_costs_nothing(
    served, browser, customer
):
    response = browser.post(FORM_URL, {"x1": "12", "x2": "1"})

    assert response.status_code == 200
    assert response.context["predict_form"].errors == {"x1": ["Must be at most 10."]}
    assert "field-error" in response.content.decode()
    assert wallet_balance(user=customer).balance == 100
    assert not Prediction.objects.exists()


def test_a_missing_required_value_is_reported_by_the_schema(served, browser):
    response = browser.post(FORM_URL, {"x1": "", "x2": "1"})

    assert response.context["predict_form"].errors == {"x1": ["This field is required."]}


def test_without_enough_credits_the_form_says_so_and_charges_nothing(served, customer):
    poor = UserFactory()
    client = Client()
    client.force_login(poor)

    response = client.post(FORM_URL, {"x1": "5"})

    assert response.status_code == 200
    assert "Not enough credits" in response.content.decode()
    assert 'href="/billing/top-up/">Top up</a>' in response.content.decode()
    assert Prediction.objects.get().status == "refused"
    assert wallet_balance(user=poor).balance == 0


def test_a_visitor_is_asked_to_log_in(served):
    page = Client().get(FORM_URL)
    post = Client().post(FORM_URL, {"x1": "5"})

    assert "Log in to predict" in page.content.decode()
    assert 'name="x1"' not in page.content.decode()
    assert post.status_code == 302
    assert "/auth/login/" in post["Location"]
    assert not Prediction.objects.exists()


def test_history_lists_my_predictions_with_filters(served, customer, browser):
    prediction_run(user=customer, slug="tiny", rows=[{"x1": 9}])
    Prediction.objects.create(
        user=UserFactory(), model_version=served, status="refused", rows=1, inputs=[]
    )

    everything = browser.get("/predictions/")
    refused = browser.get("/predictions/", {"status": "refused"})

    assert len(everything.context["page"].object_list) == 1
    assert "Predictions" in everything.content.decode()  # the navigation link
    assert len(refused.context["page"].object_list) == 0


def test_another_users_prediction_is_404(served, customer):
    prediction = prediction_run(user=customer, slug="tiny", rows=[{"x1": 9}]).prediction
    stranger = Client()
    stranger.force_login(UserFactory())

    assert stranger.get(f"/predictions/{prediction.pk}/").status_code == 404


def test_the_form_uses_convenient_widgets_for_each_kind():
    class Case:
        schema = Schema(
            fields=(
                Field("title", "text", max_length=200),
                Field("permissions", "multichoice", choices=tuple(f"p{i}" for i in range(20))),
                Field("sex", "choice", choices=("F", "M")),
                Field("smoker", "boolean", nullable=True),
                Field("age", "integer", minimum=0, maximum=120),
            )
        )
        example = {"title": "Apple iPhone 13", "permissions": ["p1"], "sex": "F", "age": 40}

    form = PredictForm(case=Case())
    html = form.as_div()
    bound = PredictForm(
        {"title": " A phone ", "permissions": ["p2", "p3"], "sex": "M", "smoker": "", "age": "7"},
        case=Case(),
    )

    assert 'type="text"' in html
    assert 'value="Apple iPhone 13"' in html
    assert 'class="checkbox-grid"' in html
    assert '<select name="sex"' in html
    assert 'min="0"' in html
    assert 'max="120"' in html
    assert bound.is_valid()
    assert bound.row() == {
        "title": "A phone",
        "permissions": ["p2", "p3"],
        "sex": "M",
        "smoker": None,
        "age": 7,
    }


@pytest.mark.parametrize("slug", sorted(CASES))
def test_every_case_form_submitted_as_prefilled_is_valid_input(slug):
    case = CASES[slug]
    shown = PredictForm(case=case)
    data = {}
    for name, field in shown.fields.items():
        value = shown[name].value()
        if isinstance(field.widget, NullBooleanSelect):
            data[name] = {True: "true", False: "false"}.get(value, "unknown")
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = value
        elif isinstance(field.widget, DateTimeInput):
            data[name] = field.widget.format_value(value)
        elif value is not None:
            data[name] = str(value)

    submitted = PredictForm(data, case=case)

    assert submitted.is_valid(), submitted.errors
    assert case.schema.validate_rows([submitted.row()])


def test_the_model_card_carries_the_form(served, browser):
    page = browser.get("/models/tiny/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'action="/models/tiny/predict/"' in html
    assert 'name="x1"' in html


def test_a_refused_prediction_reads_in_its_readers_language(served, customer):
    poor = UserFactory(language="ru")
    client = Client()
    client.force_login(poor)
    client.post(FORM_URL, {"x1": "5"})
    refused = Prediction.objects.get(user=poor)

    page = client.get(
        reverse("predictions:detail", args=[refused.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert refused.status == Prediction.Status.REFUSED
    assert "Недостаточно кредитов: прогноз отклонён и ничего не стоил." in page
    assert "Not enough credits" not in page
