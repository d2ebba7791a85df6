"""The codes of the ledger's system accounts, named here only.

A system account is an `Account` with a `code` and no user: the other side of every wallet
movement. It is created on first use (see `billing.ledger.transfer_insert`), so a code is
its whole definition; building the codes in one place keeps the services, the reports that
group by them and the benchmarks that seed them from drifting apart.
"""

from __future__ import annotations

REVENUE_PREFIX = "revenue:"
CLEARING_PREFIX = "clearing:"
# Credits the operators give (grants) and take back (adjustments).
PROMOTIONS = "promotions"


def revenue_account(model_slug: str) -> str:
    """Where charges for a model's predictions go."""
    return f"{REVENUE_PREFIX}{model_slug}"


def clearing_account(provider: str) -> str:
    """Where money paid in through a payment provider comes from: it goes negative by
    everything bought through that provider."""
    return f"{CLEARING_PREFIX}{provider}"
