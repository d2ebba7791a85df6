from django.urls import path

from predictions.api import batch as batch_api
from predictions.api import views

urlpatterns = [
    path("models", views.ModelListView.as_view(), name="api_models"),
    path("models/<slug:slug>", views.ModelDetailView.as_view(), name="api_model"),
    path("models/<slug:slug>/predict", views.PredictView.as_view(), name="api_predict"),
    path("predictions", views.PredictionListView.as_view(), name="api_predictions"),
    path("predictions/<uuid:pk>", views.PredictionDetailView.as_view(), name="api_prediction"),
]

# --- Batch jobs ---------------------------------------------------------------------------
urlpatterns += [
    path("batches", batch_api.BatchListCreateView.as_view(), name="api_batch_list"),
    path("batches/<int:job_id>", batch_api.BatchDetailView.as_view(), name="api_batch_detail"),
    path(
        "batches/<int:job_id>/result", batch_api.BatchResultView.as_view(), name="api_batch_result"
    ),
    path(
        "batches/<int:job_id>/cancel", batch_api.BatchCancelView.as_view(), name="api_batch_cancel"
    ),
]
