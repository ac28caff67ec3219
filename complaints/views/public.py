"""Public pages, no login: the rectification board, app and operator scorecards, published
(redacted) complaints and the platform statistics. Only aggregates and masked text leave here."""

from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
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
    counts = stats.board_counts_shared()
    computed_at = counts.computed_at
    search = data["q"].strip()
    filters = {k: data[k] for k in ("status", "category", "operator")}
    if search:
        page = Paginator(stats.board(query=search, **filters), BOARD_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    else:
        page, computed_at = _shared_board_page(filters, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "complaints/public/board.html",
        {
            "form": form,
            "page": page,
            "counts": counts.value,
            "computed_at": min(computed_at, counts.computed_at),
            "labels": stats.public_status_labels(),
            "page_query": query.urlencode(),
            "api_query": urlencode(
                {k: v for k, v in {**query.dict(), "format": "csv"}.items() if v}
            ),
        },
    )


class _Counted:
    """What a Paginator needs of its list to number the pages: how many there are."""

    def __init__(self, count: int):
        self._count = count

    def count(self) -> int:
        return self._count


def _shared_board_page(filters: dict, number) -> tuple[Page, object]:
    """The board page asked for, from the figures every reader shares (counted once)."""
    first = stats.board_page_shared(**filters, start=0, size=BOARD_PAGE_SIZE)
    paginator = Paginator(_Counted(first.value.count), BOARD_PAGE_SIZE)
    try:
        number = paginator.validate_number(number)
    except PageNotAnInteger:
        number = 1
    except EmptyPage:
        number = paginator.num_pages
    shared = first
    if number > 1:
        shared = stats.board_page_shared(
            **filters, start=(number - 1) * BOARD_PAGE_SIZE, size=BOARD_PAGE_SIZE
        )
    return Page(shared.value.cases, number, paginator), shared.computed_at


@require_GET
def app_scorecard(request, pk: int):
    app = get_object_or_404(App.objects.select_related("operator"), pk=pk)
    shared = stats.app_scorecard_shared(app)
    card = shared.value
    return render(
        request,
        "complaints/public/scorecard.html",
        {
            "computed_at": shared.computed_at,
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
