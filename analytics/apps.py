from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"

    def ready(self) -> None:
        from analytics import metrics
        from analytics.schedules import ensure_rollup_schedule
        from billing.signals import topup_settled
        from predictions.signals import batch_job_finished, prediction_recorded

        # The services send these once their work commits; analytics only listens.
        prediction_recorded.connect(metrics.prediction_recorded, dispatch_uid="metrics")
        batch_job_finished.connect(metrics.batch_job_finished, dispatch_uid="metrics")
        topup_settled.connect(metrics.topup_settled, dispatch_uid="metrics")
        post_migrate.connect(ensure_rollup_schedule, sender=self)
