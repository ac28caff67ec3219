"""Reads for regulators working rectification cases: the case list and filters, a case's
page, the people to assign and the latest alerts.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from .. import roles
from ..lookups import id_in_query
from ..models import App, Case, CaseCategory, Complaint, Event, Evidence, Notice, OperatorResponse
from .triage import labelled_events

K = Case.Status

# --- cases --------------------------------------------------------------------------------


@dataclass
class CaseFilters:
    status: str = ""
    app: int | None = None
    category: str = ""
    assignee: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, params) -> "CaseFilters":
        status = params.get("status", "")
        assignee = params.get("assignee", "")
        if assignee not in ("me", "none"):
            assignee_id = id_in_query(assignee, field="assignee")
            assignee = str(assignee_id) if assignee_id is not None else ""
        return cls(
            status=status if status in K.values else "",
            app=id_in_query(params.get("app", ""), field="app"),
            category=params.get("category", "")[:40],
            assignee=assignee,
            q=params.get("q", "").strip()[:100],
        )


def case_list(filters: CaseFilters, *, user=None) -> QuerySet[Case]:
    qs = Case.objects.all()
    # Without a status filter the list shows the cases still being worked on.
    qs = qs.filter(status=filters.status) if filters.status else qs.exclude(status=K.CLOSED)
    if filters.app:
        qs = qs.filter(app_id=filters.app)
    if filters.category:
        qs = qs.filter(case_categories__category__code=filters.category)
    if filters.assignee == "me" and user is not None:
        qs = qs.filter(assignee=user)
    elif filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.q:
        qs = qs.filter(
            Q(reference__iexact=filters.q)
            | Q(title__icontains=filters.q)
            | Q(app__name__icontains=filters.q)
        )
    return (
        qs.select_related("app__operator", "assignee")
        .prefetch_related("categories")
        .annotate(complaint_count=Count("complaints", distinct=True))
        .order_by("deadline_date", "-opened_at", "id")
    )


def case_for_regulator(pk: int) -> Case:
    return (
        Case.objects.select_related("app__operator", "assignee", "trigger_rule__category")
        .prefetch_related("categories")
        .get(pk=pk)
    )


CASE_PAGE_COMPLAINTS = 100


def case_detail(case: Case, *, for_operator: bool = False) -> dict:
    """Everything the case page shows, in a fixed number of queries."""
    complaints = list(
        Complaint.objects.filter(case=case)
        .select_related("app")
        .defer("details", "access_token_hash", "request_fingerprint")
        .order_by("-submitted_at")[:CASE_PAGE_COMPLAINTS]
    )
    notices = list(
        Notice.objects.filter(case=case).select_related("issued_by").order_by("-issued_at", "-id")
    )
    responses = list(
        OperatorResponse.objects.filter(case=case)
        .select_related("author", "notice")
        .prefetch_related("evidence")
        .order_by("-created_at", "-id")
    )
    detail = {"complaints": complaints, "notices": notices, "responses": responses}
    if for_operator:
        return detail
    detail.update(
        complaint_total=Complaint.objects.filter(case=case).count(),
        timeline=labelled_events(
            Event.objects.filter(case=case).select_related("actor").order_by("created_at", "id"), K
        ),
        notes=list(case.notes.select_related("author").order_by("created_at", "id")),
        evidence=list(Evidence.objects.filter(case=case).order_by("created_at", "id")),
    )
    return detail


def case_page_complaints(case: Case) -> list[Complaint]:
    """The complaints the case page lists (the newest CASE_PAGE_COMPLAINTS), with what their
    contact details need (the submitter's address)."""
    return list(
        Complaint.objects.filter(case=case)
        .select_related("submitter")
        .order_by("-submitted_at")[:CASE_PAGE_COMPLAINTS]
    )


def regulators() -> list:
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(
            Q(groups__name=roles.REGULATOR) | Q(groups__name=roles.ADMIN) | Q(is_superuser=True),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


def recent_alerts(*, limit: int = 10) -> list[Event]:
    return list(
        Event.objects.filter(kind=Event.Kind.ALERT)
        .select_related("case", "complaint")
        .only(
            "id",
            "created_at",
            "reason",
            "message",
            "data",
            "case__id",
            "case__reference",
            "complaint__id",
            "complaint__tracking_number",
        )
        .order_by("-created_at")[:limit]
    )


def open_case_categories(app: App) -> list[CaseCategory]:
    return list(
        CaseCategory.objects.filter(app=app, is_open=True).select_related("case", "category")
    )
