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
from ..selectors.stats.shared import PUBLIC
from .shared_pages import shared_fragment

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
    filters = {k: data[k] for k in ("status", "category", "operator")}
    search = data["q"].strip()
    if search:
        # Searches vary too much to share: counted and rendered for this reader.
        page = Paginator(stats.board(query=search, **filters), BOARD_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        counts = stats.board_counts_shared()
        query = request.GET.copy()
        query.pop("page", None)
        context = _board_context(form, page, counts, counts.computed_at, query.dict())
        return render(request, "complaints/public/board.html", context)
    number = _page_number(request.GET.get("page"))
    scope = (
        filters["status"],
        filters["category"].code if filters["category"] else "",
        filters["operator"].pk if filters["operator"] else 0,
        number,
    )

    def context() -> dict:
        # The form and links are rebuilt from the filter itself, so the page depends on the key
        # alone (not on how a reader spelled the query).
        query = {
            k: v for k, v in zip(("status", "category", "operator"), scope[:3], strict=True) if v
        }
        shown = BoardForm(query)
        shown.is_valid()
        counts = stats.board_counts_shared()
        page, computed_at = _shared_board_page(filters, number)
        return _board_context(shown, page, counts, computed_at, query)

    shared = shared_fragment(PUBLIC, "board", scope, "complaints/public/_board.html", context)
    return render(request, "complaints/public/board.html", {"content": shared.value})


def _page_number(value) -> int:
    """The page asked for as the key of a shared page: 1 when not a number, 0 for "the
    last" (what a number below one shows), else the number (past the end: the last page)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(number, 0)


def _board_context(form, page, counts, computed_at, query: dict) -> dict:
    return {
        "form": form,
        "page": page,
        "counts": counts.value,
        "computed_at": min(computed_at, counts.computed_at),
        "labels": stats.public_status_labels(),
        "page_query": urlencode(query),
        "api_query": urlencode({k: v for k, v in {**query, "format": "csv"}.items() if v}),
    }


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

    def context() -> dict:
        shared = stats.app_scorecard_shared(app)
        return _scorecard_context(shared.value, app=app, computed_at=shared.computed_at)

    shared = shared_fragment(
        PUBLIC, "app-scorecard", (app.pk,), "complaints/public/_scorecard.html", context
    )
    return render(
        request, "complaints/public/scorecard.html", {"app": app, "content": shared.value}
    )


def _scorecard_context(card, **context) -> dict:
    return {
        **context,
        "card": card,
        "tables": card.tables,
        "labels": stats.public_status_labels(),
        "csv_view": "api:stats-table",
        "csv_query": urlencode({**card.filter.as_query(), "format": "csv"}),
    }


@require_GET
def operator_scorecard(request, pk: int):
    company = get_object_or_404(Company, pk=pk)
    context = _scorecard_context(stats.operator_scorecard(company), company=company)
    return render(request, "complaints/public/scorecard.html", context)


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
