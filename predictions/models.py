from __future__ import annotations

from django.db import models
from django.db.models import Q
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
