"""The regulator dashboard (figures, charts with a table beside each, CSV downloads) and the
operator dashboard inside the operator portal. Counting lives in selectors.stats."""

import csv
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import roles
from ..csv_cells import csv_row
from ..forms.stats import StatsFilterForm
from ..selectors import operators, stats
from ..selectors.stats.shared import REGULATOR
from ..services.statistics import statistics_age_seconds
from .shared_pages import shared_fragment


def _role_required(check):
    """Anonymous visitors go to the login page; signed-in people without the role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


regulator_required = _role_required(roles.is_regulator)
operator_required = _role_required(roles.is_operator)


def table_csv(table: stats.Table, *, filename: str, header: str = "label") -> HttpResponse:
    """A table as a UTF-8 CSV file (with a byte-order mark, so spreadsheet programs read the
    Chinese correctly). Headers are the column labels, or their keys for open data."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(csv_row(c.label if header == "label" else c.key for c in table.columns))
    for row in table.as_dict()["rows"]:
        writer.writerow(csv_row(row))
    return response


@require_GET
@regulator_required
def regulator_dashboard(request):
    form = StatsFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "complaints/dashboard/regulator.html", {"form": form}, status=400)
    f = form.stats_filter()
    # The filter form lists every app and operator: rendered once per period for what was
    # typed (a valid form shows nothing else) and the language, like the figures.
    typed = tuple(request.GET.get(name, "") for name in form.fields)
    filters = shared_fragment(
        REGULATOR,
        "dashboard-filters",
        typed,
        "complaints/dashboard/_filters.html",
        lambda: {"form": form, "reset_url": reverse("dashboard")},
    )
    # Figures, charts and the inspection panel: one rendering per period, filter and language
    # for every regulator; only the summary's age is worked out for each request.
    body = shared_fragment(
        REGULATOR,
        "dashboard-body",
        tuple(sorted(f.as_query().items())),
        "complaints/dashboard/_body.html",
        lambda: _body_context(f),
    )
    return render(
        request,
        "complaints/dashboard/regulator.html",
        {
            "form": form,
            "filters": filters.value,
            "body": body.value,
            "age_seconds": statistics_age_seconds(),
        },
    )


def _body_context(f: stats.StatsFilter) -> dict:
    shared = stats.dashboard_shared(f)
    board = shared.value
    return {
        "dashboard": board,
        "figures": board.figures,
        "tables": board.tables,
        "csv_view": "dashboard-csv",
        "csv_query": urlencode(board.filter.as_query()),
        "computed_at": shared.computed_at,
    }


@require_GET
@regulator_required
def regulator_dashboard_csv(request, key: str):
    if key not in stats.DASHBOARD_TABLES:
        raise Http404(_("No such table."))
    form = StatsFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(form.first_error(), content_type="text/plain; charset=utf-8")
    f = form.stats_filter()
    table = stats.dashboard_table(f, key)
    return table_csv(table, filename=f"appwatch-{key}-{f.start_date}-{f.end_date}.csv")


@require_GET
@operator_required
def operator_dashboard(request):
    company_ids = roles.operator_company_ids(request.user)
    context = operators.operator_dashboard(company_ids)
    context["no_company"] = not company_ids
    context["title"] = _("Operator dashboard")
    return render(request, "complaints/dashboard/operator.html", context)
