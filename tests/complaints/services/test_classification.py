# ruff: noqa: F811 — pytest fixtures imported from tests.classifier.helpers are used as arguments
"""Applying the classifier to complaints: the service, the tasks, the sweep, reclassification
and retraining with regulator-confirmed labels."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone, translation

from classifier import dataset
from classifier.models import ModelVersion
from classifier.pipeline import LabelModel
from complaints.models import Classification, Complaint, Event
from complaints.services.classification import complaint_classify, confirmed_examples
from complaints.tasks import (
    classify_complaint,
    classify_complaints,
    retrain_classifier,
    sweep_unclassified,
)
from tests.classifier.helpers import (  # noqa: F401 — fixtures
    OBVIOUS,
    activate_small_model,
    active_version,
    eager_tasks,
    model_dirs,
    small_corpus,
    write_corpus,
)
from tests.factories import category, make_complaint

pytestmark = pytest.mark.django_db
S = Complaint.Status


def _codes(complaint: Complaint) -> list[str]:
    return sorted(complaint.categories.values_list("code", flat=True))


def test_classification_sets_labels_status_and_explanation(settings, active_version, app):
    settings.CLASSIFIER_CONFIDENCE_THRESHOLD = 0.0
    complaint = make_complaint(app=app, description=OBVIOUS["over_permission"])
    classification = complaint_classify(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    assert classification.model_version == active_version
    assert "over_permission" in classification.labels
    assert classification.language == "zh-hans"
    assert classification.explanation["over_permission"][0]["term"]
    assert set(classification.probabilities) >= {"over_permission", "fraud"}
    assert complaint.status == S.CLASSIFIED
    assert _codes(complaint) == sorted(classification.labels)
    assert complaint.label_source == Complaint.LabelSource.MODEL
    assert complaint.confidence == classification.confidence
    assert complaint.classified_at is not None and complaint.classification_attempts == 0
    move = Event.objects.get(complaint=complaint, to_status=S.CLASSIFIED)
    assert (move.from_status, move.actor_role, move.public) == (S.SUBMITTED, "system", False)
    assert move.data["model_version_id"] == active_version.pk


def test_low_confidence_goes_to_review(settings, active_version, app):
    settings.CLASSIFIER_CONFIDENCE_THRESHOLD = 1.0
    complaint = make_complaint(app=app, description=OBVIOUS["account_cancellation"])
    complaint_classify(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    assert complaint.status == S.NEEDS_REVIEW
    assert "account_cancellation" in _codes(complaint)


def test_task_is_idempotent(active_version, app):
    complaint = make_complaint(app=app, description=OBVIOUS["unauthorized_charges"])
    first = classify_complaint.apply(args=[complaint.pk]).get()
    second = classify_complaint.apply(args=[complaint.pk]).get()
    assert first == second
    assert Classification.objects.filter(complaint=complaint).count() == 1
    assert Event.objects.filter(complaint=complaint, from_status=S.SUBMITTED).count() == 1
    complaint.refresh_from_db()
    assert complaint.classification_attempts == 0


def test_regulator_confirmed_labels_and_decided_status_are_kept(active_version, app):
    complaint = make_complaint(app=app, description=OBVIOUS["over_permission"])
    complaint.categories.set([category("fraud")])
    Complaint.objects.filter(pk=complaint.pk).update(
        label_source=Complaint.LabelSource.REGULATOR, status=S.ACCEPTED
    )
    classification = complaint_classify(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    assert "over_permission" in classification.labels  # recorded for the record ...
    assert _codes(complaint) == ["fraud"]  # ... but the regulator's labels stand
    assert (
        complaint.status == S.ACCEPTED and complaint.label_source == Complaint.LabelSource.REGULATOR
    )


def test_new_model_relabels_and_logs_the_change(settings, model_dirs, app):
    settings.CLASSIFIER_CONFIDENCE_THRESHOLD = 0.0
    complaint = make_complaint(app=app, description=OBVIOUS["over_permission"])
    complaint.categories.set([category("fraud")])
    Complaint.objects.filter(pk=complaint.pk).update(label_source=Complaint.LabelSource.MODEL)
    activate_small_model()
    complaint_classify(complaint_id=complaint.pk)
    change = Event.objects.get(complaint=complaint, kind=Event.Kind.LABELS)
    assert change.data["from"] == ["fraud"] and "over_permission" in change.data["to"]
    assert _codes(complaint) == change.data["to"]  # the model's kinds replaced the old one


def test_a_batch_ranks_a_complaint_with_files_above_its_twin_without(active_version, app):
    from complaints.services.classification_batch import complaints_classify
    from tests.complaints.services.test_evidence import clean, image_bytes

    text = OBVIOUS["over_permission"]
    with_files = make_complaint(app=app, description=text, evidence=[clean(image_bytes())])
    without = make_complaint(app=app, description=text)
    complaints_classify(complaint_ids=[with_files.pk, without.pk])
    with_files.refresh_from_db()
    without.refresh_from_db()
    assert with_files.status == without.status == S.CLASSIFIED
    assert with_files.confidence == without.confidence
    assert with_files.priority == without.priority + 10


def test_without_an_active_model_nothing_happens(model_dirs, app):
    complaint = make_complaint(app=app)
    assert complaint_classify(complaint_id=complaint.pk) is None
    complaint.refresh_from_db()
    assert complaint.status == S.SUBMITTED and complaint.classification_attempts == 0
    assert complaint_classify(complaint_id=10**9) is None


def test_a_complaint_whose_classification_keeps_failing_ends_in_review(
    settings, active_version, app, monkeypatch
):
    settings.CLASSIFIER_MAX_ATTEMPTS = 3
    complaint = make_complaint(app=app, description="这条投诉每次都让分类出错")

    def crash(self, texts, **kwargs):
        raise RuntimeError("the model failed")

    monkeypatch.setattr(LabelModel, "predict_many", crash)
    for attempt in range(1, 4):
        with pytest.raises(RuntimeError):
            complaint_classify(complaint_id=complaint.pk)
        complaint.refresh_from_db()
        assert complaint.classification_attempts == attempt
        assert complaint.classification_interruptions == 0  # a failure, not a lost worker
        assert complaint.classification_started_at is None
        assert complaint.status == S.SUBMITTED
    assert complaint_classify(complaint_id=complaint.pk) is None
    complaint.refresh_from_db()
    assert complaint.status == S.NEEDS_REVIEW
    assert not Classification.objects.filter(complaint=complaint).exists()
    with translation.override("en"):
        event = Event.objects.get(complaint=complaint, to_status=S.NEEDS_REVIEW)
    assert event.data == {"classification_attempts": 3}
    # A later run (say, by the sweep) does not loop either.
    assert complaint_classify(complaint_id=complaint.pk) is None
    assert Event.objects.filter(complaint=complaint, to_status=S.NEEDS_REVIEW).count() == 1


def _run_lost_with_its_worker(complaint: Complaint, *, seconds_ago: int = 60) -> None:
    """What a worker killed mid-run leaves behind: the run's mark, never cleared."""
    Complaint.objects.filter(pk=complaint.pk).update(
        classification_started_at=timezone.now() - datetime.timedelta(seconds=seconds_ago)
    )


def test_a_run_lost_with_its_worker_is_not_a_failed_attempt(settings, active_version, app):
    settings.CLASSIFIER_MAX_ATTEMPTS = 1
    settings.CLASSIFY_LEASE_SECONDS = 15
    complaint = make_complaint(app=app, description=OBVIOUS["over_permission"])
    _run_lost_with_its_worker(complaint, seconds_ago=60)
    classification = complaint_classify(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    assert classification is not None and "over_permission" in classification.labels
    assert complaint.status in (S.CLASSIFIED, S.NEEDS_REVIEW)
    assert (complaint.classification_attempts, complaint.classification_interruptions) == (0, 1)
    assert complaint.classification_started_at is None


def test_a_run_still_within_its_lease_is_left_to_its_worker(settings, active_version, app):
    settings.CLASSIFY_LEASE_SECONDS = 15
    complaint = make_complaint(app=app, description=OBVIOUS["over_permission"])
    _run_lost_with_its_worker(complaint, seconds_ago=5)
    assert complaint_classify(complaint_id=complaint.pk) is None
    complaint.refresh_from_db()
    assert complaint.status == S.SUBMITTED and complaint.classification_interruptions == 0


def test_a_complaint_that_keeps_killing_its_worker_ends_in_review(settings, active_version, app):
    settings.CLASSIFIER_MAX_INTERRUPTIONS = 2
    complaint = make_complaint(app=app, description="这条投诉每次都让分类进程崩溃")
    Complaint.objects.filter(pk=complaint.pk).update(classification_interruptions=2)
    _run_lost_with_its_worker(complaint)
    with translation.override("en"):
        assert complaint_classify(complaint_id=complaint.pk) is None
    complaint.refresh_from_db()
    assert complaint.status == S.NEEDS_REVIEW and complaint.classification_started_at is None
    event = Event.objects.get(complaint=complaint, to_status=S.NEEDS_REVIEW)
    assert event.reason == (
        "Automatic classification stopped 3 times with its worker; a regulator needs to label it."
    )
    assert event.data == {"classification_interruptions": 3}


def test_transient_database_errors_are_retried_with_backoff(settings):
    for task in (classify_complaint, classify_complaints):
        assert OperationalError in task.autoretry_for
        assert task.acks_late and task.retry_backoff and task.max_retries == 5
        # A retry waiting longer than the visibility timeout would be handed out twice.
        assert task.retry_backoff_max < settings.CELERY_VISIBILITY_TIMEOUT


def test_sweep_classifies_complaints_stored_without_an_enqueue(
    settings, active_version, app, eager_tasks, django_capture_on_commit_callbacks
):
    settings.CLASSIFY_SWEEP_AFTER_SECONDS = 120
    # In a test transaction on_commit never fires: exactly a complaint stored while the broker was down.
    stale = make_complaint(app=app, description=OBVIOUS["account_cancellation"])
    Complaint.objects.filter(pk=stale.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    fresh = make_complaint(app=app, description=OBVIOUS["over_permission"])
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unclassified.apply().get() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status in (S.CLASSIFIED, S.NEEDS_REVIEW)
    assert Classification.objects.filter(complaint=stale, model_version=active_version).exists()
    assert fresh.status == S.SUBMITTED


def test_sweep_waits_while_no_model_is_active(model_dirs, app):
    stale = make_complaint(app=app)
    Complaint.objects.filter(pk=stale.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert sweep_unclassified.apply().get() == 0


def _reclassify(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("reclassify", *args, stdout=out)
    return out.getvalue()


def test_reclassify_after_a_new_model(active_version, app, other_app):
    first = make_complaint(app=app, description=OBVIOUS["over_permission"])
    second = make_complaint(app=other_app, description=OBVIOUS["account_cancellation"])
    decided = make_complaint(app=app, description=OBVIOUS["unauthorized_charges"])
    Complaint.objects.filter(pk=decided.pk).update(status=S.ACCEPTED)
    for complaint in (first, second, decided):
        complaint_classify(complaint_id=complaint.pk)
    newer = activate_small_model()
    assert _reclassify("--dry-run") == f"2 complaint(s) would be classified by {newer.version}.\n"
    assert _reclassify("--app", str(app.pk), "--inline").startswith("1 complaint(s) classified")
    assert Classification.objects.filter(complaint=first).count() == 2
    assert Classification.objects.filter(complaint=second).count() == 1
    assert _reclassify("--all", "--inline").startswith("2 complaint(s) classified")
    assert Classification.objects.filter(complaint=decided, model_version=newer).exists()
    assert _reclassify("--all", "--inline").startswith("0 complaint(s)")


def test_reclassify_enqueues_for_the_worker(
    active_version, app, eager_tasks, django_capture_on_commit_callbacks
):
    complaint = make_complaint(app=app, description=OBVIOUS["over_permission"])
    with django_capture_on_commit_callbacks(execute=True):
        assert _reclassify("--ids", str(complaint.pk)).startswith("1 complaint(s) queued")
    assert Classification.objects.filter(complaint=complaint).exists()


def test_reclassify_refuses_bad_input_and_no_model(model_dirs, db):
    with pytest.raises(CommandError, match="No classifier version is active"):
        call_command("reclassify")
    activate_small_model()
    with pytest.raises(CommandError, match="--ids takes comma-separated numbers"):
        call_command("reclassify", "--ids", "1,x")


def test_confirmed_examples_are_regulator_labels_only(app):
    confirmed = make_complaint(
        app=app, description="The lending app kept calling my contacts after I repaid."
    )
    confirmed.categories.set([category("data_sharing_leak"), category("fraud")])
    Complaint.objects.filter(pk=confirmed.pk).update(label_source=Complaint.LabelSource.REGULATOR)
    by_model = make_complaint(app=app)
    by_model.categories.set([category("other")])
    Complaint.objects.filter(pk=by_model.pk).update(label_source=Complaint.LabelSource.MODEL)
    erased = make_complaint(app=app)
    erased.categories.set([category("other")])
    Complaint.objects.filter(pk=erased.pk).update(
        label_source=Complaint.LabelSource.REGULATOR, erased_at=timezone.now()
    )
    (example,) = confirmed_examples()
    assert example.text == confirmed.description
    assert example.labels == ("data_sharing_leak", "fraud") and example.lang == "en"


def test_retraining_includes_confirmed_labels(settings, tmp_path, model_dirs, app):
    train, test = small_corpus()
    write_corpus(tmp_path / "corpus", [*train, *test])
    dataset.split_record_write(test, dataset.split_record_path(tmp_path / "corpus"))
    settings.CLASSIFIER_CORPUS_DIR = tmp_path / "corpus"
    confirmed = make_complaint(app=app, description="客服冒充平台让我开屏幕共享，卡里的钱被转走了")
    confirmed.categories.set([category("fraud")])
    Complaint.objects.filter(pk=confirmed.pk).update(label_source=Complaint.LabelSource.REGULATOR)
    summary = retrain_classifier.apply().get()
    version = ModelVersion.objects.get()
    assert summary == f"{version.version} active"
    assert version.example_counts["confirmed"] == 1
    assert version.example_counts["train"] == len(train) + 1


def test_reclassify_filters_by_date_status_and_category(active_version, app):
    old = make_complaint(app=app, description=OBVIOUS["over_permission"])
    Complaint.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=10)
    )
    recent = make_complaint(
        app=app, description=OBVIOUS["account_cancellation"], category_hint=category("fraud")
    )
    today = timezone.localdate().isoformat()
    assert _reclassify("--since", today, "--dry-run").startswith("1 complaint(s)")
    assert _reclassify("--status", "needs_review", "--dry-run").startswith("0 complaint(s)")
    assert _reclassify("--category", "fraud", "--inline").startswith("1 complaint(s) classified")
    assert Classification.objects.filter(complaint=recent).exists()
    assert not Classification.objects.filter(complaint=old).exists()


def test_beat_runs_the_sweep_every_15_seconds_and_retraining_weekly(settings):
    from config.celery import app as celery_app

    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["complaints.tasks.sweep_unclassified"] == 15.0
    assert "complaints.tasks.retrain_classifier" in schedule
    for name in (
        "complaints.tasks.sweep_unclassified",
        "complaints.tasks.retrain_classifier",
        "complaints.tasks.classify_complaint",
        "complaints.tasks.classify_complaints",
    ):
        assert name in celery_app.tasks
    assert retrain_classifier.name == settings.CLASSIFIER_RETRAIN_TASK


def _statements_sent(work) -> int:
    """Statements `work` sends to the database (an executemany counts one per row)."""
    from django.db import connection

    sent = 0

    def count(execute, sql, params, many, context):
        nonlocal sent
        sent += len(params) if many else 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        work()
    return sent


def test_a_batch_sends_the_same_statements_whatever_its_size(settings, active_version, app):
    from complaints.services.classification_batch import complaints_classify

    settings.CLASSIFIER_ACTIVE_CHECK_SECONDS = 600  # as on a worker: no look-up per batch

    def batch_of(size: int) -> int:
        for i in range(size):
            make_complaint(
                app=app, description=OBVIOUS["over_permission"] + f" #{i}", classify=False
            )
        return _statements_sent(lambda: complaints_classify(complaint_ids=[], top_up=size))

    complaints_classify(complaint_ids=[], top_up=1)  # the model loaded, nothing waiting
    small, large = batch_of(3), batch_of(12)
    # Claim: transaction, read, mark, end. Verdicts: transaction, complaints, earlier verdicts,
    # new verdicts, categories before, the taxonomy, evidence counts, categories out and in,
    # statuses, events, end.
    assert small == large == 16
    assert not Complaint.objects.filter(status=Complaint.Status.SUBMITTED).exists()


@pytest.mark.parametrize(
    ("wants", "sent_for_names_alone", "sent_for_both"),
    [({"linked_only": True}, [], ["linked"]), ({}, [["alone"]], ["linked", "alone"])],
)
def test_work_after_a_batch_gets_the_complaints_it_asks_for(
    settings, active_version, app, monkeypatch, wants, sent_for_names_alone, sent_for_both
):
    """Clustering asks for complaints naming a registry app only: a batch of app names alone
    sends it no run (it would find nothing), a mixed batch the linked ids alone."""
    from complaints.services import classification_batch

    settings.COMPLAINTS_CLASSIFIED_TASKS = {"early_warning.tasks.cluster_complaints": wants}
    sent = []
    enqueue = classification_batch.enqueue_on_commit
    monkeypatch.setattr(
        classification_batch,
        "enqueue_on_commit",
        lambda name, ids, **kw: sent.append(ids) or enqueue(name, ids, **kw),
    )

    def batch(**filed) -> dict[str, int]:
        made = {
            name: make_complaint(description=OBVIOUS["over_permission"], classify=False, **how).pk
            for name, how in filed.items()
        }
        sent.clear()
        classification_batch.complaints_classify(complaint_ids=list(made.values()))
        return made

    alone = batch(alone={"app_name": "某个没登记的应用"})
    assert sent == [[alone[name] for name in names] for names in sent_for_names_alone]
    both = batch(linked={"app": app}, alone={"app_name": "另一个没登记的应用"})
    assert sent == [sorted(both[name] for name in sent_for_both)]
    assert Complaint.objects.filter(status=S.SUBMITTED).count() == 0
