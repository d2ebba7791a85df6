from allauth.account.apps import AccountConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # this module holds a second config, allauth's under another name
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    # Three admin sections were all called "Accounts": ours, allauth's and billing's model.
    verbose_name = _("Users and API tokens")

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from accounts.models import User
        from accounts.signals import language_on_login, remember_language
        from accounts.token_cache import forget_saved_user

        user_signed_up.connect(remember_language, dispatch_uid="accounts.language.signed_up")
        user_logged_in.connect(language_on_login, dispatch_uid="accounts.language.logged_in")
        post_save.connect(forget_saved_user, sender=User, dispatch_uid="accounts.token_cache")


class EmailAddressesConfig(AccountConfig):
    """allauth's account app under a name that says what the admin section holds."""

    default = False
    verbose_name = _("Email addresses")
