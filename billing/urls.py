from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("billing/top-up/", views.topup, name="topup"),
    path("billing/top-up/<int:pk>/", views.topup_detail, name="topup_detail"),
    path("billing/sandbox/checkout/<int:pk>/", views.sandbox_checkout, name="sandbox_checkout"),
    path("billing/callback/<slug:provider>/", views.payment_callback, name="payment_callback"),
    path("billing/statement/", views.statement, name="statement"),
    path("billing/statement.csv", views.statement_csv, name="statement_csv"),
    path("billing/low-balance/", views.low_balance_alert, name="low_balance"),
]
