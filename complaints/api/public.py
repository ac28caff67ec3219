"""Open data under /api/v1/public/: the rectification board, app and operator scorecards,
published complaints (masked text only), and the registry's apps by name (what the filing form
offers as the consumer types). JSON, and CSV for the lists (?format=csv)."""

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from ..forms.public import BoardForm, PublishedForm, cursor_format
from ..lookups import ID_MAX
from ..models import App, Case, Company, Complaint
from ..selectors import intake, stats
from ..selectors.stats.shared import PUBLIC, shared_figures
from ..throttling import AppSearchThrottle
from ..views.shared_pages import not_modified, shared_etag
from .public_serializers import (
    BoardCaseSerializer,
    NamedRefSerializer,
    PublishedComplaintSerializer,
)
from .query import choice_param, id_param, query_check, text_param
from .stats import FORMAT_PARAMETER, PublicAPIView, table_payload

BOARD_PAGE_SIZE = 100
PUBLISHED_PAGE_SIZE = 50

BOARD_COLUMNS = [
    ("reference", "Case reference"),
    ("app", "App"),
    ("operator", "Operator"),
    ("categories", "Problems (taxonomy codes)"),
    ("problems", "Problems found"),
    ("notice_date", "First notice"),
    ("deadline_date", "Deadline"),
    ("status", "Status"),
    ("escalation", "Escalation measure"),
]
PUBLISHED_COLUMNS = [
    ("id", "Id"),
    ("submitted_date", "Submitted"),
    ("app", "App"),
    ("categories", "Kinds (taxonomy codes)"),
    ("text", "Text (personal data masked)"),
]


def _date(value):
    return timezone.localdate(value) if value else None


def case_record(case: Case) -> dict:
    operator = case.app.operator
    return {
        "reference": case.reference,
        "app": {"id": case.app_id, "name": case.app.name},
        "operator": {"id": operator.pk, "name": operator.name} if operator else None,
        "categories": [c.code for c in case.categories.all()],
        "problems": case.summary,
        "notice_date": _date(case.first_notice_at),
        "deadline_date": case.deadline_date,
        "status": case.public_status,
        "escalation": case.escalation,
        "rectified_date": _date(case.rectified_at),
        "recurrences": case.recurrence_count,
    }


def _form_errors(form) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {
            name if name != "__all__" else "non_field_errors": [str(m) for m in messages]
            for name, messages in form.errors.items()
        }
    )


BOARD_PARAMETERS = [
    text_param("q", 100, description="Search app, operator, package name or case reference."),
    choice_param("status", stats.PUBLIC_STATUSES),
    text_param("category", 40, description="Taxonomy code."),
    id_param("operator", description="Operator (company) id."),
    OpenApiParameter(
        "page", {"type": "integer", "minimum": 1, "maximum": ID_MAX // BOARD_PAGE_SIZE}
    ),
]


class BoardView(PublicAPIView):
    @extend_schema(
        operation_id="public_board",
        summary="The rectification board",
        description="Apps under a rectification notice, most urgent first: operator, problems, deadline and status. Paged by `page` (100 a page); CSV with ?format=csv gives every match. Without a search (`q`) the page and the counts are shared by every reader for a few seconds; `computed_at` says when they were counted.",
        parameters=[*BOARD_PARAMETERS, FORMAT_PARAMETER],
        responses={
            (200, "application/json"): inline_serializer(
                "PublicBoard",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.CharField(allow_null=True),
                    "computed_at": serializers.DateTimeField(),
                    "counts": serializers.DictField(child=serializers.IntegerField()),
                    "results": BoardCaseSerializer(many=True),
                },
            ),
            (200, "text/csv"): OpenApiTypes.STR,
        },
        tags=["open data"],
    )
    def get(self, request):
        query_check(request.query_params, BOARD_PARAMETERS)
        form = BoardForm(request.query_params)
        if not form.is_valid():
            raise _form_errors(form)
        data = form.cleaned_data
        search = data["q"].strip()
        filters = {k: data[k] for k in ("status", "category", "operator")}
        columns = [{"key": key, "label": label, "kind": "text"} for key, label in BOARD_COLUMNS]
        if request.accepted_renderer.format == "csv":
            cases = stats.board(query=search, **filters)
            return Response(
                {
                    "key": "board",
                    "columns": columns,
                    "results": [case_record(c) for c in cases[:5000]],
                }
            )
        try:
            page = max(1, int(request.query_params.get("page", "1")))
        except ValueError:
            raise exceptions.ValidationError(
                {"page": [_("Give the page as a whole number.")]}
            ) from None
        if page > ID_MAX // BOARD_PAGE_SIZE:
            # Its first row would lie past what a database offset can hold.
            raise exceptions.ValidationError(
                {"page": [_("There is no page %(page)s.") % {"page": page}]}
            )
        if search:
            return Response(_board_payload(request, filters, page, search=search))
        # Without a search the answer is the same for every reader of this filter and page:
        # made once per shared-figures period, with an ETag for readers who hold it already.
        scope = (
            filters["status"],
            filters["category"].code if filters["category"] else "",
            filters["operator"].pk if filters["operator"] else 0,
            page,
            request.build_absolute_uri(request.path),
        )
        shared = shared_figures(
            PUBLIC, "board-api", scope, lambda: _board_payload(request, filters, page)
        )
        etag = shared_etag(PUBLIC, "board-api", scope, shared)
        return not_modified(request, etag) or Response(shared.value, headers={"ETag": etag})


def _board_payload(request, filters: dict, page: int, search: str = "") -> dict:
    start = (page - 1) * BOARD_PAGE_SIZE
    counts = stats.board_counts_shared()
    computed_at = counts.computed_at
    if search:
        cases = stats.board(query=search, **filters)
        rows = list(cases[start : start + BOARD_PAGE_SIZE + 1])
        count = cases.count()
        query = request.query_params.copy()
    else:
        # One row past the page tells whether there is a next one.
        shared = stats.board_page_shared(**filters, start=start, size=BOARD_PAGE_SIZE + 1)
        rows, count = shared.value.cases, shared.value.count
        computed_at = min(computed_at, shared.computed_at)
        # The link is made from the filter alone: the answer is shared by everyone asking it.
        query = QueryDict(mutable=True)
        query.update(
            {
                "status": filters["status"],
                "category": filters["category"].code if filters["category"] else "",
                "operator": filters["operator"].pk if filters["operator"] else "",
            }
        )
        for key in [k for k, v in query.items() if not v]:
            del query[key]
    more = len(rows) > BOARD_PAGE_SIZE
    query["page"] = str(page + 1)
    return {
        "count": count,
        "next": request.build_absolute_uri(f"{request.path}?{query.urlencode()}") if more else None,
        "computed_at": computed_at,
        "counts": counts.value,
        "results": BoardCaseSerializer(
            [case_record(c) for c in rows[:BOARD_PAGE_SIZE]], many=True
        ).data,
    }


def _scorecard_payload(card: stats.Scorecard) -> dict:
    return {
        "since": card.filter.start_date,
        "figures": card.figures,
        "warning": card.warning,
        "cases": [case_record(c) for c in card.cases],
        "tables": [table_payload(t, card.filter) for t in card.tables],
    }


ScorecardSerializer = inline_serializer(
    "PublicScorecard",
    {
        "since": serializers.DateField(),
        "figures": serializers.DictField(),
        "warning": serializers.DictField(allow_null=True),
        "cases": BoardCaseSerializer(many=True),
        "tables": serializers.ListField(child=serializers.DictField()),
    },
)


class AppScorecardView(PublicAPIView):
    renderer_classes = PublicAPIView.renderer_classes[:1]

    @extend_schema(
        operation_id="public_app_scorecard",
        summary="An app's scorecard",
        description="The last twelve months: accepted complaints by month and kind, the operator's response rate and timeliness, consumer-confirmed resolution rate, cases and their outcomes, and a warning when the app has overdue or escalated cases.",
        responses=inline_serializer(
            "PublicAppScorecard",
            {
                "app": inline_serializer(
                    "PublicApp",
                    {
                        "id": serializers.IntegerField(),
                        "name": serializers.CharField(),
                        "operator": NamedRefSerializer(allow_null=True),
                        "url": serializers.CharField(),
                    },
                ),
                "scorecard": ScorecardSerializer,
            },
        ),
        tags=["open data"],
    )
    def get(self, request, pk: int):
        app = get_object_or_404(App.objects.select_related("operator"), pk=pk)
        card = stats.app_scorecard(app)
        operator = app.operator
        return Response(
            {
                "app": {
                    "id": app.pk,
                    "name": app.name,
                    "operator": {"id": operator.pk, "name": operator.name} if operator else None,
                    "url": request.build_absolute_uri(reverse("app-scorecard", args=[app.pk])),
                },
                "scorecard": _scorecard_payload(card),
            }
        )


class OperatorScorecardView(PublicAPIView):
    renderer_classes = PublicAPIView.renderer_classes[:1]

    @extend_schema(
        operation_id="public_operator_scorecard",
        summary="An operator's scorecard across its apps",
        responses=inline_serializer(
            "PublicOperatorScorecard",
            {
                "operator": inline_serializer(
                    "PublicOperator",
                    {
                        "id": serializers.IntegerField(),
                        "name": serializers.CharField(),
                        "credit_code": serializers.CharField(),
                        "url": serializers.CharField(),
                    },
                ),
                "apps": serializers.ListField(child=serializers.DictField()),
                "scorecard": ScorecardSerializer,
            },
        ),
        tags=["open data"],
    )
    def get(self, request, pk: int):
        company = get_object_or_404(Company, pk=pk)
        card = stats.operator_scorecard(company)
        return Response(
            {
                "operator": {
                    "id": company.pk,
                    "name": company.name,
                    "credit_code": company.credit_code,
                    "url": request.build_absolute_uri(
                        reverse("operator-scorecard", args=[company.pk])
                    ),
                },
                "apps": [
                    {
                        "id": row["app"].pk,
                        "name": row["app"].name,
                        "accepted": row["accepted"],
                        "response_rate": row["response_rate"],
                        "open_cases": row["open_cases"],
                    }
                    for row in card.apps
                ],
                "scorecard": _scorecard_payload(card),
            }
        )


def complaint_record(complaint: Complaint) -> dict:
    return {
        "id": complaint.pk,
        "submitted_date": _date(complaint.submitted_at),
        "app": {"id": complaint.app.id, "name": complaint.app.name} if complaint.app_id else None,
        "app_name": complaint.app.name if complaint.app_id else complaint.app_name,
        "categories": [c.code for c in complaint.categories.all()],
        "text": complaint.masked_text,
    }


PUBLISHED_PARAMETERS = [
    id_param("app", description="App id."),
    text_param("category", 40, description="Taxonomy code."),
    text_param("before", 100, description="Cursor from the previous page's `next`."),
]


class PublishedComplaintsView(PublicAPIView):
    @extend_schema(
        operation_id="public_complaints",
        summary="Published complaints",
        description="Complaints a regulator accepted and whose authors agreed to publication, newest first, with personal data masked. Continue with the `next` link (keyset paging by `before`).",
        parameters=[*PUBLISHED_PARAMETERS, FORMAT_PARAMETER],
        responses={
            (200, "application/json"): inline_serializer(
                "PublicComplaints",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.CharField(allow_null=True),
                    "results": PublishedComplaintSerializer(many=True),
                },
            ),
            (200, "text/csv"): OpenApiTypes.STR,
        },
        tags=["open data"],
    )
    def get(self, request):
        query_check(request.query_params, PUBLISHED_PARAMETERS)
        form = PublishedForm(request.query_params)
        if not form.is_valid():
            raise _form_errors(form)
        data = form.cleaned_data
        rows, cursor = stats.published_page(
            stats.published_complaints(app=data["app"], category=data["category"]),
            before=data["before"],
            size=PUBLISHED_PAGE_SIZE,
        )
        records = [complaint_record(c) for c in rows]
        next_url = None
        if cursor is not None:
            query = request.query_params.copy()
            query["before"] = cursor_format(cursor)
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        if request.accepted_renderer.format == "csv":
            columns = [
                {"key": key, "label": label, "kind": "text"} for key, label in PUBLISHED_COLUMNS
            ]
            return Response({"key": "published-complaints", "columns": columns, "results": records})
        return Response(
            {
                "count": stats.published_count(app=data["app"], category=data["category"]),
                "next": next_url,
                "results": PublishedComplaintSerializer(records, many=True).data,
            }
        )


APP_SEARCH_PARAMETERS = [
    text_param("q", 100, description="A name, alias or package name, or part of one."),
]


class AppSearchView(PublicAPIView):
    renderer_classes = PublicAPIView.renderer_classes[:1]
    throttle_classes = [AppSearchThrottle]

    @extend_schema(
        operation_id="public_app_search",
        summary="Apps in the registry by name",
        description="Up to 8 registry apps whose name, alias or package name look like `q` (traditional characters read as simplified), best first; none without `q`. The web form offers them while the consumer types; file with the chosen `id` as `app`.",
        parameters=APP_SEARCH_PARAMETERS,
        responses={
            200: inline_serializer(
                "PublicAppMatches",
                {
                    "results": inline_serializer(
                        "PublicAppMatch",
                        {
                            "id": serializers.IntegerField(),
                            "name": serializers.CharField(),
                            "package_name": serializers.CharField(),
                        },
                        many=True,
                    )
                },
            ),
            429: OpenApiResponse(description="Too many searches; see Retry-After."),
        },
        tags=["open data"],
    )
    def get(self, request):
        query_check(request.query_params, APP_SEARCH_PARAMETERS)
        matches = intake.app_search(request.query_params.get("q", "").strip())
        return Response({"results": [intake.app_offered(m.app) for m in matches]})


urlpatterns = [
    path("public/apps/", AppSearchView.as_view(), name="public-app-search"),
    path("public/board/", BoardView.as_view(), name="public-board"),
    path("public/apps/<int:pk>/", AppScorecardView.as_view(), name="public-app"),
    path("public/operators/<int:pk>/", OperatorScorecardView.as_view(), name="public-operator"),
    path("public/complaints/", PublishedComplaintsView.as_view(), name="public-complaints"),
]
