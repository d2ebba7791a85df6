from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from accounts.models import User
        from accounts.signals import remember_language
        from accounts.token_cache import forget_saved_user

        user_signed_up.connect(remember_language, dispatch_uid="accounts.language.signed_up")
        user_logged_in.connect(remember_language, dispatch_uid="accounts.language.logged_in")
        post_save.connect(forget_saved_user, sender=User, dispatch_uid="accounts.token_cache")
