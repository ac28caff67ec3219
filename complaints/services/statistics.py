"""The summary table behind dashboards and open data (ComplaintStat): complaint figures per
submission day, app and category, rebuilt for the days whose complaints changed.

What changed is read from two watermarks: complaint ids (new rows, including bulk loads that
write no events) and event ids (every status, label or erasure change writes one). Figures
that depend on the date itself (decision or answer overdue) change when the date does: the
first refresh of a day also re-counts the days of the complaints whose deadlines passed since
the last one.
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
from django.db.models import Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .. import workflow
from ..models import (
    Complaint,
    ComplaintStat,
    Event,
    OperatorResponse,
    StatisticsState,
)
from .copy_writer import copy_line, copy_write
from .enqueue import task_send

logger = logging.getLogger(__name__)

S = Complaint.Status
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
_REFRESH_TASK = "complaints.tasks.refresh_statistics"


@dataclass
class RefreshResult:
    full: bool
    days: int
    rows: int
    seconds: float


def _measure_sql(*, today: datetime.date, complaint_level: bool) -> tuple[str, list]:
    """SUM(CASE ...) for every ComplaintStat measure over the `f` (facts) rows, in
    MEASURES order, with its parameters. Plain SQL both PostgreSQL and SQLite run."""
    threshold = settings.CLASSIFIER_CONFIDENCE_THRESHOLD

    def among(statuses) -> tuple[str, list]:
        return f"f.status IN ({', '.join(['%s'] * len(statuses))})", [str(s) for s in statuses]

    open_sql, open_params = among(workflow.AWAITING_DECISION)
    accepted_sql, accepted_params = among(workflow.CONFIRMED)
    waiting_sql, waiting_params = among(workflow.AWAITING_OPERATOR)
    conditions: dict[str, tuple[str, list]] = {
        "received": ("1 = 1", []),
        "unlabelled": ("f.labelled = 0", []) if complaint_level else ("1 = 0", []),
        "awaiting_decision": (open_sql, open_params),
        "decision_overdue": (f"{open_sql} AND f.decision_due_date < %s", [*open_params, today]),
        "info_requested": ("f.status = %s", [S.INFO_REQUESTED.value]),
        "accepted": (accepted_sql, accepted_params),
        "rejected": ("f.status = %s", [S.REJECTED.value]),
        "duplicate": ("f.status = %s", [S.DUPLICATE.value]),
        "withdrawn": ("f.status = %s", [S.WITHDRAWN.value]),
        "closed": ("f.status = %s", [S.CLOSED.value]),
        "published": (
            f"f.consent_publish = %s AND f.erased_at IS NULL AND {accepted_sql}",
            [True, *accepted_params],
        ),
        "classified": ("f.confidence IS NOT NULL", []),
        "auto_routed": ("f.confidence >= %s", [threshold]),
        "reviewed": ("f.label_source = %s", [Complaint.LabelSource.REGULATOR.value]),
        "relabelled": ("f.relabelled = 1", []),
        "sent_to_operator": ("f.operator_due_date IS NOT NULL", []),
        "awaiting_operator": (f"{waiting_sql} AND f.operator_due_date IS NOT NULL", waiting_params),
        "replied": ("f.first_reply_date IS NOT NULL", []),
        "replied_on_time": ("f.first_reply_date <= f.operator_due_date", []),
        "reply_overdue": (f"{waiting_sql} AND f.operator_due_date < %s", [*waiting_params, today]),
        "confirmed": ("f.confirmed = 1", []),
        "disputed": ("f.disputed = 1", []),
    }
    bins = ComplaintStat.CONFIDENCE_BINS
    for i, name in enumerate(CONFIDENCE_FIELDS):
        if i < bins - 1:
            conditions[name] = (
                "f.confidence >= %s AND f.confidence < %s",
                [i / bins, (i + 1) / bins],
            )
        else:
            conditions[name] = ("f.confidence >= %s", [i / bins])
    parts, params = [], []
    for name in MEASURES:
        condition, condition_params = conditions[name]
        parts.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {name}")
        params += condition_params
    return ", ".join(parts), params


def _where(queryset) -> tuple[str, list]:
    """The WHERE clause the ORM compiles for a queryset over one table (JSON lookups differ
    between databases), for use inside hand-written SQL over the same, unaliased table."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql.split(" WHERE ", 1)[1], list(params)


def _facts(days: list[datetime.date] | None) -> tuple[str, list]:
    """Common table expressions ending in `f`: one row per complaint submitted on the days
    (all when None) with everything the measures look at. Replies, relabels, confirmations,
    disputes and labels are joined as grouped tables; for a few days they are first narrowed
    to the complaints of those days (`w`), so the indexes on complaint_id do the work."""
    tz = settings.TIME_ZONE
    complaint, event = Complaint._meta.db_table, Event._meta.db_table
    response, through = OperatorResponse._meta.db_table, Complaint.categories.through._meta.db_table
    ctes, params = [], []
    narrow = ""
    if days is not None:
        ranges = []
        for start, end in _day_ranges(days):
            ranges.append("(submitted_at >= %s AND submitted_at < %s)")
            params += [
                connection.ops.adapt_datetimefield_value(start),
                connection.ops.adapt_datetimefield_value(end),
            ]
        ctes.append(f"w AS (SELECT id FROM {complaint} WHERE {' OR '.join(ranges)})")  # noqa: S608
        narrow = "JOIN w ON w.id = {table}.complaint_id"
    reply_where, reply_params = _where(
        OperatorResponse.objects.filter(kind=OperatorResponse.Kind.COMPLAINT_REPLY)
    )
    joins = [
        (
            f"(SELECT {response}.complaint_id, MIN({response}.created_at) AS first_reply_at FROM {response} "  # noqa: S608
            f"{narrow.format(table=response)} WHERE {reply_where} GROUP BY {response}.complaint_id) r",
            reply_params,
        )
    ]
    flags = {
        "l": (
            "relabelled",
            event,
            Event.objects.filter(kind=Event.Kind.LABELS).exclude(data__from=[]),
        ),
        "k": ("confirmed", event, Event.objects.filter(to_status=S.CLOSED, data__confirmed=True)),
        "d": ("disputed", event, Event.objects.filter(to_status=S.DISPUTED)),
        "g": ("labelled", through, None),
    }
    columns = []
    for alias, (name, table, queryset) in flags.items():
        where, where_params = _where(queryset) if queryset is not None else ("1 = 1", [])
        joins.append(
            (
                f"(SELECT DISTINCT {table}.complaint_id FROM {table} {narrow.format(table=table)} "  # noqa: S608
                f"WHERE {where}) {alias}",
                where_params,
            )
        )
        columns.append(f"CASE WHEN {alias}.complaint_id IS NULL THEN 0 ELSE 1 END AS {name}")
    day_sql, day_params = connection.ops.datetime_cast_date_sql("c.submitted_at", [], tz)
    reply_day_sql, reply_day_params = connection.ops.datetime_cast_date_sql(
        "r.first_reply_at", [], tz
    )
    join_sql = " ".join(
        f"LEFT JOIN {sql} ON {sql.rsplit(' ', 1)[1]}.complaint_id = c.id" for sql, _ in joins
    )
    join_params = [p for _, join_params in joins for p in join_params]
    ctes.append(
        f"""f AS (
        SELECT c.id, {day_sql} AS day, c.app_id, c.status, c.decision_due_date, c.operator_due_date,
               c.confidence, c.label_source, c.consent_publish, c.erased_at,
               {reply_day_sql} AS first_reply_date, {", ".join(columns)}
        FROM {complaint} c {"JOIN w ON w.id = c.id" if days is not None else ""}
        {join_sql}
    )"""  # noqa: S608
    )
    params += [*day_params, *reply_day_params, *join_params]
    return "WITH " + ", ".join(ctes), params


def _day_ranges(days: Iterable[datetime.date]) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The days (local dates) as a few [start, end) datetime ranges, consecutive days merged."""
    tz = ZoneInfo(settings.TIME_ZONE)
    runs: list[list[datetime.date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == datetime.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [
        (
            datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
            datetime.datetime.combine(
                last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
            ),
        )
        for first, last in runs
    ]


def _rows(days: list[datetime.date] | None, today: datetime.date) -> list[ComplaintStat]:
    """Summary rows for the given days (all days when None), in four grains: everything, per
    category, per app, per app and category. One query: the complaint facts once, grouped by
    day and app, and joined to their categories grouped by day, app and category."""
    ctes, facts_params = _facts(days)
    per_complaint, per_complaint_params = _measure_sql(today=today, complaint_level=True)
    per_label, per_label_params = _measure_sql(today=today, complaint_level=False)
    through = Complaint.categories.through._meta.db_table
    sql = f"""
        {ctes}
        SELECT f.day, f.app_id, NULL AS category_id, {per_complaint}
        FROM f GROUP BY f.day, f.app_id
        UNION ALL
        SELECT f.day, f.app_id, cc.category_id, {per_label}
        FROM f JOIN {through} cc ON cc.complaint_id = f.id GROUP BY f.day, f.app_id, cc.category_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*facts_params, *per_complaint_params, *per_label_params])
        names = [column[0] for column in cursor.description]
        fetched = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    by_app = [r for r in fetched if r["category_id"] is None]
    by_app_category = [r for r in fetched if r["category_id"] is not None]
    for row in fetched:
        row["day"] = _as_date(row["day"])
    totals: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for row in by_app:
        _add(totals[(row["day"], None, None)], row)
        # Complaints not matched to an app count in the platform rows only.
        if row["app_id"] is not None:
            _add(totals[(row["day"], row["app_id"], None)], row)
    for row in by_app_category:
        _add(totals[(row["day"], None, row["category_id"])], row)
        if row["app_id"] is not None:
            _add(totals[(row["day"], row["app_id"], row["category_id"])], row)
    return [
        ComplaintStat(submitted_date=day, app_id=app_id, category_id=category_id, **values)
        for (day, app_id, category_id), values in totals.items()
        if values["received"]
    ]


def _as_date(value) -> datetime.date:
    # SQLite hands dates back as text.
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


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
    with connection.cursor() as cursor:
        copy_write(
            cursor,
            table=ComplaintStat._meta.db_table,
            columns=[f.column for f in fields],
            lines=(copy_line([getattr(row, f.attname) for f in fields]) for row in rows),
        )


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


def _deadline_days(counted_for: datetime.date, today: datetime.date) -> set[datetime.date]:
    """Submission days of the complaints whose "overdue" standing changed between the date the
    figures were counted for and today: a decision or answer deadline in between, on a
    complaint still waiting for it."""
    low, high = sorted((counted_for, today))
    tz = ZoneInfo(settings.TIME_ZONE)
    passed = Complaint.objects.filter(
        Q(
            status__in=workflow.AWAITING_DECISION,
            decision_due_date__gte=low,
            decision_due_date__lt=high,
        )
        | Q(
            status__in=workflow.AWAITING_OPERATOR,
            operator_due_date__gte=low,
            operator_due_date__lt=high,
        )
    )
    return set(
        passed.order_by().values_list(TruncDate("submitted_at", tzinfo=tz), flat=True).distinct()
    )


def statistics_refresh(
    *, full: bool = False, now: datetime.datetime | None = None
) -> RefreshResult | None:
    """Bring ComplaintStat up to date: the changed days (and, on a new date, the days whose
    deadlines passed), or everything when asked, the first time, or when most days changed.
    Returns None when another refresh holds the state row (that one will count the same
    changes)."""
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
        full = full or state.rebuilt_for_date is None
        if not full:
            changed = _changed_days(state)
            if state.rebuilt_for_date != today:
                changed |= _deadline_days(state.rebuilt_for_date, today)
            days = sorted(changed)
            full = len(days) > FULL_REBUILD_AFTER_DAYS
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # These grouped scans look expensive to the planner, which would spend a second
                # compiling them with JIT for queries that run in milliseconds.
                cursor.execute("SET LOCAL jit = off")
                # Room to group a million complaints in memory instead of sorting on disk, and
                # index look-ups priced for SSDs, so a refresh of a few days uses them.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute("SET LOCAL random_page_cost = 1.1")
        # Nothing filed or changed (a new platform, no complaints yet): no day to count.
        rows = _rows(None if full else days, today) if full or days else []
        if full:
            ComplaintStat.objects.all().delete()
        elif days:
            ComplaintStat.objects.filter(submitted_date__in=days).delete()
        _write(rows)
        state.last_complaint_id = last_complaint_id
        state.last_event_id = last_event_id
        state.refreshed_at = now
        state.rebuilt_for_date = today  # the date the overdue figures are now counted for
        if full:
            state.rebuilt_at = now
        state.refresh_seconds = time.perf_counter() - started
        state.save()
    if full and connection.vendor == "postgresql":
        # Reclaim the replaced rows and refresh the planner's statistics now rather than
        # whenever autovacuum comes by (VACUUM cannot run inside a transaction).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(f"{command} {ComplaintStat._meta.db_table}")
    result = RefreshResult(
        full=full,
        days=len(days)
        if days is not None
        else ComplaintStat.objects.dates("submitted_date", "day").count(),
        rows=len(rows),
        seconds=time.perf_counter() - started,
    )
    # Beat refreshes every STATISTICS_REFRESH_SECONDS: the few changed days are routine (DEBUG);
    # a rebuild of every day (a new date, a first run, many days changed) is worth a line.
    logger.log(logging.INFO if full else logging.DEBUG, "Statistics refreshed: %s", result)
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
    """Pages call this before reading the summary. With a worker and beat running, the task
    keeps it fresh and this does nothing; if beat has stopped, a worker is asked (at most
    once per half a freshness period) and the page shows the last figures meanwhile. Without
    a broker (the embedded default, tests) a stale summary is refreshed in-process."""
    age = statistics_age_seconds()
    if age is not None and age < settings.STATISTICS_MAX_AGE_SECONDS:
        return
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        if cache.add(_ENQUEUED_KEY, True, timeout=max(1, settings.STATISTICS_MAX_AGE_SECONDS // 2)):
            task_send(_REFRESH_TASK, what="a statistics refresh")
        return
    task_send(_REFRESH_TASK, what="a statistics refresh")  # eager: runs here and now
