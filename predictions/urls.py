from django.urls import path

from predictions import views, web

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

# --- Paid predictions on the website (prediction API helper) --------------------------
urlpatterns += [
    path("models/<slug:slug>/predict/", web.predict, name="predict"),
    path("predictions/", web.history, name="history"),
    path("predictions/<uuid:pk>/", web.detail, name="detail"),
]
