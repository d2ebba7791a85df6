from django.apps import AppConfig
from django.db.models.signals import post_save


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"

    def ready(self) -> None:
        from analytics.metrics import prediction_saved

        post_save.connect(
            prediction_saved, sender="predictions.Prediction", dispatch_uid="analytics-metrics"
        )
