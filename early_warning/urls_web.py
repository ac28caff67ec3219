"""Early warning's pages (config/urls.py mounts them at /early-warning/)."""

from django.urls import path

from . import views

app_name = "early_warning"

urlpatterns = [
    path("", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/dismiss/", views.alert_dismiss, name="alert_dismiss"),
    path("clusters/", views.clusters, name="clusters"),
    path("clusters/<int:pk>/", views.cluster_detail, name="cluster"),
    path("clusters/<int:pk>/open-case/", views.cluster_open_case, name="cluster_open_case"),
    path("clusters/<int:pk>/dismiss/", views.cluster_dismiss, name="cluster_dismiss"),
    path("settings/", views.mail_settings, name="mail_settings"),
]
