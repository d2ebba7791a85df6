from django.urls import path

from predictions import web

app_name = "predictions"
urlpatterns: list = []

# --- Paid predictions on the website (prediction API helper) --------------------------
urlpatterns += [
    path("models/<slug:slug>/predict/", web.predict, name="predict"),
    path("predictions/", web.history, name="history"),
    path("predictions/<uuid:pk>/", web.detail, name="detail"),
]
