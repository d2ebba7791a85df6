from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MLModelManager(models.Manager["MLModel"]):
    def get_by_natural_key(self, slug: str) -> MLModel:
        return self.get(slug=slug)


class MLModel(models.Model):
    """A product customers pay for: one ML case, priced per predicted row."""

    slug = models.SlugField(_("case"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Hundredths of a credit per row, like every amount of money in the project.
    price_per_row = models.PositiveIntegerField(_("price per row"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = MLModelManager()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("ML model")
        verbose_name_plural = _("ML models")

    def __str__(self) -> str:
        return self.slug

    def natural_key(self) -> tuple[str]:
        # The slug, not the id, names a row in fixtures/: loaddata updates the catalogue
        # entry a database already has instead of inserting a second one.
        return (self.slug,)


class ModelVersion(models.Model):
    """One trained artifact of a model, with what it was trained on and how it scored."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("candidate")
        PRODUCTION = "production", _("production")
        ARCHIVED = "archived", _("archived")

    model = models.ForeignKey(
        MLModel, on_delete=models.PROTECT, related_name="versions", verbose_name=_("model")
    )
    version = models.PositiveIntegerField(_("version"))
    artifact = models.FileField(_("artifact"), max_length=255)
    sha256 = models.CharField(_("sha256"), max_length=64)
    metrics = models.JSONField(_("metrics"), default=dict)
    input_schema = models.JSONField(_("input schema"), default=dict)
    library_versions = models.JSONField(_("library versions"), default=dict)
    data_fingerprint = models.CharField(_("data fingerprint"), max_length=80, blank=True)
    trained_at = models.DateTimeField(_("trained at"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CANDIDATE
    )
    # Model card: figures (files under the version's folder), bars met, notes.
    card = models.JSONField(_("card"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    promoted_at = models.DateTimeField(_("promoted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
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
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="predictions",
        verbose_name=_("user"),
        db_index=False,  # prediction_user_created (user, -created_at) leads with it
    )
    model_version = models.ForeignKey(
        "predictions.ModelVersion",
        on_delete=models.PROTECT,
        related_name="predictions",
        verbose_name=_("model version"),
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.API)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    rows = models.PositiveIntegerField(_("rows"))
    inputs = models.JSONField(_("inputs"))
    outputs = models.JSONField(_("outputs"), null=True, blank=True)
    cost = models.BigIntegerField(_("cost"), default=0, help_text=_("Hundredths of a credit."))
    # The wallet balance right after the charge: a replayed request answers with the
    # balance its first response showed.
    balance_after = models.BigIntegerField(_("balance after"), null=True, blank=True)
    latency_ms = models.FloatField(_("latency (ms)"), default=0)
    # NULL, not "", when absent: the unique constraint must ignore requests without a key.
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, null=True, blank=True)  # noqa: DJ001
    # sha256 of the canonical request (model + inputs): the same key with another body
    # is refused instead of silently answering with the first result.
    request_hash = models.CharField(_("request hash"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("prediction")
        verbose_name_plural = _("predictions")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="prediction_user_created"),
            # Operator reports aggregate every prediction of a date range (analytics).
            models.Index(fields=["created_at"], name="prediction_created"),
        ]
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


# --- Batch jobs --------------------------------------------------------------------------


def _batch_file_name(instance: object, filename: str) -> str:
    # Random names: a stored file is never found by guessing, and the user's file name
    # (kept in `original_name`) never reaches the file system.
    return f"batches/{uuid.uuid4().hex}.csv"


class BatchJob(models.Model):
    """A CSV of rows predicted in the background, paid through one hold.

    Life: draft (uploaded, checked, awaiting the user's confirmation on the website) ->
    queued (hold placed, task enqueued) -> running (claimed by a worker, heartbeat fresh)
    -> done | cancelled | failed. A running job whose heartbeat goes stale is claimed
    again and restarted from its first row.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("awaiting confirmation")
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")
        FAILED = "failed", _("failed")

    FINISHED = (Status.DONE, Status.CANCELLED, Status.FAILED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="batch_jobs",
        verbose_name=_("user"),
    )
    model = models.ForeignKey(
        MLModel, on_delete=models.PROTECT, related_name="batch_jobs", verbose_name=_("model")
    )
    # Pinned at upload: a promotion during the job must not mix two models in one result.
    model_version = models.ForeignKey(
        ModelVersion,
        on_delete=models.PROTECT,
        related_name="batch_jobs",
        verbose_name=_("model version"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    original_name = models.CharField(_("file name"), max_length=255)
    input_file = models.FileField(_("input file"), upload_to=_batch_file_name, max_length=255)
    input_size = models.BigIntegerField(_("input size"))
    input_sha256 = models.CharField(_("input sha256"), max_length=64)
    result_file = models.FileField(
        _("result file"), upload_to=_batch_file_name, max_length=255, blank=True
    )
    rows_total = models.PositiveIntegerField(_("rows total"))
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_failed = models.PositiveIntegerField(_("rows failed"), default=0)
    # Money, in hundredths of a credit: the price when the job was created, the most it
    # can cost (the hold) and what was captured at the end.
    price_per_row = models.PositiveIntegerField(_("price per row"))
    max_cost = models.BigIntegerField(_("max cost"))
    charged = models.BigIntegerField(_("charged"), default=0)
    hold = models.OneToOneField(
        "billing.Hold",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hold"),
    )
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    # Each claim by a worker increments it; a worker writes only while it still holds
    # its attempt, so a worker that was given up for dead cannot overwrite a newer one.
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    heartbeat_at = models.DateTimeField(_("heartbeat at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("batch job")
        verbose_name_plural = _("batch jobs")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["draft", "queued", "running", "done", "cancelled", "failed"]
                ),
                name="batch_job_status_valid",
            ),
            models.CheckConstraint(condition=Q(rows_total__gte=1), name="batch_job_has_rows"),
            models.CheckConstraint(
                condition=Q(rows_failed__lte=F("rows_done")) & Q(rows_done__lte=F("rows_total")),
                name="batch_job_progress_within_total",
            ),
            models.CheckConstraint(
                condition=Q(charged__gte=0) & Q(charged__lte=F("max_cost")),
                name="batch_job_charged_within_hold",
            ),
            # Every job past the draft stage is backed by its hold.
            models.CheckConstraint(
                condition=Q(status="draft") | Q(hold__isnull=False),
                name="batch_job_confirmed_has_hold",
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="batch_job_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "heartbeat_at"],
                name="batch_job_active_idx",
                condition=Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status})"

    @property
    def rows_succeeded(self) -> int:
        return self.rows_done - self.rows_failed

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def reference(self) -> str:
        """The billing reference of this job's hold and capture."""
        return f"batch:{self.pk}"
