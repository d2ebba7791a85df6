"""Analytics reads: operator reports (`usage_reports`, `money_reports`, `latency_reports`)
and the user's dashboard (`dashboard`).

Every figure is aggregated in the database: from the daily roll-ups for the days folded
and over an indexable `created_at` range of the raw tables after them (see
`analytics.selectors.daily` and `Period.bounds`); days are days of the site's time zone,
and days without data are filled in here rather than left out. Each report returns
`Table`s, the one object its page and its CSV export are drawn from. Analytics only reads
the other apps: through their selectors where they offer the read, from their models
otherwise; it writes only its own roll-ups (`analytics.rollups`).
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
    ModelLatency,
    histogram_percentile,
    latency_by_model,
    latency_report,
)
from analytics.selectors.money_reports import ledger_report, revenue_report, top_users_report
from analytics.selectors.usage_reports import batches_report, predictions_report, users_report

__all__ = [
    "ModelLatency",
    "UserDashboard",
    "batches_report",
    "histogram_percentile",
    "latency_by_model",
    "latency_report",
    "ledger_report",
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
