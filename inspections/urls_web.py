"""Inspections' web routes (config/urls.py mounts them at the root)."""

from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("cases/<int:pk>/inspections/", views.case_upload, name="case_upload"),
    path("cases/<int:pk>/sdk-attribution/", views.case_attribution, name="case_attribution"),
    path(
        "triage/<int:pk>/sdk-attribution/",
        views.complaint_attribution,
        name="complaint_attribution",
    ),
    path("operator/cases/<int:pk>/package/", views.operator_package, name="operator_package"),
]
