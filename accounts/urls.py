from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.my_account, name="my_account"),
    path("account/tokens/", views.api_token_create_view, name="api_token_create"),
    path(
        "account/tokens/<int:token_id>/revoke/",
        views.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("language/", views.language_switch, name="language_switch"),
]
