# ruff: noqa: F811 — pytest fixtures imported from tests.classifier.helpers are used as arguments
"""Early warning's writes: clustering as complaints are classified, dismissing with a reason
(recorded, tuning nothing), and a case opened from a cluster with its consumers told."""

import datetime

import pytest
from django.core import mail

from complaints.errors import DomainError, PermissionDenied
from complaints.models import Case, Complaint, Event
from complaints.services import triage
from complaints.services.classification import complaint_classify
from early_warning.daily import early_warning_run
from early_warning.models import Alert, Cluster, Dismissal
from early_warning.services import alert_dismiss, cluster_case_open, cluster_dismiss
from tests.classifier.helpers import active_version, model_dirs  # noqa: F401 — fixtures
from tests.factories import make_complaint

from .conftest import BURST_TEXTS, file_burst

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = Complaint.Status


def test_complaints_join_a_cluster_as_the_classifier_labels_them(
    settings, active_version, app, django_capture_on_commit_callbacks
):
    settings.CLASSIFIER_CONFIDENCE_THRESHOLD = 0.0
    complaints = [
        make_complaint(app=app, description=text, classify=False, send_receipt=False)
        for text in BURST_TEXTS[:4]
    ]
    for complaint in complaints:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            complaint_classify(complaint_id=complaint.pk)
        assert callbacks  # clustering was asked for after commit
    cluster = Cluster.objects.get()
    assert cluster.size == 4
    assert cluster.category.code in {c.code for c in complaints[0].categories.all()}


@pytest.fixture
def cluster(app, today, alice):
    complaints = file_burst(app, today - datetime.timedelta(days=1), BURST_TEXTS[:6])
    for complaint in complaints[:2]:
        complaint.submitter = alice
        complaint.save(update_fields=["submitter"])
    from early_warning.clustering import complaints_cluster

    [found] = complaints_cluster(complaint_ids=[c.pk for c in complaints])
    return found


def test_a_case_opened_from_a_cluster_holds_it_and_tells_every_consumer(
    cluster, rita, app, django_capture_on_commit_callbacks
):
    member = Complaint.objects.filter(cluster_membership__cluster=cluster).order_by("pk")
    accepted = member.first()
    triage.complaint_accept(complaint=accepted, actor=rita, category_codes=["over_permission"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = cluster_case_open(cluster=cluster, actor=rita)
    assert (case.app, case.status, [c.code for c in case.categories.all()]) == (
        app,
        "open",
        ["over_permission"],
    )
    assert set(case.complaints.values_list("pk", flat=True)) == set(
        member.values_list("pk", flat=True)
    )
    cluster.refresh_from_db()
    assert cluster.case == case
    accepted.refresh_from_db()
    assert accepted.status == S.LINKED  # told by its move to "linked"
    told = Event.objects.filter(message__id="collective_case", public=True)
    assert told.count() == 5
    assert {e.complaint_id for e in told} == set(
        member.exclude(pk=accepted.pk).values_list("pk", flat=True)
    )
    assert told.first().message["params"] == {
        "count": 6,
        "app": app.name,
        "reference": case.reference,
    }
    assert Event.objects.filter(case=case, data__early_warning="case_from_cluster").count() == 1
    # alice filed two of them signed in: she hears of both, each in its own message
    to_alice = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert len(to_alice) == 2
    with pytest.raises(DomainError, match="already opened"):
        cluster_case_open(cluster=cluster, actor=rita)
    assert Case.objects.count() == 1


def test_a_case_from_a_cluster_joins_the_open_case_in_that_kind(cluster, rita, app):
    from complaints.services.cases import case_open

    existing = case_open(app=app, categories=["over_permission"], actor=rita)
    assert cluster_case_open(cluster=cluster, actor=rita) == existing
    assert existing.complaints.count() == 6 and Case.objects.count() == 1


def test_only_regulators_open_or_dismiss(cluster, olivia, alice):
    for person in (olivia, alice):
        with pytest.raises(PermissionDenied):
            cluster_case_open(cluster=cluster, actor=person)
        with pytest.raises(PermissionDenied):
            cluster_dismiss(cluster=cluster, actor=person, reason="no")
    assert Case.objects.count() == 0 and Dismissal.objects.count() == 0


def test_dismissing_a_cluster_records_why_and_it_gathers_no_more(
    cluster, rita, app, today, english
):
    with pytest.raises(DomainError, match="Say why"):
        cluster_dismiss(cluster=cluster, actor=rita, reason="  ")
    dismissal = cluster_dismiss(
        cluster=cluster, actor=rita, reason="A test campaign by the operator."
    )
    assert (dismissal.dismissed_by, dismissal.cluster) == (rita, cluster)
    event = Event.objects.get(data__early_warning="cluster_dismissed")
    assert (event.actor, event.reason, event.public) == (
        rita,
        "A test campaign by the operator.",
        False,
    )
    with pytest.raises(DomainError, match="already dismissed"):
        cluster_dismiss(cluster=cluster, actor=rita, reason="again")
    with pytest.raises(DomainError, match="was dismissed"):
        cluster_case_open(cluster=cluster, actor=rita)
    # Later alike complaints start a new cluster; the dismissed one stays as it was.
    from early_warning.clustering import complaints_cluster

    later = file_burst(app, today, BURST_TEXTS[6:])
    complaints_cluster(complaint_ids=[c.pk for c in later])
    cluster.refresh_from_db()
    assert cluster.size == 6 and Cluster.objects.count() == 2


def test_dismissing_an_alert_records_why_and_tunes_nothing(app, rita, today):
    day = today - datetime.timedelta(days=1)
    file_burst(app, day)
    [alert] = early_warning_run(day=day)
    with pytest.raises(DomainError, match="Say why"):
        alert_dismiss(alert=alert, actor=rita, reason="\n ")
    assert Dismissal.objects.count() == 0
    alert_dismiss(alert=alert, actor=rita, reason="Known outage, fixed the same day.")
    alert.refresh_from_db()
    assert (
        alert.dismissed_at is not None
        and alert.dismissal.reason == "Known outage, fixed the same day."
    )
    assert Event.objects.filter(data__early_warning="alert_dismissed", actor=rita).count() == 1
    # The same burst on another app the next day alerts just the same.
    from tests.factories import AppFactory

    file_burst(AppFactory(operator=app.operator), day + datetime.timedelta(days=1))
    [again] = early_warning_run(day=day + datetime.timedelta(days=1))
    assert again.kind == Alert.Kind.SPIKE
    with pytest.raises(DomainError, match="already dismissed"):
        alert_dismiss(alert=alert, actor=rita, reason="again")
