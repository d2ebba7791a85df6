"""Analytics reads: operator reports (`usage_reports`, `money_reports`, `latency_reports`)
and the user's dashboard (`dashboard`).

Every figure is aggregated in the database over an indexable `created_at` range (see
`Period.bounds`); days are days of the site's time zone, and days without data are filled
in here rather than left out. Each report returns `Table`s, the one object its page and its
CSV export are drawn from. Analytics only reads: through the other apps' selectors where
they offer the read, from their models otherwise.
"""

from analytics.selectors.dashboard import (
    UserDashboard,
    status_totals,
    user_dashboard,
    user_predictions,
    user_predictions_per_model,
    user_spending_per_day,
)
from analytics.selectors.latency_reports import (
    LATENCY_SAMPLE_LIMIT,
    ModelLatency,
    PercentileCont,
    latency_by_model,
    latency_report,
    percentile,
)
from analytics.selectors.money_reports import ledger_report, revenue_report, top_users_report
from analytics.selectors.usage_reports import batches_report, predictions_report, users_report

__all__ = [
    "LATENCY_SAMPLE_LIMIT",
    "ModelLatency",
    "PercentileCont",
    "UserDashboard",
    "batches_report",
    "latency_by_model",
    "latency_report",
    "ledger_report",
    "percentile",
    "predictions_report",
    "revenue_report",
    "status_totals",
    "top_users_report",
    "user_dashboard",
    "user_predictions",
    "user_predictions_per_model",
    "user_spending_per_day",
    "users_report",
]
