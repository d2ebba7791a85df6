"""The low-balance email of a paid prediction goes through django-q2, not the request."""

from __future__ import annotations

import pytest
from django.core import mail

from billing.services.wallets import wallet_set_low_balance_threshold


@pytest.mark.django_db
def test_a_paid_prediction_crossing_the_threshold_emails_through_the_queue(
    customer, served, token_client, monkeypatch, django_capture_on_commit_callbacks
):
    from django_q.conf import Conf

    # django-q2's sync mode runs the queued task through its real enqueue path.
    monkeypatch.setattr(Conf, "SYNC", True)
    wallet_set_low_balance_threshold(user=customer, threshold=50)
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client.post(
            "/api/v1/models/tiny/predict", {"inputs": [{"x1": 1.0}] * 8}, format="json"
        )

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert "0.44" in mail.outbox[0].body  # 1.00 - 8 rows at 0.07
