"""Inspections' web routes (config/urls.py mounts them at the root)."""

from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("cases/<int:pk>/inspections/", views.case_upload, name="case_upload"),
]
