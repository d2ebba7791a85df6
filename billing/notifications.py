"""Emails about a wallet: queued on django-q2 once the transaction that triggered them
commits, and sent by a worker, so a slow mail server never slows a paid request."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import User
from billing.money import credits_number

logger = logging.getLogger(__name__)

LOW_BALANCE_TASK = "billing.tasks.send_low_balance_email"


def low_balance_email_enqueue(*, user_id: int, balance: int) -> None:
    """Queue the low-balance email (call after commit: the task must find the debit)."""
    # Imported here, as the batch worker does, so tests can replace django-q2's enqueue.
    from django_q.tasks import async_task

    async_task(LOW_BALANCE_TASK, user_id, balance, group="email")


def send_low_balance_email(*, user_id: int, balance: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    # In the person's language even from a worker, where no browser says which.
    with translation.override(user.language or translation.get_language()):
        context = {"user": user, "balance": credits_number(balance)}
        subject = render_to_string("billing/email/low_balance_subject.txt", context).strip()
        message = render_to_string("billing/email/low_balance.txt", context)
    try:
        send_mail(subject=subject, message=message, from_email=None, recipient_list=[user.email])
    except OSError:
        # The debit is committed and must stand; a lost reminder is only logged.
        logger.exception("Low-balance email to user %s failed", user_id)
