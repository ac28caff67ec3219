# ruff: noqa: F811 — pytest fixtures imported from tests.classifier.helpers are used as arguments
"""Every model's admin pages open for an admin, with data in them; the audit log stays read-only;
the actions go through the services."""

import datetime

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from classifier.models import ModelVersion
from complaints.models import (
    Case,
    CaseCategory,
    CaseNote,
    Classification,
    Event,
    Evidence,
    Notice,
    OperatorResponse,
    VerifiedEmail,
)
from complaints.services.classification import complaint_classify
from tests.classifier.helpers import (  # noqa: F401 — fixtures
    OBVIOUS,
    active_version,
    eager_tasks,
    model_dirs,
)
from tests.factories import category, make_complaint

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in ("complaints", "classifier")
)


@pytest.fixture
def data(app, company, olivia, rita):
    """One row of every model, so every change page is exercised."""
    complaint = make_complaint(app=app, description="拒绝给通讯录权限就闪退，客服电话 13812345678")
    case = Case.objects.create(reference="RC-ADM-1", app=app, summary="过度索取权限")
    CaseCategory.objects.create(case=case, category=category("over_permission"), app=app)
    CaseNote.objects.create(case=case, author=rita, text="operator called back")
    notice = Notice.objects.create(
        case=case,
        number="N-ADM-1",
        issued_by=rita,
        deadline_date=datetime.date(2026, 12, 31),
        legal_basis="PIPL",
        text="整改",
    )
    OperatorResponse.objects.create(
        kind="rectification_report",
        case=case,
        notice=notice,
        company=company,
        author=olivia,
        text="done",
    )
    Evidence.objects.create(
        complaint=complaint,
        file=ContentFile(b"%PDF-1.4 test", name="x.pdf"),
        sha256="a" * 64,
        content_type="application/pdf",
        size=13,
    )
    version = ModelVersion.objects.create(version="admin-test", status="retired")
    Classification.objects.create(
        complaint=complaint, model_version=version, labels=["over_permission"], confidence=0.9
    )
    VerifiedEmail.objects.create(user=olivia, email=olivia.email, verified_at=timezone.now())
    return complaint, case


def test_every_domain_model_is_registered():
    names = {name for _, name in REGISTERED}
    assert {
        "company",
        "app",
        "category",
        "complaint",
        "evidence",
        "classification",
        "case",
        "notice",
        "operatorresponse",
        "event",
        "triggerrule",
        "casenote",
        "companymembership",
        "modelversion",
    } <= names


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_changelist_search_and_add_pages_open(client, ada, data, app_label, model_name):
    client.force_login(ada)
    changelist = reverse(f"admin:{app_label}_{model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "AW"}).status_code == 200
    add = client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert add.status_code in (200, 403)  # 403 where rows are only created by services


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_change_page_opens_for_an_existing_row(client, ada, data, app_label, model_name):
    model = next(
        m
        for m in admin.site._registry
        if (m._meta.app_label, m._meta.model_name) == (app_label, model_name)
    )
    obj = model.objects.first()
    assert obj is not None, f"the fixture must create a {model_name}"
    client.force_login(ada)
    response = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_complaint_change_page_shows_history_and_filters(client, ada, data):
    complaint, _ = data
    client.force_login(ada)
    response = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))
    assert complaint.tracking_number in response.content.decode()
    listing = client.get(
        reverse("admin:complaints_complaint_changelist"), {"status__exact": "submitted"}
    )
    assert complaint.tracking_number in listing.content.decode()
    listing = client.get(
        reverse("admin:complaints_complaint_changelist"), {"status__exact": "closed"}
    )
    assert complaint.tracking_number not in listing.content.decode()


def test_audit_log_cannot_be_edited_or_deleted(client, ada, data):
    complaint, _ = data
    event = Event.objects.filter(complaint=complaint).first()
    client.force_login(ada)
    assert client.get(reverse("admin:complaints_event_add")).status_code == 403
    response = client.post(
        reverse("admin:complaints_event_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Event.objects.filter(pk=event.pk).exists()


def test_complaints_and_cases_cannot_be_deleted_with_their_history(client, ada, data):
    """Deleting either would cascade to its audit events; erasure has its own service."""
    complaint, _ = data
    case = Case.objects.get(reference="RC-ADM-1")
    client.force_login(ada)
    for name, obj in (("complaint", complaint), ("case", case)):
        page = reverse(f"admin:complaints_{name}_delete", args=[obj.pk])
        assert client.post(page, {"post": "yes"}).status_code == 403
        listing = client.get(reverse(f"admin:complaints_{name}_changelist")).content.decode()
        assert 'value="delete_selected"' not in listing
        bulk = client.post(
            reverse(f"admin:complaints_{name}_changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert bulk.status_code in (200, 302)
        assert type(obj).objects.filter(pk=obj.pk).exists()
    assert Event.objects.filter(complaint=complaint).exists()


def test_regulator_admin_can_view_but_consumer_cannot_enter(client, alice, rita, data):
    client.force_login(alice)
    assert client.get(reverse("admin:complaints_complaint_changelist")).status_code == 302
    client.force_login(rita)
    assert client.get(reverse("admin:complaints_complaint_changelist")).status_code == 200
    assert client.get(reverse("admin:complaints_event_changelist")).status_code == 200


def test_reject_action_goes_through_the_service(client, ada, data):
    complaint, _ = data
    client.force_login(ada)
    response = client.post(
        reverse("admin:complaints_complaint_changelist"),
        {"action": "reject_spam", "_selected_action": [complaint.pk]},
        follow=True,
    )
    assert response.status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == "rejected"
    assert complaint.reject_reason == "spam"
    event = Event.objects.filter(complaint=complaint).latest("id")
    assert (event.to_status, event.actor) == ("rejected", ada)


def _admin_reclassify(client, complaints):
    return client.post(
        reverse("admin:complaints_complaint_changelist"),
        {"action": "reclassify", "_selected_action": [c.pk for c in complaints]},
        follow=True,
        headers={"accept-language": "en"},
    )


def test_admin_action_reclassifies_selected(
    client, ada, active_version, app, eager_tasks, django_capture_on_commit_callbacks
):
    done = make_complaint(app=app, description=OBVIOUS["over_permission"])
    complaint_classify(complaint_id=done.pk)
    waiting = make_complaint(app=app, description=OBVIOUS["account_cancellation"])
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        page = _admin_reclassify(client, [done, waiting]).content.decode()
    assert f"1 complaint queued for classification by {active_version.version}." in page
    assert "1 complaint already has a verdict from this version." in page
    assert Classification.objects.filter(complaint=waiting, model_version=active_version).exists()
    assert Classification.objects.filter(complaint=done).count() == 1


def test_admin_action_without_a_model_and_for_non_staff(client, ada, alice, model_dirs, app):
    complaint = make_complaint(app=app)
    client.force_login(ada)
    page = _admin_reclassify(client, [complaint]).content.decode()
    assert "No classifier version is active" in page
    client.force_login(alice)
    response = client.post(
        reverse("admin:complaints_complaint_changelist"),
        {"action": "reclassify", "_selected_action": [complaint.pk]},
    )
    assert response.status_code == 302 and "/login/" in response["Location"]
