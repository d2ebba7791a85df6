"""seed_demo loads fixtures/demo.json and can run again and again to the same state."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.conf import global_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from billing.models import Account, Transfer
from billing.selectors import wallet_balance
from predictions.management.commands.seed_demo import DEMO_EMAIL, DEMO_LOGINS
from predictions.ml.cases import CASES
from predictions.models import MLModel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug(settings):
    # bin/run's settings: the demo accounts exist only on a developer's own site.
    settings.DEBUG = True


def demo_state() -> dict[str, Any]:
    return {
        "users": list(User.objects.order_by("email").values()),
        "emails": list(EmailAddress.objects.order_by("email").values()),
        "catalogue": list(MLModel.objects.values()),
        "wallets": list(Account.objects.order_by("id").values()),
        "transfers": list(Transfer.objects.order_by("id").values()),
    }


def test_seed_demo_loads_the_fixtures_and_a_rerun_changes_nothing():
    call_command("seed_demo")
    first = demo_state()
    call_command("seed_demo")

    assert demo_state() == first
    demo = User.objects.get(email=DEMO_EMAIL)
    assert wallet_balance(user=demo).balance == 10_000  # 100 credits, granted once
    assert set(EmailAddress.objects.filter(verified=True).values_list("email", flat=True)) == set(
        DEMO_LOGINS
    )
    assert User.objects.get(email="operator@mlbilling.local").is_superuser
    assert Account.objects.filter(user__email__in=DEMO_LOGINS).count() == 2


def test_the_printed_passwords_open_the_fixture_accounts(settings, capsys):
    # The fixture stores the project's real hashes, which the tests' fast hasher cannot read.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    call_command("seed_demo")
    printed = capsys.readouterr().out
    for email, password in DEMO_LOGINS.items():
        assert f"{email} / password: {password}" in printed
        assert User.objects.get(email=email).check_password(password)


def test_the_demo_catalogue_offers_every_case_at_its_default_price():
    # The fixture copies what the cases declare: this keeps the copy true.
    call_command("seed_demo")
    catalogue = {m.slug: (m.title, m.description, m.price_per_row) for m in MLModel.objects.all()}
    assert catalogue == {
        slug: (case.title, case.description, case.default_price) for slug, case in CASES.items()
    }


def test_seed_demo_updates_the_catalogue_entries_a_database_already_has():
    MLModel.objects.create(slug="nhanes-age", title="trained before the demo", price_per_row=99)
    call_command("seed_demo")
    assert MLModel.objects.get(slug="nhanes-age").price_per_row == CASES["nhanes-age"].default_price


def test_seed_demo_refuses_to_create_published_logins_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")

    assert not User.objects.exists()
