from django.urls import path

from predictions import views

app_name = "predictions"
urlpatterns = [
    path("models/", views.model_index, name="model-list"),
    path("models/<slug:slug>/", views.model_detail, name="model-detail"),
    path(
        "models/<slug:slug>/v<int:version>/figures/<str:name>",
        views.model_figure,
        name="model-figure",
    ),
]
