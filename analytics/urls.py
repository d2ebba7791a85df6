from django.contrib import admin
from django.urls import path

from analytics import admin_views, views

app_name = "analytics"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/predictions.csv", views.dashboard_predictions_csv, name="predictions_csv"),
    path("metrics", views.metrics, name="metrics"),
    # Under /admin/ and behind admin_view: staff only, the admin's login and chrome.
    path("admin/reports/", admin.site.admin_view(admin_views.report_index), name="reports"),
    path("admin/reports/<slug:slug>/", admin.site.admin_view(admin_views.report), name="report"),
]
