"""The product's URLs plus the two yardsticks of bench/api.py (see bench/endpoints.py)."""

from __future__ import annotations

from django.urls import include, path

from bench import endpoints

urlpatterns = [
    path("api/v1/bench/<slug:slug>/bare", endpoints.bare),
    path("api/v1/bench/<slug:slug>/billed", endpoints.billed),
    path("", include("mlbilling.urls")),
]
