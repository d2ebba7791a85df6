from django.urls import path

from billing import api

urlpatterns = [
    path("balance", api.BalanceView.as_view(), name="api_balance"),
    path("transactions", api.TransactionListView.as_view(), name="api_transactions"),
    path("topups", api.TopUpCreateView.as_view(), name="api_topups"),
    path("topups/<int:pk>", api.TopUpDetailView.as_view(), name="api_topup"),
]
