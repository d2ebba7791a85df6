from django.urls import path

from predictions.batch import views as batch_views
from predictions.serving import views

app_name = "predictions"
urlpatterns = [
    path("models/", views.model_index, name="model_list"),
    path("models/<slug:slug>/", views.model_detail, name="model_detail"),
    path(
        "models/<slug:slug>/v<int:version>/figures/<str:name>",
        views.model_figure,
        name="model_figure",
    ),
]

# --- Batch jobs ---------------------------------------------------------------------------
urlpatterns += [
    path("batches/", batch_views.batch_list, name="batch_list"),
    path("batches/new/", batch_views.batch_new, name="batch_new"),
    path("batches/template/<slug:slug>.csv", batch_views.batch_template, name="batch_template"),
    path("batches/<int:job_id>/", batch_views.batch_detail, name="batch_detail"),
    path("batches/<int:job_id>/status/", batch_views.batch_status, name="batch_status"),
    path("batches/<int:job_id>/confirm/", batch_views.batch_confirm, name="batch_confirm"),
    path("batches/<int:job_id>/cancel/", batch_views.batch_cancel, name="batch_cancel"),
    path("batches/<int:job_id>/result/", batch_views.batch_result, name="batch_result"),
]

# --- Paid predictions on the website --------------------------------------------------------
urlpatterns += [
    path("models/<slug:slug>/predict/", views.predict, name="predict"),
    path("predictions/", views.history, name="history"),
    path("predictions/<uuid:pk>/", views.detail, name="detail"),
]
