"""Reads: querysets scoped to what a user may see, and figures for pages."""

from django.db.models import Count, Q

from .models import Case, Complaint


def home_figures() -> dict:
    complaints = Complaint.objects.aggregate(
        total=Count("id"),
        accepted=Count("id", filter=Q(status__in=["accepted", "linked", "answered", "closed"])),
    )
    cases = Case.objects.aggregate(
        under_notice=Count(
            "id", filter=Q(status__in=["notice_issued", "response_received", "not_rectified"])
        ),
        overdue=Count("id", filter=Q(status__in=["overdue", "escalated"])),
        rectified=Count(
            "id", filter=Q(status="rectified") | Q(status="closed", rectified_at__isnull=False)
        ),
    )
    return {**complaints, **cases}
