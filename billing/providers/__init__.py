"""Payment providers behind one small interface.

A provider starts a checkout for a pending top-up (returning its own reference and the URL
the buyer is sent to) and turns the provider's callback request into a verified
`PaymentEvent`, refusing anything it cannot authenticate. The services never see raw
callbacks; see docs/billing.md for adding a real provider.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from billing.models import TopUp


class InvalidCallback(Exception):
    """A callback that is malformed or not signed by the provider: ignore it, move nothing."""


@dataclass(frozen=True)
class Checkout:
    reference: str
    url: str


@dataclass(frozen=True)
class PaymentEvent:
    topup_id: int
    provider_reference: str
    paid: bool
    amount: int


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def start_checkout(self, topup: TopUp) -> Checkout:
        """Create the provider-side checkout for a new top-up."""

    @abstractmethod
    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        """Verify and decode a callback; raise InvalidCallback for anything unauthentic."""


def get_provider(name: str) -> PaymentProvider:
    try:
        path = settings.BILLING_PAYMENT_PROVIDERS[name]
    except KeyError:
        raise InvalidCallback(f"Unknown payment provider {name!r}.") from None
    return import_string(path)()
