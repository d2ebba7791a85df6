"""Settings of the server bench/api.py measures: the product's, plus the yardstick URLs.

The yardsticks (bench/endpoints.py) debit wallets without authentication, so only this
module mounts them; the product's settings and URLconf never can.
"""

from __future__ import annotations

from mlbilling.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
