from django.urls import path

from predictions.api import views

urlpatterns = [
    path("models", views.ModelListView.as_view(), name="api-models"),
    path("models/<slug:slug>", views.ModelDetailView.as_view(), name="api-model"),
    path("models/<slug:slug>/predict", views.PredictView.as_view(), name="api-predict"),
    path("predictions", views.PredictionListView.as_view(), name="api-predictions"),
    path("predictions/<uuid:pk>", views.PredictionDetailView.as_view(), name="api-prediction"),
]
