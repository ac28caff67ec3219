"""Case figures for a filter, counted live (cases are few): open cases by status, notices,
rectifications, overdue and escalated cases, and the time to a verified fix.
"""

import datetime
import statistics

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone

from ... import workflow
from ...models import Case, Event, Notice
from .summary import StatsFilter, day_start, filtered_cases, rate, working_days

K = Case.Status


# --- cases -----------------------------------------------------------------------------------


def case_figures(f: StatsFilter) -> dict:
    """Open cases by status (now), and for cases opened in the period: notices, rectified,
    overdue, escalated, the rectification rate and the median working days from the first
    notice to the verified fix. Recurrences are counted when they happened."""
    open_by_status = dict(
        filtered_cases(f, dated=False)
        .exclude(status=K.CLOSED)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    period = filtered_cases(f).annotate(
        has_notice=Exists(Notice.objects.filter(case=OuterRef("pk")))
    )
    counts = period.aggregate(
        cases=Count("pk"),
        noticed=Count("pk", filter=Q(has_notice=True)),
        rectified=Count("pk", filter=Q(rectified_at__isnull=False)),
        overdue=Count("pk", filter=Q(status=K.OVERDUE)),
        escalated=Count("pk", filter=Q(status=K.ESCALATED) | ~Q(escalation="")),
    )
    today = timezone.localdate()
    overdue_now = (
        filtered_cases(f, dated=False)
        .filter(Q(status=K.OVERDUE) | Q(status=K.NOTICE_ISSUED, deadline_date__lt=today))
        .count()
    )
    rectified = (
        filtered_cases(f, dated=False)
        .filter(rectified_at__date__gte=f.start_date, rectified_at__date__lte=f.end_date)
        .annotate(first_notice_at=Min("notices__issued_at"))
        .filter(first_notice_at__isnull=False)
        .values_list("first_notice_at", "rectified_at")
    )
    days = [
        working_days(timezone.localdate(noticed), timezone.localdate(fixed))
        for noticed, fixed in rectified
    ]
    recurrences = Event.objects.filter(
        case__in=filtered_cases(f, dated=False).values("pk"),
        to_status=K.OPEN,
        from_status__in=workflow.CASE_ENDED,
        created_at__gte=day_start(f.start_date),
        created_at__lt=day_start(f.end_date + datetime.timedelta(days=1)),
    ).count()
    return {
        **counts,
        "open_by_status": {
            status: open_by_status.get(status, 0) for status in K.values if status != K.CLOSED
        },
        "open": sum(open_by_status.values()),
        "overdue_now": overdue_now,
        "rectification_rate": rate(counts["rectified"], counts["noticed"]),
        "median_days_to_rectify": statistics.median(days) if days else None,
        "recurrences": recurrences,
    }
