"""The admin's journey in headless Chromium: ada runs every admin action from its change list —
model versions (through the promotion gate, forced, retired, retrained), complaints (accept,
the three rejections, classify again), cases (notice, overdue, escalation, closing) and
Django's own delete with its confirmation page — and each one's change, event and message."""

import dataclasses
import functools
import re
from urllib.parse import urlsplit

import pytest

from classifier import dataset, training
from classifier.models import ModelVersion
from classifier.pipeline import LabelModel
from classifier.services import model_version_activate, model_version_register
from classifier.serving import served_model_forget
from complaints.models import Case, CaseNote, Classification, Complaint, Event, Notice
from complaints.services import cases as case_services
from tests.classifier.helpers import write_corpus
from tests.complaints.selectors.stats.test_summary import days_ago, model_labels
from tests.factories import make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

C = Complaint.Status
K = Case.Status
V = ModelVersion.Status

# Three labels, ten training and four test examples each: a real model that trains in seconds.
TINY_LABELS = ("account_cancellation", "over_permission", "unauthorized_charges")


def _first(examples, per_label: int) -> list:
    chosen = []
    for label in TINY_LABELS:
        having = sorted((e for e in examples if e.labels == (label,)), key=lambda e: e.split_key)
        chosen += having[:per_label]
    return chosen


@functools.cache
def tiny_corpus():
    train, test = dataset.corpus_split()
    return _first(train, 10), _first(test, 4)


@functools.cache
def tiny_training() -> training.TrainingResult:
    train, test = tiny_corpus()
    return training.train(train, test, algorithms=("linear_svm",))


def mixed_up(result: training.TrainingResult) -> training.TrainingResult:
    """The same model with its label names rotated: it names the wrong problem every time.
    Its stored figures are still the original's; the gate scores it afresh and finds out."""
    model = result.model
    labels = model.labels[1:] + model.labels[:1]
    wrong = LabelModel(model.pipeline, labels, model.thresholds, model.algorithm)
    return dataclasses.replace(result, model=wrong)


@pytest.fixture
def classifier_dirs(settings, tmp_path):
    """The tiny corpus is the one retraining and the gate read; artifacts go to tmp_path."""
    train, test = tiny_corpus()
    directory = tmp_path / "corpus"
    write_corpus(directory, [*train, *test])
    dataset.split_record_write(test, dataset.split_record_path(directory))
    settings.CLASSIFIER_CORPUS_DIR = directory
    settings.CLASSIFIER_ARTIFACT_DIR = tmp_path / "models"
    settings.CLASSIFIER_ACTIVE_CHECK_SECONDS = 0
    settings.CLASSIFIER_MIN_MACRO_F1 = 0.0  # the tiny model is far below the real minimum
    served_model_forget()
    yield
    served_model_forget()


def versions_register():
    """`first` active, `same` a copy of it, `confused` a much worse candidate."""
    result = tiny_training()
    _, test = tiny_corpus()
    first = model_version_register(result=result, corpus_sha="a" * 64, counts={})
    model_version_activate(version=first, test=test, candidate_model=result.model)
    same = model_version_register(result=result, corpus_sha="b" * 64, counts={})
    confused = model_version_register(result=mixed_up(result), corpus_sha="c" * 64, counts={})
    return first, same, confused


def in_english(screen) -> None:
    screen.page.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": screen.base_url}]
    )


def run_action(screen, changelist: str, action: str, *rows, step: str) -> list[tuple[str, str]]:
    """Tick the rows on the change list, choose the action, press Go; the messages shown.
    An action ends back on its change list, so the next one on the same list starts there."""
    page = screen.page
    if urlsplit(page.url).path != changelist:
        screen.go(changelist)
    for row in rows:
        page.check(f"input[name=_selected_action][value='{row.pk}']")
    page.select_option("select[name=action]", action)
    screen.submit("Go")
    screen.step(step)
    items = page.locator("ul.messagelist li")
    return [
        (items.nth(i).get_attribute("class"), items.nth(i).inner_text())
        for i in range(items.count())
    ]


def status(model, pk):
    return model.objects.values_list("status", flat=True).get(pk=pk)


def last_event(**where) -> Event:
    return Event.objects.filter(**where).order_by("-id").first()


def test_admin_runs_every_action(open_screen, classifier_dirs, ada, app, other_app, rita):
    # Complaints waiting for a decision, and one no model has seen yet.
    to_accept, spam, remit, thin = (make_complaint(app=app) for _ in range(4))
    for complaint in (to_accept, spam, remit, thin):
        model_labels(complaint, ["over_permission"], 0.9)
    unclassified = make_complaint(app=other_app, description="注销账号找不到入口，客服也不回复。")
    assert unclassified.status == C.SUBMITTED
    first, same, confused = versions_register()
    # Cases: one open, one long past its notice's deadline, one to close.
    to_notify = case_services.case_open(
        app=app, categories=["illegal_collection"], actor=rita, summary="未经同意收集设备标识符。"
    )
    late = case_services.case_open(
        app=other_app, categories=["fraud"], actor=rita, at=days_ago(100)
    )
    case_services.notice_issue(case=late, actor=rita, problems="冒充客服诈骗。", at=days_ago(90))
    to_close = case_services.case_open(app=app, categories=["misleading_popups"], actor=rita)
    note = case_services.case_note_add(case=to_close, actor=rita, text="已电话联系运营者。")

    screen = open_screen("ada")
    in_english(screen)
    screen.login("ada", "pw-ada")
    page = screen.go("/admin/")
    assert page.locator("#site-name").inner_text() == "AppWatch administration"
    assert page.get_by_role("heading", name="Complaints, apps and rectification").is_visible()
    screen.step("index")

    # --- model versions ---------------------------------------------------------------------
    versions_list = "/admin/classifier/modelversion/"
    ((level, text),) = run_action(screen, versions_list, "activate", confused, step="gate-refuses")
    assert level == "error"
    assert text.startswith(f"Version {confused.version} scores macro-F1 ")
    assert f"the active version {first.version} scores" in text
    assert text.endswith("may be at most 0.01 worse.")
    assert status(ModelVersion, confused.pk) == V.CANDIDATE
    assert status(ModelVersion, first.pk) == V.ACTIVE

    messages = run_action(screen, versions_list, "activate", first, same, step="two-selected")
    assert messages == [("warning", "Select exactly one version to activate.")]

    ((level, text),) = run_action(screen, versions_list, "activate_force", confused, step="forced")
    assert level == "success"
    assert re.fullmatch(
        rf"Version {confused.version} is active \(test macro-F1 0\.\d{{4}}\)\.", text
    )
    confused.refresh_from_db()
    assert confused.status == V.ACTIVE and confused.metrics["gate"]["forced"] is True
    assert "activated by ada" in confused.notes
    first.refresh_from_db()
    assert (
        first.status == V.RETIRED
        and f"retired by ada: replaced by {confused.version}" in first.notes
    )

    ((level, text),) = run_action(screen, versions_list, "activate", same, step="gate-passes")
    assert level == "success" and text.startswith(f"Version {same.version} is active")
    assert status(ModelVersion, same.pk) == V.ACTIVE
    assert status(ModelVersion, confused.pk) == V.RETIRED

    messages = run_action(screen, versions_list, "deactivate", same, step="deactivated")
    assert messages == [("success", f"Version {same.version} is retired.")]
    assert not ModelVersion.objects.filter(status=V.ACTIVE).exists()

    # With no version active, classifying again is refused with the way out.
    complaints_list = "/admin/complaints/complaint/"
    messages = run_action(screen, complaints_list, "reclassify", unclassified, step="no-model")
    assert messages == [
        (
            "error",
            "No classifier version is active; activate one under Model versions first.",
        )
    ]
    assert not Classification.objects.filter(complaint=unclassified).exists()

    # Retraining runs the task (in-process here) on the tiny corpus; with nothing active, the
    # new version passes the gate and becomes active.
    screen.page.set_default_timeout(180_000)
    messages = run_action(screen, versions_list, "retrain", same, step="retrained")
    screen.page.set_default_timeout(15_000)
    assert messages == [
        (
            "success",
            "Retraining started. The new version appears here when it is done and is "
            "activated only if it passes the gate.",
        )
    ]
    retrained = ModelVersion.objects.exclude(pk__in=[first.pk, same.pk, confused.pk]).get()
    assert retrained.status == V.ACTIVE and retrained.trained_by == ada
    assert retrained.example_counts["test"] == len(tiny_corpus()[1])
    assert screen.page.get_by_role("link", name=retrained.version).is_visible()

    # --- complaints -------------------------------------------------------------------------
    messages = run_action(screen, complaints_list, "reclassify", unclassified, step="reclassified")
    assert messages == [
        ("success", f"1 complaint queued for classification by {retrained.version}.")
    ]
    unclassified.refresh_from_db()
    assert (
        Classification.objects.filter(complaint=unclassified, model_version=retrained).count() == 1
    )
    assert unclassified.status in (C.CLASSIFIED, C.NEEDS_REVIEW)
    assert last_event(complaint=unclassified).to_status == unclassified.status

    messages = run_action(
        screen, complaints_list, "reclassify", unclassified, step="reclassified-again"
    )
    assert messages == [
        ("success", f"0 complaints queued for classification by {retrained.version}."),
        ("info", "1 complaint already has a verdict from this version."),
    ]

    messages = run_action(
        screen, complaints_list, "accept_with_current_labels", to_accept, step="accepted"
    )
    assert messages == [("success", "1 complaint accepted.")]
    to_accept.refresh_from_db()
    assert to_accept.status == C.ACCEPTED
    assert to_accept.label_source == Complaint.LabelSource.REGULATOR
    assert [c.code for c in to_accept.categories.all()] == ["over_permission"]
    event = last_event(complaint=to_accept, to_status=C.ACCEPTED)
    assert (event.actor, event.actor_role) == (ada, "admin")

    for action, complaint, reason in (
        ("reject_spam", spam, Complaint.RejectReason.SPAM),
        ("reject_out_of_remit", remit, Complaint.RejectReason.OUT_OF_REMIT),
        ("reject_insufficient", thin, Complaint.RejectReason.INSUFFICIENT),
    ):
        messages = run_action(screen, complaints_list, action, complaint, step=action)
        assert messages == [("success", "1 complaint rejected.")]
        complaint.refresh_from_db()
        assert (complaint.status, complaint.reject_reason) == (C.REJECTED, reason)
        event = last_event(complaint=complaint)
        assert (event.to_status, event.actor, event.data) == (
            C.REJECTED,
            ada,
            {"reject_reason": reason},
        )

    # A refusal is named, row by row; the others still go through.
    messages = run_action(
        screen, complaints_list, "accept_with_current_labels", spam, step="refused"
    )
    assert messages == [
        (
            "warning",
            f"{spam}: A complaint cannot go from “rejected” to “accepted”.",
        )
    ]
    assert status(Complaint, spam.pk) == C.REJECTED

    # --- cases ------------------------------------------------------------------------------
    cases_list = "/admin/complaints/case/"
    messages = run_action(
        screen, cases_list, "issue_notice_default_deadline", to_notify, step="notice"
    )
    assert messages == [("success", "1 notice issued.")]
    notice = Notice.objects.get(case=to_notify)
    to_notify.refresh_from_db()
    assert to_notify.status == K.NOTICE_ISSUED and to_notify.deadline_date == notice.deadline_date
    assert notice.issued_by == ada and "未经同意收集设备标识符" in notice.text
    event = last_event(case=to_notify, to_status=K.NOTICE_ISSUED)
    assert event.actor == ada and event.data["notice"] == notice.number

    messages = run_action(screen, cases_list, "mark_overdue_now", late, step="overdue")
    assert messages == [("info", "1 case marked overdue.")]
    assert status(Case, late.pk) == K.OVERDUE
    assert status(Case, to_notify.pk) == K.NOTICE_ISSUED  # its deadline is still ahead
    assert last_event(case=late, to_status=K.OVERDUE).actor is None
    assert last_event(case=late, kind=Event.Kind.ALERT).data["alert"] == "overdue"

    messages = run_action(screen, cases_list, "escalate_public_notice", late, step="escalated")
    assert messages == [("success", "1 case escalated.")]
    late.refresh_from_db()
    assert (late.status, late.escalation) == (K.ESCALATED, Case.Escalation.PUBLIC_NOTICE)
    event = last_event(case=late)
    assert (event.to_status, event.actor, event.reason) == (
        K.ESCALATED,
        ada,
        "Escalated from the admin",
    )

    # "Assign to me" goes through the service: the assignee changes and the history says who.
    messages = run_action(screen, cases_list, "assign_to_me", to_close, step="assigned")
    assert messages == [("success", "1 case assigned.")]
    to_close.refresh_from_db()
    assert to_close.assignee == ada
    event = last_event(case=to_close, kind=Event.Kind.ASSIGNMENT)
    assert event.actor == ada and event.data == {"from": "", "to": "ada"}

    messages = run_action(screen, cases_list, "close_cases", to_close, step="closed")
    assert messages == [("success", "1 case closed.")]
    assert status(Case, to_close.pk) == K.CLOSED
    event = last_event(case=to_close)
    assert (event.to_status, event.actor, event.reason) == (K.CLOSED, ada, "Closed from the admin")

    # --- Django's delete, through its confirmation page --------------------------------------
    page = screen.page
    run_action(
        screen, "/admin/complaints/casenote/", "delete_selected", note, step="delete-confirm"
    )
    assert page.get_by_role("heading", name="Delete multiple objects").is_visible()
    assert CaseNote.objects.filter(pk=note.pk).exists()
    screen.submit("Yes, I’m sure")
    assert (
        page.locator("ul.messagelist li.success").inner_text()
        == "Successfully deleted 1 case note."
    )
    screen.step("deleted")
    assert not CaseNote.objects.filter(pk=note.pk).exists()

    assert screen.errors == []
