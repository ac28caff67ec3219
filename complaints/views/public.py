"""Public pages, no login: the rectification board, app and operator scorecards, published
(redacted) complaints and the platform statistics. Only aggregates and masked text leave here."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..forms.public import BoardForm, PublishedForm, cursor_format
from ..forms.stats import StatsFilterForm
from ..models import App, Company
from ..selectors import stats

BOARD_PAGE_SIZE = 25
PUBLISHED_PAGE_SIZE = 20


@require_GET
def board(request):
    form = BoardForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "complaints/public/board.html",
            {"form": form, "counts": stats.board_counts()},
            status=400,
        )
    data = form.cleaned_data
    cases = stats.board(
        query=data["q"].strip(),
        status=data["status"],
        category=data["category"],
        operator=data["operator"],
    )
    page = Paginator(cases, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "complaints/public/board.html",
        {
            "form": form,
            "page": page,
            "counts": stats.board_counts(),
            "labels": stats.public_status_labels(),
            "page_query": query.urlencode(),
            "api_query": urlencode(
                {k: v for k, v in {**query.dict(), "format": "csv"}.items() if v}
            ),
        },
    )


@require_GET
def app_scorecard(request, pk: int):
    app = get_object_or_404(App.objects.select_related("operator"), pk=pk)
    card = stats.app_scorecard(app)
    return render(
        request,
        "complaints/public/scorecard.html",
        {
            "card": card,
            "app": app,
            "tables": card.tables,
            "labels": stats.public_status_labels(),
            "csv_view": "api:stats-table",
            "csv_query": urlencode({**card.filter.as_query(), "format": "csv"}),
        },
    )


@require_GET
def operator_scorecard(request, pk: int):
    company = get_object_or_404(Company, pk=pk)
    card = stats.operator_scorecard(company)
    return render(
        request,
        "complaints/public/scorecard.html",
        {
            "card": card,
            "company": company,
            "tables": card.tables,
            "labels": stats.public_status_labels(),
            "csv_view": "api:stats-table",
            "csv_query": urlencode({**card.filter.as_query(), "format": "csv"}),
        },
    )


@require_GET
def published(request):
    form = PublishedForm(request.GET)
    if not form.is_valid():
        return render(request, "complaints/public/published.html", {"form": form}, status=400)
    data = form.cleaned_data
    rows, next_cursor = stats.published_page(
        stats.published_complaints(app=data["app"], category=data["category"]),
        before=data["before"],
        size=PUBLISHED_PAGE_SIZE,
    )
    query = {k: v for k, v in request.GET.items() if k != "before" and v}
    return render(
        request,
        "complaints/public/published.html",
        {
            "form": form,
            "complaints": rows,
            "total": stats.published_count(app=data["app"], category=data["category"]),
            "next_query": urlencode({**query, "before": cursor_format(next_cursor)})
            if next_cursor
            else "",
            "first_query": urlencode(query),
            "is_first_page": data["before"] is None,
        },
    )


@require_GET
def statistics_page(request):
    form = StatsFilterForm(request.GET, default_days=365)
    if not form.is_valid():
        return render(request, "complaints/public/statistics.html", {"form": form}, status=400)
    platform = stats.platform_statistics(form.stats_filter())
    return render(
        request,
        "complaints/public/statistics.html",
        {
            "form": form,
            "platform": platform,
            "figures": platform.figures,
            "tables": platform.tables,
            "csv_view": "api:stats-table",
            "csv_query": urlencode({**platform.filter.as_query(), "format": "csv"}),
            "today": timezone.localdate(),
        },
    )
