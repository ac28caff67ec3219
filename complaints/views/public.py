"""Public pages, no login: the rectification board, app and operator scorecards, published
(redacted) complaints and the platform statistics. Only aggregates and masked text leave here."""

import datetime
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ..forms_stats import QuickSelect, StatsFilterForm
from ..models import App, Category, Company
from ..selectors import stats

BOARD_PAGE_SIZE = 25
PUBLISHED_PAGE_SIZE = 20


class BoardForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All categories"),
        widget=QuickSelect,
    )
    operator = forms.ModelChoiceField(
        label=gettext_lazy("Operator"),
        queryset=Company.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All operators"),
        widget=QuickSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("All statuses")),
            *stats.public_status_labels().items(),
        ]
        self.fields["category"].label_from_instance = lambda c: c.name


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


class PublishedForm(forms.Form):
    app = forms.ModelChoiceField(
        label=gettext_lazy("App"),
        queryset=App.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All apps"),
        widget=QuickSelect,
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Kind of problem"),
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All kinds"),
        widget=QuickSelect,
    )
    before = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].label_from_instance = lambda c: c.name

    def clean_before(self) -> tuple[datetime.datetime, int] | None:
        return cursor_parse(self.cleaned_data["before"])


def cursor_parse(value: str) -> tuple[datetime.datetime, int] | None:
    """ "<microseconds since the epoch>.<id>" -> (submitted_at, id); ValidationError otherwise."""
    if not value:
        return None
    try:
        micros, pk = (int(part) for part in value.split(".", 1))
        at = datetime.datetime.fromtimestamp(micros / 1_000_000, tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        raise forms.ValidationError(_("That page link is not valid."), code="cursor") from None
    return at, pk


def cursor_format(cursor: tuple[datetime.datetime, int] | None) -> str:
    if cursor is None:
        return ""
    at, pk = cursor
    return f"{round(at.timestamp() * 1_000_000)}.{pk}"


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
