"""The Django admin is no second write path: no change form can alter where a complaint or a
case stands in the workflow, issued notices, operators' answers and case notes are read-only,
and what the admin may do to the workflow it does through actions that call the services
(each writing its audit event)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from complaints.models import Case, CaseNote, Complaint, Event, Notice, OperatorResponse
from complaints.services import cases, operators, triage
from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.django_db

# Fields only the services may change, model by model ("*": every field).
WORKFLOW = {
    Complaint: {
        "status", "app", "categories", "category_hint", "priority", "decision_due_date",
        "operator_due_date", "reject_reason", "duplicate_of", "case", "label_source",
        "decided_at", "closed_at", "confidence",
    },
    Case: {
        "status", "app", "assignee", "deadline_date", "escalation", "origin", "rectified_at",
        "closed_at", "recurrence_count", "trigger_rule",
    },
    Notice: {"*"},
    OperatorResponse: {"*"},
    CaseNote: {"*"},
}  # fmt: skip
READ_ONLY_INLINES = {"CaseCategory", "CaseNote", "Notice", "OperatorResponse", "Complaint"}


@pytest.fixture
def world(app, rita, olivia):
    complaint = make_complaint(app=app)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
    case = cases.case_open(app=app, categories=[complaint.categories.get()], actor=rita)
    triage.complaint_link_case(complaint=complaint, case=case, actor=rita)
    notice = cases.notice_issue(case=case, actor=rita, problems="Asks for contacts first.")
    reply = operators.complaint_answer(
        complaint=complaint, actor=olivia, text="Fixed in 2.1.", closure_code="fixed"
    )
    note = cases.case_note_add(case=case, actor=rita, text="Called the operator.")
    return {
        Complaint: complaint,
        Case: case,
        Notice: notice,
        OperatorResponse: reply,
        CaseNote: note,
    }


@pytest.fixture
def ada_client(ada):
    client = Client()
    client.force_login(ada)
    return client


@pytest.mark.parametrize("model", list(WORKFLOW), ids=lambda m: m.__name__)
def test_no_change_form_can_alter_a_workflow_field(model, world, ada_client):
    obj = world[model]
    url = reverse(f"admin:complaints_{model._meta.model_name}_change", args=[obj.pk])
    response = ada_client.get(url)
    assert response.status_code == 200
    adminform = response.context["adminform"]
    editable = set(adminform.form.fields)
    forbidden = WORKFLOW[model]
    if "*" in forbidden:
        assert editable == set(), editable
    else:
        assert editable & forbidden == set()
    for inline in response.context["inline_admin_formsets"]:
        if inline.opts.model.__name__ in READ_ONLY_INLINES:
            assert not inline.has_add_permission and not inline.has_change_permission, inline


@pytest.mark.parametrize("model", list(WORKFLOW), ids=lambda m: m.__name__)
def test_posting_workflow_values_changes_nothing(model, world, ada_client, ada):
    obj = world[model]
    url = reverse(f"admin:complaints_{model._meta.model_name}_change", args=[obj.pk])
    form = ada_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    before = {f.name: getattr(obj, f.attname) for f in model._meta.concrete_fields}
    forged = {"status": "closed", "priority": 99, "assignee": ada.pk, "deadline_date": "2030-01-01",
              "reject_reason": "spam", "text": "rewritten", "case": "", "app": ""}  # fmt: skip
    ada_client.post(url, {**data, **forged})
    obj.refresh_from_db()
    after = {f.name: getattr(obj, f.attname) for f in model._meta.concrete_fields}
    changed = {k for k in after if after[k] != before[k]} - {"updated_at"}
    assert changed & (WORKFLOW[model] | ({"text"} if "*" in WORKFLOW[model] else set())) == set()


def test_every_admin_of_these_models_is_covered():
    registered = {model for model in admin.site._registry if model in WORKFLOW}
    assert registered == set(WORKFLOW)


def test_assign_to_me_goes_through_the_service(world, ada_client, ada, rita):
    case = world[Case]
    ada.groups.add(rita.groups.get(name="regulator"))
    response = ada_client.post(
        reverse("admin:complaints_case_changelist"),
        {"action": "assign_to_me", "_selected_action": [case.pk]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee == ada
    event = Event.objects.filter(case=case, kind=Event.Kind.ASSIGNMENT).latest("id")
    assert event.actor == ada and event.data["to"] == ada.get_username()


def test_the_change_pages_lead_to_the_pages_that_decide(world, ada_client):
    complaint, case = world[Complaint], world[Case]
    page = ada_client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))
    assert reverse("triage:detail", args=[complaint.pk]) in page.content.decode()
    page = ada_client.get(reverse("admin:complaints_case_change", args=[case.pk]))
    assert reverse("cases:detail", args=[case.pk]) in page.content.decode()
