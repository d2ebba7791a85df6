from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


# --- Prediction records (the paid prediction API and the website form) ----------------


class Prediction(models.Model):
    """One prediction request of a user, whatever its outcome.

    Succeeded ones were charged `cost` in the same transaction that wrote them; failed
    (the model raised) and refused (not enough credits) ones cost nothing and are kept so
    that the user and the operator can see them. The id is a UUID chosen before the
    charge: it is the charge's reference, and it does not reveal how many others exist.
    """

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        REFUSED = "refused", _("refused for credits")

    class Source(models.TextChoices):
        API = "api", _("API")
        WEB = "web", _("website")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="predictions"
    )
    model_version = models.ForeignKey(
        "predictions.ModelVersion", on_delete=models.PROTECT, related_name="predictions"
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    status = models.CharField(max_length=16, choices=Status.choices)
    rows = models.PositiveIntegerField()
    inputs = models.JSONField()
    outputs = models.JSONField(null=True, blank=True)
    cost = models.BigIntegerField(default=0, help_text=_("Hundredths of a credit."))
    # The wallet balance right after the charge: a replayed request answers with the
    # balance its first response showed.
    balance_after = models.BigIntegerField(null=True, blank=True)
    latency_ms = models.FloatField(default=0)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    # sha256 of the canonical request (model + inputs): the same key with another body
    # is refused instead of silently answering with the first result.
    request_hash = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="prediction_user_created")]
        constraints = [
            # Only a success spends a key: nothing was charged for a failure or a refusal,
            # so retrying those with the same key may run again. Concurrent duplicates
            # race on this index and exactly one commits.
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False, status="succeeded"),
                name="prediction_idempotency_key_once",
            ),
            models.CheckConstraint(
                condition=models.Q(cost__gte=0), name="prediction_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(status="succeeded") | models.Q(cost=0),
                name="prediction_only_success_costs",
            ),
            models.CheckConstraint(
                condition=models.Q(rows__gte=1), name="prediction_has_rows"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.status}"
