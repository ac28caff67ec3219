"""Bench-only URLs (never in production): the platform's own, plus the minimal filing the
benchmarks measure it against, a view that stores a similar row with one ORM create.

Served when ROOT_URLCONF=benchmarks.baseline_urls (benchmarks/filing_cost.py sets it).
"""

import json
import secrets

from django.http import JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from complaints.models import Complaint


@csrf_exempt
@require_POST
def orm_create(request):
    """What filing is at the least: parse the JSON, store one row, answer its number."""
    body = json.loads(request.body)
    complaint = Complaint.objects.create(
        tracking_number="BL-" + secrets.token_hex(8),
        access_token_hash=secrets.token_hex(32),
        app_name=str(body.get("app_name", ""))[:200],
        description=str(body.get("description", "")),
        channel=Complaint.Channel.API,
        submitted_at=timezone.now(),
    )
    return JsonResponse({"tracking_number": complaint.tracking_number}, status=201)


urlpatterns = [
    path("bench/orm-create/", orm_create, name="bench_orm_create"),
    path("", include("config.urls")),
]
