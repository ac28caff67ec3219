"""The summary table behind dashboards and open data (ComplaintStat): complaint figures per
submission day, app and category, rebuilt for the days whose complaints changed.

What changed is read from two watermarks: complaint ids (new rows, including bulk loads that
write no events) and event ids (every status, label or erasure change writes one). Figures
that depend on the date itself (decision or answer overdue) are rebuilt in full once a day.
"""

import datetime
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery, Sum, When
from django.db.models.functions import TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from ..models import (
    OPEN_FOR_DECISION,
    Complaint,
    ComplaintStat,
    Event,
    OperatorResponse,
    StatisticsState,
)

logger = logging.getLogger(__name__)

S = Complaint.Status
ACCEPTED_EVER = (S.ACCEPTED, S.LINKED, S.ANSWERED, S.DISPUTED, S.CLOSED)
AWAITING_OPERATOR = (S.ACCEPTED, S.LINKED)
MEASURES = [
    f.name
    for f in ComplaintStat._meta.concrete_fields
    if isinstance(f, models.PositiveIntegerField)
]
CONFIDENCE_FIELDS = [f"confidence_bin_{i}" for i in range(ComplaintStat.CONFIDENCE_BINS)]
# Ids re-read on every refresh: a transaction that took its id early and committed late is
# still counted.
WATERMARK_OVERLAP = 20
# Past this many changed days one pass over everything is cheaper than day by day.
FULL_REBUILD_AFTER_DAYS = 60
_ENQUEUED_KEY = "appwatch:statistics-refresh-enqueued"


@dataclass
class RefreshResult:
    full: bool
    days: int
    rows: int
    seconds: float


def _count(condition: Q) -> Sum:
    return Sum(models.Case(When(condition, then=1), default=0, output_field=models.IntegerField()))


def _measures(prefix: str, pk_ref: str, *, today: datetime.date, complaint_level: bool) -> dict:
    """The aggregate for every ComplaintStat measure, over complaints (prefix "") or over
    complaint-category pairs (prefix "complaint__")."""
    p = prefix
    status = p + "status"
    ref = OuterRef(pk_ref)
    replies = OperatorResponse.objects.filter(
        complaint=ref, kind=OperatorResponse.Kind.COMPLAINT_REPLY
    )
    first_reply_date = TruncDate(
        Subquery(replies.order_by("created_at").values("created_at")[:1]),
        tzinfo=ZoneInfo(settings.TIME_ZONE),
    )
    confidence = p + "confidence"
    measures = {
        "received": _count(Q(pk__isnull=False)),
        "awaiting_decision": _count(Q(**{status + "__in": OPEN_FOR_DECISION})),
        "decision_overdue": _count(
            Q(**{status + "__in": OPEN_FOR_DECISION, p + "decision_due_date__lt": today})
        ),
        "info_requested": _count(Q(**{status: S.INFO_REQUESTED})),
        "accepted": _count(Q(**{status + "__in": ACCEPTED_EVER})),
        "rejected": _count(Q(**{status: S.REJECTED})),
        "duplicate": _count(Q(**{status: S.DUPLICATE})),
        "withdrawn": _count(Q(**{status: S.WITHDRAWN})),
        "closed": _count(Q(**{status: S.CLOSED})),
        "published": _count(
            Q(
                **{
                    p + "consent_publish": True,
                    p + "erased_at__isnull": True,
                    status + "__in": ACCEPTED_EVER,
                }
            )
        ),
        "classified": _count(Q(**{confidence + "__isnull": False})),
        "auto_routed": _count(
            Q(**{confidence + "__gte": settings.CLASSIFIER_CONFIDENCE_THRESHOLD})
        ),
        "reviewed": _count(Q(**{p + "label_source": Complaint.LabelSource.REGULATOR})),
        # A regulator changed labels the classifier had given (not just labelled it first).
        "relabelled": _count(
            Q(Exists(Event.objects.filter(complaint=ref, kind=Event.Kind.LABELS).exclude(data__from=[])))
        ),
        "sent_to_operator": _count(Q(**{p + "operator_due_date__isnull": False})),
        "awaiting_operator": _count(
            Q(**{status + "__in": AWAITING_OPERATOR, p + "operator_due_date__isnull": False})
        ),
        "replied": _count(Q(Exists(replies))),
        "replied_on_time": _count(Q(LessThanOrEqual(first_reply_date, F(p + "operator_due_date")))),
        "reply_overdue": _count(
            Q(**{status + "__in": AWAITING_OPERATOR, p + "operator_due_date__lt": today})
        ),
        "confirmed": _count(
            Q(Exists(Event.objects.filter(complaint=ref, to_status=S.CLOSED, data__confirmed=True)))
        ),
        "disputed": _count(Q(Exists(Event.objects.filter(complaint=ref, to_status=S.DISPUTED)))),
    }
    for i, name in enumerate(CONFIDENCE_FIELDS):
        low, high = i / ComplaintStat.CONFIDENCE_BINS, (i + 1) / ComplaintStat.CONFIDENCE_BINS
        upper = {confidence + "__lt": high} if i < ComplaintStat.CONFIDENCE_BINS - 1 else {}
        measures[name] = _count(Q(**{confidence + "__gte": low, **upper}))
    if complaint_level:
        through = Complaint.categories.through.objects.filter(complaint_id=ref)
        measures["unlabelled"] = _count(~Q(Exists(through)))
    return measures


def _day_ranges(days: Iterable[datetime.date]) -> Q:
    """Complaints submitted on any of the days (local dates), as a few datetime ranges."""
    tz = ZoneInfo(settings.TIME_ZONE)
    q = Q()
    runs: list[list[datetime.date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == datetime.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    for first, last in runs:
        start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(
            last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        q |= Q(submitted_at__gte=start, submitted_at__lt=end)
    return q


def _prefixed(q: Q, prefix: str) -> Q:
    """The same condition on a related complaint (for the complaint-category table)."""
    result = Q()
    result.connector = q.connector
    result.negated = q.negated
    for child in q.children:
        if isinstance(child, Q):
            result.children.append(_prefixed(child, prefix))
        else:
            key, value = child
            result.children.append((prefix + key, value))
    return result


def _rows(days: list[datetime.date] | None, today: datetime.date) -> list[ComplaintStat]:
    """Summary rows for the given days (all days when None), in four grains: everything, per
    category, per app, per app and category."""
    tz = ZoneInfo(settings.TIME_ZONE)
    complaints = Complaint.objects.all()
    pairs = Complaint.categories.through.objects.all()
    if days is not None:
        window = _day_ranges(days)
        complaints = complaints.filter(window)
        pairs = pairs.filter(_prefixed(window, "complaint__"))
    by_app = (
        complaints.order_by()
        .values(day=TruncDate("submitted_at", tzinfo=tz), app_key=F("app_id"))
        .annotate(**_measures("", "pk", today=today, complaint_level=True))
    )
    by_app_category = (
        pairs.order_by()
        .values(
            day=TruncDate("complaint__submitted_at", tzinfo=tz),
            app_key=F("complaint__app_id"),
            category_key=F("category_id"),
        )
        .annotate(**_measures("complaint__", "complaint_id", today=today, complaint_level=False))
    )
    totals: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for row in by_app:
        _add(totals[(row["day"], None, None)], row)
        # Complaints not matched to an app count in the platform rows only.
        if row["app_key"] is not None:
            _add(totals[(row["day"], row["app_key"], None)], row)
    for row in by_app_category:
        _add(totals[(row["day"], None, row["category_key"])], row)
        if row["app_key"] is not None:
            _add(totals[(row["day"], row["app_key"], row["category_key"])], row)
    return [
        ComplaintStat(submitted_date=day, app_id=app_id, category_id=category_id, **values)
        for (day, app_id, category_id), values in totals.items()
        if values["received"]
    ]


def _add(target: dict[str, int], row: dict) -> None:
    for name in MEASURES:
        target[name] += row.get(name) or 0


def _write(rows: list[ComplaintStat]) -> None:
    """Insert summary rows: COPY on PostgreSQL (several times faster than INSERT for a full
    rebuild), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        ComplaintStat.objects.bulk_create(rows, batch_size=500)
        return
    fields = [f for f in ComplaintStat._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {ComplaintStat._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([getattr(row, f.attname) for f in fields])


def _changed_days(state: StatisticsState) -> set[datetime.date]:
    """Submission days of complaints added or changed since the watermarks (with overlap)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    new = (
        Complaint.objects.filter(pk__gt=max(0, state.last_complaint_id - WATERMARK_OVERLAP))
        .order_by()
        .values_list(TruncDate("submitted_at", tzinfo=tz), flat=True)
        .distinct()
    )
    changed = (
        Complaint.objects.filter(
            pk__in=Event.objects.filter(
                pk__gt=max(0, state.last_event_id - WATERMARK_OVERLAP), complaint__isnull=False
            ).values("complaint_id")
        )
        .order_by()
        .values_list(TruncDate("submitted_at", tzinfo=tz), flat=True)
        .distinct()
    )
    return set(new) | set(changed)


def statistics_refresh(
    *, full: bool = False, now: datetime.datetime | None = None
) -> RefreshResult | None:
    """Bring ComplaintStat up to date: the changed days, or everything when asked, when the
    date has moved on since the last full rebuild, or when most days changed. Returns None
    when another refresh holds the state row (that one will count the same changes)."""
    started = time.perf_counter()
    now = now or timezone.now()
    today = timezone.localdate(now)
    StatisticsState.objects.get_or_create(pk=1)
    with transaction.atomic():
        state = StatisticsState.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        if state is None:
            return None
        last_complaint_id = Complaint.objects.aggregate(top=Max("pk"))["top"] or 0
        last_event_id = Event.objects.aggregate(top=Max("pk"))["top"] or 0
        days: list[datetime.date] | None = None
        full = full or state.rebuilt_for_date != today
        if not full:
            days = sorted(_changed_days(state))
            full = len(days) > FULL_REBUILD_AFTER_DAYS
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # These grouped scans look expensive to the planner, which would spend a second
                # compiling them with JIT for queries that run in milliseconds.
                cursor.execute("SET LOCAL jit = off")
        rows = _rows(None if full else days, today)
        if full:
            ComplaintStat.objects.all().delete()
        elif days:
            ComplaintStat.objects.filter(submitted_date__in=days).delete()
        _write(rows)
        state.last_complaint_id = last_complaint_id
        state.last_event_id = last_event_id
        state.refreshed_at = now
        if full:
            state.rebuilt_at = now
            state.rebuilt_for_date = today
        state.refresh_seconds = time.perf_counter() - started
        state.save()
    if full and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh planner statistics for the rebuilt table, so range scans keep their index.
            cursor.execute(f"ANALYZE {ComplaintStat._meta.db_table}")
    result = RefreshResult(
        full=full,
        days=len(days)
        if days is not None
        else ComplaintStat.objects.dates("submitted_date", "day").count(),
        rows=len(rows),
        seconds=time.perf_counter() - started,
    )
    logger.info("Statistics refreshed: %s", result)
    return result


def statistics_age_seconds(now: datetime.datetime | None = None) -> float | None:
    """Seconds since the last refresh; None when the summary was never built."""
    refreshed_at = (
        StatisticsState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()
    )
    if refreshed_at is None:
        return None
    return ((now or timezone.now()) - refreshed_at).total_seconds()


def statistics_ensure_fresh() -> None:
    """Pages call this before reading the summary. With a worker and beat running the task
    keeps it fresh and this does nothing; otherwise (the embedded default, tests) a stale
    summary is refreshed through the task, which then runs in-process. An enqueue is made at
    most once per half a freshness period."""
    from ..tasks import refresh_statistics

    age = statistics_age_seconds()
    if age is not None and age < settings.STATISTICS_MAX_AGE_SECONDS:
        return
    if not settings.CELERY_TASK_ALWAYS_EAGER and age is not None:
        # A worker will do it; make sure one is asked, but only once per period.
        if cache.add(_ENQUEUED_KEY, True, timeout=max(1, settings.STATISTICS_MAX_AGE_SECONDS // 2)):
            refresh_statistics.delay()
        return
    refresh_statistics.apply()
