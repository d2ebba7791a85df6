from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PredictionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "predictions"
    verbose_name = _("Models and predictions")

    def ready(self) -> None:
        from predictions.batch.schedules import ensure_batch_schedules

        post_migrate.connect(ensure_batch_schedules, sender=self)
