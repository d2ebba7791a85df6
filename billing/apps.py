from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from billing.signals import open_wallet_for_new_user

        # Connected here, not in accounts: accounts must not know about billing.
        post_save.connect(
            open_wallet_for_new_user,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="billing.open_wallet_for_new_user",
        )
