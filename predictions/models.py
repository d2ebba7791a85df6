from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MLModel(models.Model):
    """A product customers pay for: one ML case, priced per predicted row."""

    slug = models.SlugField(_("case"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Hundredths of a credit per row, like every amount of money in the project.
    price_per_row = models.PositiveIntegerField(_("price per row"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("ML model")
        verbose_name_plural = _("ML models")

    def __str__(self) -> str:
        return self.slug


class ModelVersion(models.Model):
    """One trained artifact of a model, with what it was trained on and how it scored."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("candidate")
        PRODUCTION = "production", _("production")
        ARCHIVED = "archived", _("archived")

    model = models.ForeignKey(MLModel, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    artifact = models.FileField(max_length=255)
    sha256 = models.CharField(max_length=64)
    metrics = models.JSONField(default=dict)
    input_schema = models.JSONField(default=dict)
    library_versions = models.JSONField(default=dict)
    data_fingerprint = models.CharField(max_length=80, blank=True)
    trained_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CANDIDATE)
    # Model card: figures (files under the version's folder), bars met, notes.
    card = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["model", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["model", "version"], name="model_version_unique"),
            # The service serves exactly the production version: two would be ambiguous.
            models.UniqueConstraint(
                fields=["model"],
                condition=Q(status="production"),
                name="one_production_version_per_model",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["candidate", "production", "archived"]),
                name="model_version_status_valid",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="model_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.model.slug} v{self.version} ({self.status})"


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
    # NULL, not "", when absent: the unique constraint must ignore requests without a key.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
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
            models.CheckConstraint(condition=models.Q(rows__gte=1), name="prediction_has_rows"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.status}"
