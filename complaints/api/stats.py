"""Open data statistics under /api/v1/stats/: platform figures and aggregate tables as JSON or
CSV (?format=csv), for anyone; the regulator dashboard's tables for regulators only."""

import csv
import io

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, renderers
from rest_framework.response import Response
from rest_framework.views import APIView

from ..csv_cells import csv_row
from ..forms.stats import StatsFilterForm
from ..selectors import stats
from ..selectors.stats.shared import REGULATOR
from ..views.shared_pages import not_modified, shared_etag
from .permissions import IsRegulator
from .query import choice_param, date_param, id_param, query_check, text_param
from .stats_serializers import FiguresSerializer, TableSerializer


class CSVRenderer(renderers.BaseRenderer):
    """Tables as CSV: the payload's `columns` give the header (keys), `results` the rows. An
    error payload becomes a one-row table with its code and message."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out)
        if isinstance(data, dict) and "error" in data:
            writer.writerow(["code", "message"])
            writer.writerow(
                csv_row([data["error"].get("code", ""), data["error"].get("message", "")])
            )
        elif isinstance(data, dict) and "results" in data:
            keys = [c["key"] for c in data.get("columns", [])] or (
                list(data["results"][0]) if data["results"] else []
            )
            writer.writerow(csv_row(keys))
            for record in data["results"]:
                writer.writerow(csv_row(_csv_value(record.get(key)) for key in keys))
        response = renderer_context.get("response") if renderer_context else None
        if response is not None and response.status_code == 200:
            name = data.get("key", "appwatch") if isinstance(data, dict) else "appwatch"
            response["Content-Disposition"] = f'attachment; filename="appwatch-{name}.csv"'
        # A byte-order mark first: Excel on Chinese Windows then reads UTF-8, not GBK. CSV
        # readers skip it with encoding="utf-8-sig" (pandas and Python's csv module do).
        return ("\ufeff" + out.getvalue()).encode(self.charset)


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return value.get("name", "")
    return value


FILTER_PARAMETERS = [
    date_param(
        "start_date",
        description="First submission day (default: a year, or 90 days on the dashboard, before end_date).",
    ),
    date_param("end_date", description="Last submission day (default: today)."),
    text_param("category", 40, description="Taxonomy code, e.g. price_discrimination."),
    id_param("app", description="App id."),
    id_param("operator", description="Operator (company) id."),
]
FORMAT_PARAMETER = choice_param("format", ["json", "csv"], description="json (default) or csv.")


def stats_filter(request, *, default_days: int) -> stats.StatsFilter:
    """The query string's filter, or a 400 with the form's first message and every field's."""
    query_check(request.query_params, FILTER_PARAMETERS)
    form = StatsFilterForm(request.query_params, default_days=default_days)
    if not form.is_valid():
        raise exceptions.ValidationError(
            {
                name if name != "__all__" else "non_field_errors": [str(m) for m in messages]
                for name, messages in form.errors.items()
            }
        )
    return form.stats_filter()


def table_payload(table: stats.Table, f: stats.StatsFilter) -> dict:
    return {
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "filter": f.as_query(),
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in table.columns],
        "results": table.records(),
    }


class PublicAPIView(APIView):
    """Open data: anyone may read, no session needed."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]


class StatsOverviewView(PublicAPIView):
    renderer_classes = [renderers.JSONRenderer]

    @extend_schema(
        operation_id="stats_overview",
        summary="Platform figures",
        description="Complaints received and accepted, cases, rectification rate, median working days from notice to rectified, operator response rates. Aggregates only.",
        parameters=FILTER_PARAMETERS,
        responses=FiguresSerializer,
        tags=["open data"],
    )
    def get(self, request):
        f = stats_filter(request, default_days=365)
        return Response(
            {
                "filter": f.as_query(),
                "figures": stats.platform_figures(f),
                "tables": list(stats.PUBLIC_TABLES),
            }
        )


class StatsTableView(PublicAPIView):
    @extend_schema(
        operation_id="stats_table",
        summary="One statistics table",
        description=(
            "Aggregate tables: by_month (accepted complaints per month and category), category_mix, "
            "top_apps, top_operators, cases_by_status. JSON, or CSV with ?format=csv."
        ),
        parameters=[
            OpenApiParameter(
                "key", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(stats.PUBLIC_TABLES)
            ),
            *FILTER_PARAMETERS,
            FORMAT_PARAMETER,
        ],
        responses={(200, "application/json"): TableSerializer, (200, "text/csv"): OpenApiTypes.STR},
        tags=["open data"],
    )
    def get(self, request, key: str):
        if key not in stats.PUBLIC_TABLES:
            raise exceptions.NotFound(_("No statistics table is called “%(key)s”.") % {"key": key})
        f = stats_filter(request, default_days=365)
        return Response(table_payload(stats.public_table(f, key, limit=50), f))


class DashboardView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    renderer_classes = [renderers.JSONRenderer]

    @extend_schema(
        operation_id="stats_dashboard",
        summary="Regulator dashboard figures",
        description="The dashboard's figures (triage backlog and breaches, cases, classifier health) and the names of its tables. Regulators only.",
        parameters=FILTER_PARAMETERS,
        responses=FiguresSerializer,
        tags=["statistics"],
    )
    def get(self, request):
        f = stats_filter(request, default_days=90)
        shared = stats.dashboard_shared(f)
        # The same answer for every regulator until the figures are recounted.
        etag = shared_etag(REGULATOR, "dashboard-api", tuple(sorted(f.as_query().items())), shared)
        return not_modified(request, etag) or Response(
            {
                "filter": f.as_query(),
                "computed_at": shared.computed_at,
                "figures": shared.value.figures,
                "tables": list(stats.DASHBOARD_TABLES),
            },
            headers={"ETag": etag},
        )


class DashboardTableView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        operation_id="stats_dashboard_table",
        summary="One regulator dashboard table",
        parameters=[
            OpenApiParameter(
                "key", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(stats.DASHBOARD_TABLES)
            ),
            *FILTER_PARAMETERS,
            FORMAT_PARAMETER,
        ],
        responses={(200, "application/json"): TableSerializer, (200, "text/csv"): OpenApiTypes.STR},
        tags=["statistics"],
    )
    def get(self, request, key: str):
        if key not in stats.DASHBOARD_TABLES:
            raise exceptions.NotFound(_("No statistics table is called “%(key)s”.") % {"key": key})
        f = stats_filter(request, default_days=90)
        return Response(table_payload(stats.dashboard_table(f, key), f))


urlpatterns = [
    path("stats/", StatsOverviewView.as_view(), name="stats-overview"),
    path("stats/dashboard/", DashboardView.as_view(), name="stats-dashboard"),
    path("stats/dashboard/<slug:key>/", DashboardTableView.as_view(), name="stats-dashboard-table"),
    path("stats/<slug:key>/", StatsTableView.as_view(), name="stats-table"),
]
