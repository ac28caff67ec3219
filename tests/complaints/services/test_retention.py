"""The retention job: personal data of complaints closed more than RETENTION_YEARS ago is
erased through the erasure service (statistics keep the rest); evidence drafts older than a
day go too. Dates are frozen on both sides of each limit."""

import datetime
import io
import os

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from complaints.models import Complaint, Event
from complaints.services import triage
from complaints.services.consumers import TOMBSTONE, complaint_withdraw
from complaints.services.retention import retention_cutoff
from complaints.tasks import purge_expired_personal_data
from tests.factories import make_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOW = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=datetime.UTC)


def filed_and_closed(app, rita, closed_at: datetime.datetime, *, withdraw=False) -> Complaint:
    with time_machine.travel(closed_at - datetime.timedelta(days=30), tick=False):
        complaint = make_complaint(
            app=app,
            description="我叫王小明，电话 13812345678，自动续费扣款。",
            contact_name="王小明",
            contact_phone="13812345678",
            contact_email="wang@example.com",
        )
    with time_machine.travel(closed_at, tick=False):
        if withdraw:
            complaint_withdraw(complaint=complaint)
        else:
            triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
            triage.complaint_close(complaint=complaint, actor=rita, reason="Resolved.")
    return complaint


def years_ago(years: int, days: int = 0) -> datetime.datetime:
    return NOW.replace(year=NOW.year - years) + datetime.timedelta(days=days)


def test_complaints_closed_more_than_five_years_ago_lose_their_personal_data(app, rita):
    old = filed_and_closed(app, rita, years_ago(5, days=-1))
    withdrawn = filed_and_closed(app, rita, years_ago(7), withdraw=True)
    recent = filed_and_closed(app, rita, years_ago(5, days=+1))
    with time_machine.travel(years_ago(9), tick=False):
        still_open = make_complaint(app=app, contact_name="李四")
    with time_machine.travel(NOW, tick=False):
        assert purge_expired_personal_data() == 2
        # A second run finds nothing more to do.
        assert purge_expired_personal_data() == 0
    for complaint in (old, withdrawn):
        complaint.refresh_from_db()
        assert complaint.is_erased and complaint.description == TOMBSTONE
        assert (complaint.contact_name, complaint.contact_phone, complaint.contact_email) == (
            "",
            "",
            "",
        )
        assert complaint.contact_email_index == ""
        # Kept for statistics: app, status, dates.
        assert complaint.app == app and complaint.closed_at is not None
        erasure = complaint.events.get(kind=Event.Kind.ERASURE)
        assert erasure.actor is None and erasure.actor_role == "system"
        assert "5 years" in erasure.reason
    for complaint in (recent, still_open):
        complaint.refresh_from_db()
        assert not complaint.is_erased and complaint.contact_name in ("王小明", "李四")


@override_settings(RETENTION_YEARS=2)
def test_the_period_is_a_setting(app, rita):
    complaint = filed_and_closed(app, rita, years_ago(3))
    with time_machine.travel(NOW, tick=False):
        out = io.StringIO()
        call_command("purge_expired", "--dry-run", stdout=out)
        assert out.getvalue().startswith("1 complaints are past retention")
        complaint.refresh_from_db()
        assert not complaint.is_erased
        call_command("purge_expired", stdout=out)
    assert "Erased the personal data of 1 complaints" in out.getvalue()
    complaint.refresh_from_db()
    assert complaint.is_erased


def test_purge_expired_also_removes_day_old_evidence_drafts(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    old = default_storage.save("evidence-drafts/old", ContentFile(b"x"))
    fresh = default_storage.save("evidence-drafts/fresh", ContentFile(b"y"))
    now = timezone.now().timestamp()
    os.utime(default_storage.path(old), (now - 25 * 3600, now - 25 * 3600))
    os.utime(default_storage.path(fresh), (now - 23 * 3600, now - 23 * 3600))
    out = io.StringIO()
    call_command("purge_expired", stdout=out)
    assert "deleted 1 evidence drafts" in out.getvalue()
    assert not default_storage.exists(old) and default_storage.exists(fresh)


def test_the_cutoff_is_the_same_calendar_moment_years_before():
    assert retention_cutoff(NOW, 5) == datetime.datetime(2021, 11, 18, 9, 0, tzinfo=datetime.UTC)
    leap = datetime.datetime(2028, 2, 29, 12, 0, tzinfo=datetime.UTC)
    assert retention_cutoff(leap, 5) == datetime.datetime(2023, 2, 28, 12, 0, tzinfo=datetime.UTC)


def test_beat_runs_the_retention_job_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-personal-data"]
    assert entry["task"] == "complaints.tasks.purge_expired_personal_data"
    assert "purge-evidence-drafts" in settings.CELERY_BEAT_SCHEDULE


def _decided_against(app, rita, at: datetime.datetime) -> tuple[Complaint, Complaint]:
    """A rejected complaint and a duplicate, both decided at `at`."""
    with time_machine.travel(at - datetime.timedelta(days=10), tick=False):
        original = make_complaint(app=app, description="自动续费扣款，电话 13812345678。")
        rejected = make_complaint(app=app, contact_name="王小明", contact_phone="13812345678")
        duplicate = make_complaint(app=app, contact_name="李四", contact_phone="13912345678")
    with time_machine.travel(at, tick=False):
        triage.complaint_reject(complaint=rejected, actor=rita, reason="spam")
        triage.complaint_mark_duplicate(complaint=duplicate, original=original, actor=rita)
    return rejected, duplicate


def test_rejected_and_duplicate_complaints_are_stamped_closed_and_reach_retention(app, rita):
    rejected, duplicate = _decided_against(app, rita, years_ago(5, days=-1))
    for complaint in (rejected, duplicate):
        complaint.refresh_from_db()
        assert complaint.closed_at == years_ago(5, days=-1)
    with time_machine.travel(NOW, tick=False):
        assert purge_expired_personal_data() == 2
    for complaint in (rejected, duplicate):
        complaint.refresh_from_db()
        assert complaint.is_erased and complaint.contact_name == ""
        assert complaint.status in (Complaint.Status.REJECTED, Complaint.Status.DUPLICATE)


def test_an_appeal_that_reopens_a_rejected_complaint_clears_its_closing_time(app, rita):
    from complaints.services.events import complaint_move

    rejected, _duplicate = _decided_against(app, rita, years_ago(6))
    complaint_move(complaint=rejected, to_status=Complaint.Status.NEEDS_REVIEW, actor=rita)
    rejected.refresh_from_db()
    assert rejected.closed_at is None
    with time_machine.travel(NOW, tick=False):
        assert purge_expired_personal_data() == 1  # the duplicate only
    rejected.refresh_from_db()
    assert not rejected.is_erased


def test_the_data_migration_stamps_earlier_rejected_and_duplicate_complaints(app, rita):
    import importlib
    from types import SimpleNamespace

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    rejected, duplicate = _decided_against(app, rita, years_ago(6))
    withdrawn = filed_and_closed(app, rita, years_ago(7), withdraw=True)
    # As the rows were before: no closing time on decisions against a complaint; decided
    # earlier (a first decision, then an appeal and this one).
    Complaint.objects.filter(pk__in=[rejected.pk, duplicate.pk]).update(
        closed_at=None, decided_at=years_ago(8)
    )
    module = importlib.import_module(
        "complaints.migrations.0023_closed_at_for_rejected_and_duplicate"
    )
    state = MigrationExecutor(connection).loader.project_state(
        ("complaints", "0023_closed_at_for_rejected_and_duplicate")
    )
    module.stamp_closed_at(state.apps, SimpleNamespace(connection=connection))
    for complaint in (rejected, duplicate):
        complaint.refresh_from_db()
        assert complaint.closed_at == years_ago(6)  # when the event moved it there
    withdrawn_closed_at = Complaint.objects.get(pk=withdrawn.pk).closed_at
    assert withdrawn_closed_at == years_ago(7)
    with time_machine.travel(NOW, tick=False):
        assert purge_expired_personal_data() == 3
