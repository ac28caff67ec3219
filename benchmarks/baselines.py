"""The limits `make bench` measures AppWatch against, served by the same gunicorn (bench only:
benchmarks/settings.py points ROOT_URLCONF here; production URLs never include these views).

Each answers what API filing answers (201 with a tracking number and an access token) for the
same JSON body: `orm` stores the complaint row with one ORM create, `sql` with one raw INSERT,
`ceiling` stores nothing (the framework's own cost: middleware, routing, JSON in and out).
`naive_dashboard_aggregate` is the dashboard figure's baseline: the counts a dashboard shows,
aggregated over the complaint table by the ORM the obvious way.
"""

import datetime
import json
import statistics
import time

from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from complaints.models import Complaint
from complaints.services.intake import access_token_new, tracking_number_new
from config.urls import urlpatterns as production_urlpatterns


def _parsed(request: HttpRequest) -> dict | None:
    try:
        body = json.loads(request.body)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if not all(isinstance(body.get(k), str) and body[k] for k in ("app_name", "description")):
        return None
    return body


def filing_view(store):
    """A view answering as API filing does, storing the row with `store(complaint)`."""

    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> JsonResponse:
        body = _parsed(request)
        if body is None:
            return JsonResponse({"detail": "app_name and description are required"}, status=400)
        token, token_hash = access_token_new()
        complaint = Complaint(
            tracking_number=tracking_number_new(),
            access_token_hash=token_hash,
            app_name=body["app_name"][:200],
            description=body["description"],
            channel=Complaint.Channel.API,
            submitted_at=timezone.now(),
        )
        store(complaint)
        return JsonResponse(
            {"tracking_number": complaint.tracking_number, "access_token": token}, status=201
        )

    return view


def _orm_create(complaint: Complaint) -> None:
    complaint.save(force_insert=True)


def _sql_insert(complaint: Complaint) -> None:
    fields = [f for f in Complaint._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(complaint, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Complaint._meta.db_table} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(values))})",
            values,
        )


def _nothing(complaint: Complaint) -> None:
    pass


orm_create = filing_view(_orm_create)
sql_insert = filing_view(_sql_insert)
ceiling = filing_view(_nothing)


urlpatterns = [
    path("bench/orm/", orm_create),
    path("bench/sql/", sql_insert),
    path("bench/ceiling/", ceiling),
    *production_urlpatterns,
]


def naive_dashboard_aggregate(repetitions: int = 5) -> dict:
    """Milliseconds of the dashboard's headline counts (by status, by category, by app, over
    the last 90 days), aggregated from the complaint table on every request."""
    since = timezone.now() - datetime.timedelta(days=90)
    recent = Complaint.objects.filter(submitted_at__gte=since)
    timings = []
    for _ in range(repetitions + 1):  # the first warms the cache, not counted
        started = time.perf_counter()
        list(recent.values("status").annotate(n=Count("id")))
        list(recent.values("categories__code").annotate(n=Count("id")))
        list(recent.values("app_id").annotate(n=Count("id")).order_by("-n")[:10])
        timings.append((time.perf_counter() - started) * 1000)
    timings = timings[1:]
    return {"median_ms": statistics.median(timings), "runs_ms": timings}
