from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.models.signals import post_save


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"

    def ready(self) -> None:
        from analytics.metrics import prediction_saved
        from analytics.request_id import clear_request_id

        post_save.connect(
            prediction_saved, sender="predictions.Prediction", dispatch_uid="analytics-metrics"
        )
        request_finished.connect(clear_request_id, dispatch_uid="analytics-request-id")
