"""Daily roll-ups of the raw tables, so a report over a year reads a few thousand rows
instead of millions.

A day here is a whole day of the site's time zone. The roll-ups hold only *closed* days:
`RollupWatermark` names the last day folded, `analytics.rollups` folds the days after it
once they have ended (a django-q2 schedule), and every report reads the roll-ups up to the
watermark and the raw tables after it. A report is therefore exact whatever the schedule's
delay; the roll-ups only decide how fast it is.

Rows refer to versions, models and accounts by id without foreign keys: a roll-up is a
derived copy that must never block deleting (or restoring) what it summarises.
"""

from __future__ import annotations

from django.db import models


class RollupWatermark(models.Model):
    """The one row saying which days are folded: every day up to `folded_through`."""

    folded_through = models.DateField()
    folded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"folded through {self.folded_through}"


class DailyPredictions(models.Model):
    """Predictions of one day, per model version and outcome."""

    day = models.DateField()
    model_version_id = models.BigIntegerField()
    status = models.CharField(max_length=20)
    count = models.BigIntegerField()
    rows = models.BigIntegerField()
    cost = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "model_version_id", "status"], name="daily_predictions_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} version {self.model_version_id} {self.status}: {self.count}"


class DailyLatency(models.Model):
    """How many model runs (succeeded or failed) of one day and model took a latency in
    `bucket`: buckets are 2 % wide on a log scale (see `analytics.selectors.daily`), so a
    percentile read from them is within 1 % of the exact one."""

    day = models.DateField()
    model_id = models.BigIntegerField()
    bucket = models.IntegerField()
    count = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "model_id", "bucket"], name="daily_latency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} model {self.model_id} bucket {self.bucket}: {self.count}"


class DailyActivity(models.Model):
    """People of one day: distinct users who asked for a prediction, and sign-ups."""

    day = models.DateField(primary_key=True)
    active_users = models.BigIntegerField()
    signups = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.day}: {self.active_users} active, {self.signups} sign-ups"


class DailyTransfers(models.Model):
    """Money movements of one day, per kind and per the system account on the other side
    of the wallet (which names the model for charges and refunds): the amount summed, and
    summed as the wallet sees it (positive in, negative out)."""

    day = models.DateField()
    kind = models.CharField(max_length=20)
    account_id = models.BigIntegerField()
    total = models.BigIntegerField()
    signed = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "account_id"], name="daily_transfers_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} account {self.account_id}: {self.total}"


class WalletSpending(models.Model):
    """A wallet's running spending (charges and captures net of refunds, since its first
    movement) at the end of each day of one month: what a wallet spent between two days is
    the difference of two values, so the top spenders of any window read two rows per
    wallet instead of every transfer in it (see `analytics.wallet_spending`).

    `through_NN` is the running spending at the end of day NN of the month, NULL when the
    wallet did not spend that day (or the day is not folded yet): the value then is the
    latest earlier one of the month, else `opening`, the running spending at the end of
    the month before. Every wallet that ever spent has a row in every month since, so a
    wallet that is missing from a month had spent nothing yet.
    """

    month = models.DateField()  # the month's first day
    wallet_id = models.BigIntegerField()
    opening = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "wallet_id"], name="wallet_spending_unique")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} wallet {self.wallet_id}"


# One nullable column per day of a month (31 of them, written in a loop, not by hand): a
# NULL costs nothing in a PostgreSQL row, so a wallet that spent on 12 days of a month
# stores 12 values.
for _day in range(1, 32):
    WalletSpending.add_to_class(f"through_{_day:02}", models.BigIntegerField(null=True))
del _day
