"""Early warning's API routes, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from .api import ClusterListView

app_name = "early_warning_api"

urlpatterns = [path("clusters/", ClusterListView.as_view(), name="clusters")]
