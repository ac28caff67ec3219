"""Inspections' API routes, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from . import api

app_name = "inspections_api"

urlpatterns = [
    path("apps/<int:pk>/inspections/", api.AppInspectionsView.as_view(), name="app_inspections"),
    path(
        "apps/<int:pk>/inspections/compare/",
        api.AppInspectionCompareView.as_view(),
        name="app_inspection_compare",
    ),
    path(
        "operator/cases/<int:pk>/package/",
        api.OperatorPackageView.as_view(),
        name="operator_package",
    ),
    path(
        "cases/<int:pk>/sdk-attribution/",
        api.CaseSdkAttributionView.as_view(),
        name="case_sdk_attribution",
    ),
    path(
        "complaints/<int:pk>/sdk-attribution/",
        api.ComplaintSdkAttributionView.as_view(),
        name="complaint_sdk_attribution",
    ),
    path("cases/<int:pk>/versions/", api.CaseVersionsView.as_view(), name="case_versions"),
    path(
        "complaints/<int:pk>/version-inspection/",
        api.ComplaintVersionView.as_view(),
        name="complaint_version_inspection",
    ),
    path("sdks/ranking/", api.SdkRankingView.as_view(), name="sdk_ranking"),
    path("inspections/requests/", api.InspectionRequestsView.as_view(), name="inspection_requests"),
]
