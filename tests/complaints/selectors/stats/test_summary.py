"""The statistics summary table: what each measure counts, incremental refresh from the id
watermarks, the day change, and the freshness guard pages call."""

import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from complaints.models import Category, Complaint, ComplaintStat, StatisticsState
from complaints.services import cases as case_services
from complaints.services import operators, triage
from complaints.services.statistics import (
    MEASURES,
    WATERMARK_OVERLAP,
    _deadline_days,
    statistics_age_seconds,
    statistics_ensure_fresh,
    statistics_refresh,
)
from complaints.services.statistics import (
    _rows as statistics_rows,
)
from complaints.tasks import refresh_statistics
from tests.factories import make_complaint

# Deadlines, clocks and day counts: run at each of the dates in tests/clock.py.
pytestmark = [pytest.mark.django_db, pytest.mark.every_date]


def days_ago(days: int, hour: int = 10) -> datetime.datetime:
    local = timezone.localtime() - datetime.timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def model_labels(complaint: Complaint, codes: list[str], confidence: float) -> Complaint:
    """What the classifier leaves behind (test set-up: the classifier is another module's job)."""
    complaint.categories.set(Category.objects.filter(code__in=codes))
    Complaint.objects.filter(pk=complaint.pk).update(
        label_source=Complaint.LabelSource.MODEL,
        confidence=confidence,
        status=Complaint.Status.CLASSIFIED,
    )
    complaint.refresh_from_db()
    return complaint


def stats_world(*, app, other_app, rita, olivia):
    """A small platform: complaints at every stage, one relabelled, one answered and
    confirmed, one waiting past the decision deadline, one not matched to an app, and a case
    under notice."""
    w = SimpleNamespace()
    w.confirmed = make_complaint(
        app=app,
        submitted_at=days_ago(10),
        consent_publish=True,
        description="扣费了两次，客服电话 13812345678 打不通。",
    )
    model_labels(w.confirmed, ["unauthorized_charges"], 0.92)
    triage.complaint_accept(complaint=w.confirmed, actor=rita, at=days_ago(9))
    operators.complaint_answer(
        complaint=w.confirmed,
        actor=olivia,
        text="已退款。",
        closure_code="refunded",
        at=days_ago(8),
    )
    operators.complaint_confirm(complaint=w.confirmed, rating=5, at=days_ago(7))

    # The model missed it; the text backs both of the regulator's labels (item 16).
    w.relabelled = make_complaint(
        app=app,
        submitted_at=days_ago(10),
        description="假客服说能退款，让我转账，之后还开了自动续费。",
    )
    model_labels(w.relabelled, ["other"], 0.41)
    triage.complaint_accept(
        complaint=w.relabelled,
        actor=rita,
        category_codes=["fraud", "unauthorized_charges"],
        at=days_ago(9),
    )

    w.waiting = make_complaint(app=other_app, submitted_at=days_ago(30))
    model_labels(w.waiting, ["fraud"], 0.55)

    w.rejected = make_complaint(app=other_app, submitted_at=days_ago(10))
    triage.complaint_reject(complaint=w.rejected, actor=rita, reason="spam", at=days_ago(9))

    # Filed three days ago: within its decision deadline on every date (seven working days).
    w.unmatched = make_complaint(app_name="不存在的应用", submitted_at=days_ago(3))

    w.case = case_services.case_open(
        app=app, categories=["unauthorized_charges"], actor=rita, at=days_ago(6)
    )
    case_services.notice_issue(case=w.case, actor=rita, problems="自动续费未提示。", at=days_ago(5))
    return w


@pytest.fixture
def world(app, other_app, rita, olivia):
    return stats_world(app=app, other_app=other_app, rita=rita, olivia=olivia)


def row(day: datetime.datetime, app=None, category: str | None = None) -> ComplaintStat:
    return ComplaintStat.objects.get(
        submitted_date=timezone.localdate(day),
        app=app,
        category=Category.objects.get(code=category) if category else None,
    )


def test_platform_row_counts_each_complaint_once(world):
    statistics_refresh()
    day = row(days_ago(10))
    assert day.received == 3  # confirmed, relabelled, rejected
    assert day.accepted == 2 and day.rejected == 1 and day.closed == 1
    assert day.awaiting_decision == 0
    assert day.unlabelled == 1  # the rejected one never got labels
    recent = row(days_ago(3))
    assert recent.received == 1 and recent.awaiting_decision == 1  # the unmatched one
    assert recent.unlabelled == 1 and recent.decision_overdue == 0
    assert day.reviewed == 1 and day.relabelled == 1
    assert day.sent_to_operator == 2 and day.replied == 1 and day.replied_on_time == 1
    assert day.confirmed == 1 and day.published == 1


def test_per_category_rows_count_a_complaint_in_each_of_its_categories(world, app):
    statistics_refresh()
    assert row(days_ago(10), category="unauthorized_charges").received == 2
    assert row(days_ago(10), category="fraud").received == 1
    assert row(days_ago(10), app=app, category="fraud").relabelled == 1
    assert not ComplaintStat.objects.filter(category__code="other").exists()  # relabelled away


def test_unmatched_complaints_count_on_the_platform_only(world, app, other_app):
    statistics_refresh()
    per_app = ComplaintStat.objects.filter(
        submitted_date=timezone.localdate(days_ago(10)), category=None
    )
    assert {r.app_id: r.received for r in per_app} == {None: 3, app.pk: 2, other_app.pk: 1}
    recent = ComplaintStat.objects.filter(
        submitted_date=timezone.localdate(days_ago(3)), category=None
    )
    assert {r.app_id: r.received for r in recent} == {None: 1}


def test_decision_overdue_and_confidence_bins(world, other_app):
    statistics_refresh()
    waiting = row(days_ago(30), app=other_app)
    assert waiting.awaiting_decision == 1 and waiting.decision_overdue == 1
    assert waiting.classified == 1 and waiting.auto_routed == 0  # 0.55 is under the threshold
    assert waiting.confidence_bin_5 == 1
    day = row(days_ago(10))
    assert day.confidence_bin_9 == 1 and day.confidence_bin_4 == 1
    assert day.auto_routed == 1  # 0.92


def test_summary_matches_a_direct_count_of_complaints(world):
    statistics_refresh()
    totals = ComplaintStat.objects.filter(app=None, category=None).aggregate(
        received=Sum("received"), accepted=Sum("accepted")
    )
    assert totals["received"] == Complaint.objects.count() == 5
    assert (
        totals["accepted"]
        == Complaint.objects.filter(status__in=["accepted", "linked", "answered", "closed"]).count()
    )


def test_incremental_refresh_reads_only_changed_days(world, rita):
    first = statistics_refresh()
    assert first.full  # never built before
    make_complaint(submitted_at=days_ago(2), app_name="新应用")
    second = statistics_refresh()
    assert not second.full and second.days >= 1
    assert row(days_ago(2)).received == 1
    # A status change on an old complaint (an event) refreshes that complaint's day.
    triage.complaint_accept(complaint=world.waiting, actor=rita)
    statistics_refresh()
    assert row(days_ago(30)).accepted == 1 and row(days_ago(30)).awaiting_decision == 0


def snapshot() -> set[tuple]:
    fields = ("submitted_date", "app_id", "category_id", *MEASURES)
    return {tuple(getattr(r, f) for f in fields) for r in ComplaintStat.objects.all()}


def test_running_twice_changes_nothing(world):
    statistics_refresh()
    before = snapshot()
    statistics_refresh()
    statistics_refresh(full=True)
    after = snapshot()
    assert before == after


def test_a_refresh_with_no_complaints_at_all_counts_nothing():
    statistics_refresh(full=True)  # a new platform: rebuilt for today, nothing filed yet

    result = statistics_refresh()

    assert (result.full, result.rows) == (False, 0)
    assert not ComplaintStat.objects.exists()


def test_day_by_day_and_full_rebuild_agree(world):
    """The two ways of reading facts (index look-ups for a few days, grouped joins for all)
    give the same rows."""
    today = timezone.localdate()
    every_day = sorted({timezone.localdate(c.submitted_at) for c in Complaint.objects.all()})

    def key(rows):
        return {
            (r.submitted_date, r.app_id, r.category_id, *(getattr(r, m) for m in MEASURES))
            for r in rows
        }

    assert key(statistics_rows(every_day, today)) == key(statistics_rows(None, today))
    assert any(
        r.replied_on_time and r.relabelled and r.confirmed
        for r in statistics_rows(every_day, today)
    )


def test_a_new_day_recounts_the_days_whose_deadlines_passed(world, app, rita):
    """At midnight "overdue" changes for complaints whose deadline was the day before: the
    first refresh of the new day re-counts their days (not the whole year) and ends where a
    full rebuild would."""
    today = timezone.localdate()
    due_today = make_complaint(app=app, submitted_at=days_ago(5))
    Complaint.objects.filter(pk=due_today.pk).update(decision_due_date=today)
    answer_due = model_labels(
        make_complaint(app=app, submitted_at=days_ago(6)), ["unauthorized_charges"], 0.9
    )
    triage.complaint_accept(complaint=answer_due, actor=rita)
    Complaint.objects.filter(pk=answer_due.pk).update(operator_due_date=today)
    # Later filings, so the refresh's re-read of the newest ids does not reach the two above.
    for _ in range(WATERMARK_OVERLAP + 5):
        make_complaint(app=app, submitted_at=days_ago(1))
    statistics_refresh()
    assert row(days_ago(5)).decision_overdue == 0 and row(days_ago(6)).reply_overdue == 0

    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert {timezone.localdate(days_ago(5)), timezone.localdate(days_ago(6))} <= _deadline_days(
        today, timezone.localdate(tomorrow)
    )
    result = statistics_refresh(now=tomorrow)
    assert not result.full
    assert row(days_ago(5)).decision_overdue == 1 and row(days_ago(6)).reply_overdue == 1
    assert StatisticsState.objects.get().rebuilt_for_date == timezone.localdate(tomorrow)
    incremental = snapshot()
    statistics_refresh(full=True, now=tomorrow)
    assert snapshot() == incremental


def test_task_refreshes_and_is_in_the_beat_schedule(world):
    assert (
        settings.CELERY_BEAT_SCHEDULE["refresh-statistics"]["task"]
        == "complaints.tasks.refresh_statistics"
    )
    assert (
        settings.CELERY_BEAT_SCHEDULE["refresh-statistics"]["schedule"]
        <= settings.STATISTICS_MAX_AGE_SECONDS
    )
    message = refresh_statistics.apply().get()
    assert message.endswith(" s") and ComplaintStat.objects.exists()


def test_ensure_fresh_builds_once_then_waits_for_the_period(world, settings):
    assert statistics_age_seconds() is None
    statistics_ensure_fresh()
    refreshed_at = StatisticsState.objects.get().refreshed_at
    make_complaint(submitted_at=days_ago(1), app_name="新应用")
    statistics_ensure_fresh()  # still fresh: nothing happens
    assert StatisticsState.objects.get().refreshed_at == refreshed_at
    settings.STATISTICS_MAX_AGE_SECONDS = 0
    statistics_ensure_fresh()
    assert StatisticsState.objects.get().refreshed_at > refreshed_at
    assert row(days_ago(1)).received == 1


def test_with_a_broker_pages_never_refresh_in_process(world, settings):
    """When workers exist, a page finding the summary stale leaves the work to them: it asks
    at most once per half a freshness period (here: already asked) and shows the last
    figures meanwhile."""
    from django.core.cache import cache

    from complaints.services.statistics import _ENQUEUED_KEY

    statistics_refresh()
    settings.STATISTICS_MAX_AGE_SECONDS = 0
    settings.CELERY_TASK_ALWAYS_EAGER = False
    before = StatisticsState.objects.get().refreshed_at
    cache.set(_ENQUEUED_KEY, True, timeout=30)
    try:
        statistics_ensure_fresh()
    finally:
        cache.delete(_ENQUEUED_KEY)
    assert StatisticsState.objects.get().refreshed_at == before
