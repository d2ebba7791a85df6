"""The site in English and Russian: chosen from the browser or the footer switcher."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from billing.notifications import send_low_balance_email
from predictions.ml.cases import CASES
from predictions.ml.schema import SchemaError
from predictions.serving.forms import PredictForm

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"


@pytest.fixture(autouse=True)
def _english_after_each_test():
    # LocaleMiddleware activates a request's language for the whole thread; tests that run
    # later, outside any request, must not inherit Russian from these.
    yield
    translation.deactivate()


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_landing_page_is_russian_for_a_russian_browser(client):
    body = _text(client.get(reverse("home"), **RU))

    assert '<html lang="ru">' in body
    assert "<h1>Прогнозы машинного обучения" in body
    assert "Machine learning predictions" not in body


def test_the_landing_page_stays_english_by_default(client):
    body = _text(client.get(reverse("home")))

    assert '<html lang="en">' in body
    assert "Machine learning predictions, paid per prediction" in body


def test_the_login_form_uses_allauths_russian_labels_in_our_layout(client):
    body = _text(client.get(reverse("account_login"), **RU))

    assert "Пароль" in body
    assert "Регистрация" in body  # our own header link


def test_the_statement_and_its_filter_form_are_russian(client):
    client.force_login(UserFactory())

    body = _text(client.get(reverse("billing:statement"), **RU))

    assert "<h1>Выписка</h1>" in body
    assert "Операций пока нет." in body
    assert "Написать мне, когда баланс опустится ниже" in body


def test_a_top_up_form_error_is_russian(client):
    client.force_login(UserFactory())

    body = _text(client.post(reverse("billing:topup"), {"amount": "много"}, **RU))

    assert "Введите число, например 12.50." in body


def test_a_model_card_is_russian_fixed_text_title_and_description(client):
    body = _text(client.get(reverse("predictions:model_detail", args=["glioma-grade"]), **RU))

    assert "Входные данные" in body
    assert "Источник данных" in body
    assert "кредита за строку" in body
    assert "<h1>Степень глиомы по мутациям (LGG или GBM)</h1>" in body
    assert "Только для поддержки решений, не диагноз." in body


def test_a_description_with_a_percent_sign_is_translated_on_the_models_page(client):
    body = _text(client.get(reverse("predictions:model_list"), **RU))

    assert "пожилых в выборке лишь 16 %" in body
    assert "тревогу поднимает примерно 1 % обычных часов" in body


def test_the_batch_upload_help_is_in_the_language_of_the_request(client):
    client.force_login(UserFactory())

    body = _text(client.get(reverse("predictions:batch_new"), **RU))

    assert "первая строка называет столбцы" in body


def test_a_models_input_labels_are_russian_on_its_card(client):
    body = _text(client.get(reverse("predictions:model_detail", args=["nhanes-age"]), **RU))

    assert "Глюкоза плазмы натощак" in body
    assert "делённый на квадрат роста" in body


def test_the_prediction_form_labels_follow_the_language():
    case = CASES["cirrhosis-survival"]

    with translation.override("ru"):
        form = PredictForm(case=case)

    assert str(form.fields["bilirubin"].label) == "Билирубин сыворотки"


def test_every_case_title_description_and_protocol_has_a_russian_translation():
    with translation.override("ru"):
        untranslated = [
            text
            for case in CASES.values()
            for text in (case.title, case.description, case.evaluation_protocol)
            if translation.gettext(text) == text
        ]

    assert untranslated == []


def test_the_api_keeps_model_titles_in_english_whatever_the_language():
    api = APIClient()
    api.force_authenticate(UserFactory())

    response = api.get(reverse("api_model", args=["glioma-grade"]), HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    assert response.json()["title"] == "Glioma grade from mutations (LGG or GBM)"


def _switch(client, language: str):
    return client.post(reverse("language_switch"), {"language": language, "next": reverse("home")})


def test_the_switcher_sets_the_language_cookie_that_the_next_page_follows(client):
    home = _text(client.get(reverse("home")))
    assert f'action="{reverse("language_switch")}"' in home
    assert 'name="language" value="ru"' in home

    response = _switch(client, "ru")

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert "Как устроена оплата" in _text(client.get(reverse("home")))


def test_switching_while_logged_in_sets_the_language_of_later_emails(client):
    user = UserFactory(language="en")
    client.force_login(user)

    _switch(client, "ru")

    user.refresh_from_db()
    assert user.language == "ru"


def test_the_switcher_ignores_a_language_the_site_does_not_have(client):
    user = UserFactory()
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(language="ru")

    _switch(client, "de")

    user.refresh_from_db()
    assert user.language == "ru"
    assert "Как устроена оплата" not in _text(client.get(reverse("home")))


def test_the_sign_up_verification_email_is_russian_for_a_russian_user(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "ivan@example.com",
            "password1": "plum-orchard-42",
            "password2": "plum-orchard-42",
        },
        **RU,
    )

    [message] = mail.outbox
    assert "Пожалуйста, подтвердите Ваш адрес электронной почты" in message.subject
    assert message.body.startswith("Здравствуйте! Пишет mlbilling.")
    assert "Спасибо, что пользуетесь mlbilling." in message.body
    assert User.objects.get(email="ivan@example.com").language == "ru"


def test_logging_in_from_a_russian_browser_remembers_russian_when_none_is_stored(client):
    user = UserFactory(language="")

    client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD}, **RU)

    user.refresh_from_db()
    assert user.language == "ru"


def test_the_stored_language_wins_in_a_new_browser_from_the_login_on(client):
    user = UserFactory(language="ru")

    login = client.post(
        reverse("account_login"),
        {"login": user.email, "password": DEFAULT_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert login.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert 'lang="ru"' in _text(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en"))
    user.refresh_from_db()
    assert user.language == "ru"


def test_a_low_balance_email_from_a_worker_is_in_the_users_language(settings):
    settings.LANGUAGE_CODE = "en"
    user = UserFactory(language="ru")

    with translation.override("en"):
        send_low_balance_email(user_id=user.pk, balance=150)

    [message] = mail.outbox
    assert message.subject.endswith("вашем счёте мало кредитов")
    assert "опустился до 1,50 кредита" in message.body  # the Russian decimal comma


def test_api_errors_keep_their_code_and_localise_only_the_detail():
    api = APIClient()
    api.force_authenticate(UserFactory())
    url = reverse("api_topups")

    english = api.post(url, {"amount": "lots"}, format="json")
    russian = api.post(url, {"amount": "lots"}, format="json", HTTP_ACCEPT_LANGUAGE="ru")

    assert english.status_code == russian.status_code == 400
    assert english.json()["code"] == russian.json()["code"] == "invalid"
    assert english.json()["detail"] == "Invalid input."
    assert russian.json()["detail"] == "Неверные входные данные."
    assert russian.json()["errors"]["amount"] == ["Введите число, например 12.50."]


_ENTRY = re.compile(
    r"^(?P<flags>#,.*\n)?(?:#.*\n)*msgid (?P<id>(?:\".*\"\n)+)"
    r"(?:msgid_plural (?P<plural>(?:\".*\"\n)+))?(?P<strs>(?:msgstr.*\n(?:\".*\"\n)*)+)",
    re.M,
)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(lines: str) -> str:
    text = "".join(re.findall(r'"(.*)"', lines))
    return re.sub(r"\\(.)", lambda escape: _ESCAPES[escape[1]], text)


def _entries() -> list[dict[str, object]]:
    source = (CATALOGUE / "django.po").read_text(encoding="utf-8") + "\n"
    entries = []
    for match in _ENTRY.finditer(source):
        strs = [
            _unquote(s) for s in re.split(r"^msgstr(?:\[\d\])? ", match["strs"], flags=re.M)[1:]
        ]
        entries.append(
            {
                "id": _unquote(match["id"]),
                "plural": match["plural"] is not None,
                "fuzzy": "fuzzy" in (match["flags"] or ""),
                "strs": strs,
            }
        )
    return entries


def test_the_russian_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = _entries()
    messages = [entry for entry in entries if entry["id"]]

    assert len(messages) > 200  # the parser found the catalogue, not nothing
    assert [e["id"] for e in entries if e["fuzzy"]] == []
    assert [e["id"] for e in messages if not all(e["strs"])] == []
    # Russian needs every plural form Django's ru Plural-Forms header declares (four).
    assert [e["id"] for e in messages if e["plural"] and len(e["strs"]) != 4] == []


def test_the_compiled_catalogue_matches_the_translations():
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = [
        entry["id"]
        for entry in _entries()
        if entry["id"] and not entry["plural"] and compiled.gettext(entry["id"]) != entry["strs"][0]
    ]

    assert stale == [], "run manage.py compilemessages"


def test_the_not_found_page_is_russian(client):
    response = client.get("/no-such-page/", **RU)

    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()


def test_a_models_own_input_errors_are_russian():
    case = CASES["glioma-grade"]

    with translation.override("ru"), pytest.raises(SchemaError) as refused:
        case.schema.validate_rows([{**case.example, "age_at_diagnosis": "old"}])

    assert str(refused.value).startswith("строка 0, age_at_diagnosis: Укажите возраст в годах")


def test_date_inputs_hold_iso_dates_on_a_russian_page(client):
    client.force_login(UserFactory(language="ru"))

    dashboard = _text(client.get(reverse("analytics:dashboard"), **RU))

    values = re.findall(r'<input type="date"[^>]*value="([^"]*)"', dashboard)
    assert values, "the dashboard's period has two date inputs"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", value) for value in values), values
