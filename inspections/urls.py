"""Inspections' API routes, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from .api import AppInspectionsView

app_name = "inspections_api"

urlpatterns = [
    path("apps/<int:pk>/inspections/", AppInspectionsView.as_view(), name="app_inspections"),
]
