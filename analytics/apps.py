from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"

    def ready(self) -> None:
        from analytics.metrics import prediction_saved
        from analytics.schedules import ensure_rollup_schedule

        post_save.connect(
            prediction_saved, sender="predictions.Prediction", dispatch_uid="analytics-metrics"
        )
        post_migrate.connect(ensure_rollup_schedule, sender=self)
