"""The built-in sandbox provider: a checkout page on this site where the buyer presses
"pay" or "decline", then a callback signed with HMAC-SHA256 like a real provider's."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.urls import reverse

from billing.models import TopUp
from billing.money import InvalidAmount, format_credits, parse_credits
from billing.providers import Checkout, InvalidCallback, PaymentEvent, PaymentProvider

SIGNATURE_HEADER = "X-Sandbox-Signature"


def _signature(body: bytes) -> str:
    return hmac.new(settings.PAYMENTS_SANDBOX_SECRET.encode(), body, hashlib.sha256).hexdigest()


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def start_checkout(self, topup: TopUp) -> Checkout:
        return Checkout(
            reference=f"sbx_{secrets.token_urlsafe(12)}",
            url=reverse("billing:sandbox_checkout", args=[topup.pk]),
        )

    def signed_callback(self, topup: TopUp, *, paid: bool) -> tuple[bytes, dict[str, str]]:
        """What the sandbox "sends" when the buyer decides: a JSON body and its signature."""
        body = json.dumps(
            {
                "topup_id": topup.pk,
                "reference": topup.provider_reference,
                "status": "paid" if paid else "declined",
                "amount": format_credits(topup.amount),
            },
            sort_keys=True,
        ).encode()
        return body, {SIGNATURE_HEADER: _signature(body)}

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        given = headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given.encode(), _signature(body).encode()):
            raise InvalidCallback("Bad signature.")
        try:
            data = json.loads(body)
            event = PaymentEvent(
                topup_id=int(data["topup_id"]),
                provider_reference=str(data["reference"]),
                paid={"paid": True, "declined": False}[data["status"]],
                amount=parse_credits(str(data["amount"])),
            )
        except (ValueError, KeyError, TypeError, InvalidAmount) as exc:
            raise InvalidCallback(f"Malformed callback: {exc}") from None
        return event
