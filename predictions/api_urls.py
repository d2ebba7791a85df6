from django.urls import path

from predictions.batch import api as batch_api

urlpatterns: list = []

# --- Batch jobs ---------------------------------------------------------------------------
urlpatterns += [
    path("batches", batch_api.BatchListCreateView.as_view(), name="api-batch-list"),
    path("batches/<int:job_id>", batch_api.BatchDetailView.as_view(), name="api-batch-detail"),
    path(
        "batches/<int:job_id>/result", batch_api.BatchResultView.as_view(), name="api-batch-result"
    ),
    path(
        "batches/<int:job_id>/cancel", batch_api.BatchCancelView.as_view(), name="api-batch-cancel"
    ),
]
