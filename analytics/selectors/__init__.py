"""Analytics reads: operator reports (`reports`) and the user's dashboard (`dashboard`)."""

from analytics.selectors.dashboard import (
    UserDashboard,
    status_totals,
    user_dashboard,
    user_predictions,
    user_predictions_per_model,
    user_spending_per_day,
)
from analytics.selectors.reports import (
    LATENCY_SAMPLE_LIMIT,
    ModelLatency,
    PercentileCont,
    batches_report,
    latency_by_model,
    latency_report,
    ledger_report,
    percentile,
    predictions_report,
    revenue_report,
    top_users_report,
    users_report,
)

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
