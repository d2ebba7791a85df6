from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse

from billing.models import Account, TopUp, TopUpState
from billing.providers.sandbox import SIGNATURE_HEADER, SandboxProvider
from billing.selectors import wallet_balance
from billing.services.topups import topup_create
from billing.services.wallets import wallet_charge, wallet_grant

CALLBACK = "/billing/callback/sandbox/"


def _deliver(client, body: bytes, signature: str):
    return client.post(
        CALLBACK,
        body,
        content_type="application/json",
        **{f"HTTP_{SIGNATURE_HEADER.upper().replace('-', '_')}": signature},
    )


def _signed(topup: TopUp, *, paid: bool = True) -> tuple[bytes, str]:
    body, headers = SandboxProvider().signed_callback(topup, paid=paid)
    return body, headers[SIGNATURE_HEADER]


def test_pages_need_a_login(client):
    response = client.get(reverse("billing:statement"))
    assert response.status_code == 302
    assert "/auth/login/" in response["Location"]


def test_the_top_up_page_offers_packages_and_a_custom_amount(logged_in_client):
    page = logged_in_client.get(reverse("billing:topup")).content.decode()
    assert 'value="10.00"' in page
    assert 'name="amount"' in page


def test_the_top_up_and_checkout_pages_show_the_price_and_currency(logged_in_client, settings):
    settings.BILLING_CURRENCY = "USD"
    settings.BILLING_CREDIT_PRICE_MINOR = 12  # 0.12 USD a credit

    english = logged_in_client.get(reverse("billing:topup")).content.decode()
    russian = logged_in_client.get(reverse("billing:topup"), HTTP_ACCEPT_LANGUAGE="ru")
    checkout = logged_in_client.post(reverse("billing:topup"), {"amount": "10.01"}, follow=True)

    assert "One credit costs 0.12 USD." in english
    assert "3.00 USD" in english  # the 25.00 package
    assert "Один кредит стоит 0,12 USD." in russian.content.decode()
    assert "Купить 25,00" in russian.content.decode()
    # 10.01 credits are 120.12 cents: a sale rounds up to a whole cent.
    assert "to pay: 1.21 USD" in checkout.content.decode()


def test_buying_a_package_through_the_sandbox_credits_the_wallet(logged_in_client, user):
    response = logged_in_client.post(reverse("billing:topup"), {"amount": "25.00"})
    topup = TopUp.objects.get(user=user)
    assert response["Location"] == reverse("billing:sandbox_checkout", args=[topup.pk])
    assert "Pay" in logged_in_client.get(response["Location"]).content.decode()
    paid = logged_in_client.post(response["Location"], {"decision": "pay"})
    assert paid["Location"] == reverse("billing:topup_detail", args=[topup.pk])
    assert wallet_balance(user=user).balance == 2_500
    # Paying again from the same page does nothing more.
    logged_in_client.post(response["Location"], {"decision": "pay"})
    assert wallet_balance(user=user).balance == 2_500
    assert "Succeeded" in logged_in_client.get(paid["Location"]).content.decode()


def test_a_russian_reader_is_told_the_credits_added_with_a_decimal_comma(logged_in_client, user):
    response = logged_in_client.post(reverse("billing:topup"), {"amount": "25.00"})

    paid = logged_in_client.post(
        response["Location"], {"decision": "pay"}, follow=True, HTTP_ACCEPT_LANGUAGE="ru"
    )

    assert "На ваш баланс зачислено 25,00 кредита." in paid.content.decode()  # noqa: RUF001


def test_declining_in_the_sandbox_fails_the_top_up(logged_in_client, user):
    topup = topup_create(user=user, amount=2_500)
    logged_in_client.post(
        reverse("billing:sandbox_checkout", args=[topup.pk]), {"decision": "decline"}
    )
    topup.refresh_from_db()
    assert topup.state == TopUpState.FAILED
    assert wallet_balance(user=user).balance == 0


@pytest.mark.parametrize("amount", ["0", "-10", "10.001", "ten", "", "4.99", "1000.01", "1e9"])
def test_bad_top_up_amounts_are_shown_on_the_form(logged_in_client, amount):
    response = logged_in_client.post(reverse("billing:topup"), {"amount": amount})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not TopUp.objects.exists()


def test_another_users_top_up_and_checkout_are_404(logged_in_client, other_user):
    theirs = topup_create(user=other_user, amount=2_500)
    assert (
        logged_in_client.get(reverse("billing:topup_detail", args=[theirs.pk])).status_code == 404
    )
    checkout = reverse("billing:sandbox_checkout", args=[theirs.pk])
    assert logged_in_client.post(checkout, {"decision": "pay"}).status_code == 404
    assert wallet_balance(user=other_user).balance == 0


def test_a_signed_callback_credits_once_however_often_it_arrives(client, user):
    topup = topup_create(user=user, amount=2_500)
    body, signature = _signed(topup)
    assert [_deliver(client, body, signature).status_code for _ in range(3)] == [200] * 3
    assert wallet_balance(user=user).balance == 2_500


def test_a_forged_callback_moves_nothing(client, user):
    topup = topup_create(user=user, amount=2_500)
    body, _signature = _signed(topup)
    assert _deliver(client, body, "0" * 64).status_code == 400
    assert _deliver(client, body, "").status_code == 400
    tampered = json.loads(body) | {"amount": "250.00"}
    assert _deliver(client, json.dumps(tampered).encode(), _signature).status_code == 400
    assert wallet_balance(user=user).balance == 0


def test_a_callback_for_an_unknown_top_up_is_a_404(client, user):
    topup = topup_create(user=user, amount=2_500)
    topup.pk += 1000
    body, signature = _signed(topup)
    assert _deliver(client, body, signature).status_code == 404


def test_a_malformed_but_signed_callback_is_refused(client, settings):
    from billing.providers.sandbox import _signature

    body = b'{"topup_id": "x"}'
    assert _deliver(client, body, _signature(body)).status_code == 400


def test_a_late_callback_credits_nothing(client, user):
    topup = topup_create(user=user, amount=2_500)
    TopUp.objects.filter(pk=topup.pk).update(expires_at=topup.created_at - timedelta(seconds=1))
    body, signature = _signed(topup)
    assert _deliver(client, body, signature).status_code == 409
    assert wallet_balance(user=user).balance == 0


def test_a_callback_for_an_unknown_provider_is_refused(client):
    assert (
        client.post("/billing/callback/nope/", b"{}", content_type="application/json").status_code
        == 400
    )


def test_the_statement_shows_every_movement_with_a_running_balance(
    logged_in_client, user, other_user
):
    wallet_grant(user=user, amount=1_000, reason="welcome credits")
    wallet_charge(user=user, amount=250, reference="p:1", revenue_account="revenue:x")
    wallet_grant(user=other_user, amount=7_700, reason="someone else's")
    page = logged_in_client.get(reverse("billing:statement")).content.decode()
    assert "welcome credits" in page
    assert "-2.50" in page
    assert "7.50" in page
    assert "someone else" not in page
    assert "77.00" not in page


def test_the_statement_filters_by_kind(logged_in_client, user):
    wallet_grant(user=user, amount=1_000, reason="welcome credits")
    wallet_charge(user=user, amount=250, reference="p:1", revenue_account="revenue:x")
    page = logged_in_client.get(reverse("billing:statement"), {"kind": "charge"}).content.decode()
    assert "p:1" in page
    assert "welcome credits" not in page


def test_the_statement_exports_csv(logged_in_client, user, other_user):
    wallet_grant(user=user, amount=1_000, reason="welcome")
    wallet_charge(user=user, amount=250, reference="p:1", revenue_account="revenue:x")
    wallet_grant(user=other_user, amount=7_700, reason="theirs")
    response = logged_in_client.get(reverse("billing:statement_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-2:] == ["amount", "balance_after"]
    assert [(r[2], r[6], r[7]) for r in rows[1:]] == [
        ("charge", "-2.50", "7.50"),
        ("grant", "10.00", "10.00"),
    ]


def test_the_statement_csv_makes_text_a_spreadsheet_would_run_inert(logged_in_client, user):
    wallet_grant(user=user, amount=1_000, reason="@SUM(A1)")
    for reference, description in [
        ('=HYPERLINK("http://x")', "+cmd"),
        ("-2+3+cmd", "\t=1+1"),
        ("p:3", "\r=1+1"),
    ]:
        wallet_charge(
            user=user,
            amount=100,
            reference=reference,
            revenue_account="revenue:x",
            description=description,
        )

    response = logged_in_client.get(reverse("billing:statement_csv"))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r[3], r[5], r[6]) for r in rows[1:]] == [
        ("p:3", "'\r=1+1", "-1.00"),
        ("'-2+3+cmd", "'\t=1+1", "-1.00"),
        ('\'=HYPERLINK("http://x")', "'+cmd", "-1.00"),
        (rows[4][3], "'@SUM(A1)", "10.00"),
    ]


def test_the_low_balance_threshold_is_saved_and_can_be_turned_off(logged_in_client, user):
    logged_in_client.post(reverse("billing:low_balance"), {"threshold": "5.00"})
    assert Account.objects.get(user=user).low_balance_threshold == 500
    logged_in_client.post(reverse("billing:low_balance"), {"threshold": "-1"})
    assert Account.objects.get(user=user).low_balance_threshold == 500
    logged_in_client.post(reverse("billing:low_balance"), {"threshold": ""})
    assert Account.objects.get(user=user).low_balance_threshold is None


def test_the_navigation_shows_the_balance_and_links(logged_in_client, user):
    wallet_grant(user=user, amount=4_200, reason="test")
    page = logged_in_client.get(reverse("home")).content.decode()
    assert "42.00" in page
    assert reverse("billing:topup") in page
    assert reverse("billing:statement") in page


def test_a_reversed_date_range_is_explained_not_applied(logged_in_client, user):
    wallet_grant(user=user, amount=1_000, reason="welcome credits")
    page = logged_in_client.get(
        reverse("billing:statement"), {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    ).content.decode()
    assert "The start date is after the end date." in page
    assert "welcome credits" in page


def test_without_a_payment_provider_the_top_up_form_says_so_and_creates_nothing(
    logged_in_client, settings
):
    settings.BILLING_PAYMENT_PROVIDERS = {}
    response = logged_in_client.post(reverse("billing:topup"), {"amount": "25.00"})
    assert response.status_code == 200
    assert "no payment provider is configured" in response.content.decode()
    assert not TopUp.objects.exists()
