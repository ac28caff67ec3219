"""Reads for operators: the complaints and cases an operator account may see, its portal,
and its dashboard of clocks, deadlines and response figures beside the platform median.
"""

import datetime
import statistics

from django.db.models import F, Prefetch, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import roles, workflow
from ..models import App, Case, Complaint, ComplaintStat, Evidence, Notice
from .stats.rectification_board import public_cases
from .stats.summary import (
    StatsFilter,
    months_back,
    rate,
    reads_summary,
    summary_rows,
    summary_sums,
    working_days,
)


def operator_complaints(user) -> QuerySet[Complaint]:
    """Complaints about the operator's own apps that a regulator accepted (never raw intake)."""
    return Complaint.objects.filter(
        app__operator_id__in=roles.operator_company_ids(user), status__in=workflow.CONFIRMED
    )


# What an operator sees of a complaint about its app (DESIGN.md: "personal data masked").
#   Always: tracking number, app and version, categories, status, dates, and the description
#   with personal data masked: enough to answer the consumer and to fix the app.
#   Only with the consumer's consent (consent_share_with_operator): the amount involved and the
#   consumer's files. Screenshots carry names, faces and order numbers that masking cannot
#   reach, and an amount on a date points at one order, so at one person.
#   Never: the consumer's name, phone or e-mail, the unmasked text, the filing form's details.
# Without consent the operator may still answer: the answer reaches the consumer through us and
# tells the operator nothing new about them.


def operator_may_see_files(complaint: Complaint) -> bool:
    return complaint.consent_share_with_operator


def operator_amount(complaint: Complaint):
    """The amount involved as the operator may see it: None without the consumer's consent."""
    return complaint.amount if operator_may_see_files(complaint) else None


def operator_complaint_files(complaint: Complaint) -> list[Evidence]:
    """The consumer's files, for the operator only when the consumer agreed to share them."""
    if not operator_may_see_files(complaint):
        return []
    return list(complaint.evidence.order_by("created_at", "id"))


def operator_evidence(user, pk: int) -> Evidence:
    """A file an operator may open: one its company attached to a report, or a consumer's file
    on a complaint about its apps whose consumer agreed to share it. Raises DoesNotExist."""
    shared = operator_complaints(user).filter(consent_share_with_operator=True)
    evidence = Evidence.objects.select_related("response", "complaint").get(pk=pk)
    own_report = (
        evidence.response_id is not None
        and evidence.response.company_id in roles.operator_company_ids(user)
    )
    if own_report or shared.filter(pk=evidence.complaint_id or 0).exists():
        return evidence
    raise Evidence.DoesNotExist


def operator_cases(user) -> QuerySet[Case]:
    return Case.objects.filter(
        app__operator_id__in=roles.operator_company_ids(user),
        status__in=workflow.CASE_SEEN_BY_OPERATOR,
    )


OPERATOR_RECENT_SHOWN = 20
_PORTAL_FIELDS = (
    "id", "tracking_number", "app__name", "app_id", "status", "submitted_at", "operator_due_date",
    "description", "description_masked", "decided_at",
)  # fmt: skip


def operator_portal(user, *, today: datetime.date | None = None) -> dict:
    """The operator's home: complaints waiting for its answer by due date (a queryset the view
    pages), the latest answered or closed ones, and its cases by deadline."""
    today = today or timezone.localdate()
    mine = (
        operator_complaints(user)
        .select_related("app")
        .prefetch_related("categories")
        .only(*_PORTAL_FIELDS)
    )
    waiting = mine.filter(status__in=workflow.AWAITING_OPERATOR).order_by(
        "operator_due_date", "submitted_at", "id"
    )
    recent = list(
        mine.exclude(status__in=workflow.AWAITING_OPERATOR).order_by("-submitted_at", "-id")[
            :OPERATOR_RECENT_SHOWN
        ]
    )
    cases = list(
        operator_cases(user)
        .select_related("app")
        .prefetch_related(
            Prefetch("notices", queryset=Notice.objects.order_by("-issued_at", "-id"))
        )
        .order_by("deadline_date", "id")
    )
    return {"complaints": waiting, "recent": recent, "cases": cases, "today": today}


def operator_complaint(user, pk: int) -> Complaint:
    return operator_complaints(user).select_related("app").prefetch_related("categories").get(pk=pk)


def operator_case(user, pk: int) -> Case:
    return (
        operator_cases(user)
        .select_related("app__operator")
        .prefetch_related("categories")
        .get(pk=pk)
    )


# --- the operator dashboard ------------------------------------------------------------------

# Operators with more apps than this see the urgent list for their first ones by name.
MAX_APPS_WALKED = 50


@reads_summary
def operator_dashboard(
    company_ids: set[int],
    *,
    today: datetime.date | None = None,
    months: int = 12,
    urgent_limit: int = 25,
) -> dict:
    """For one operator account: its complaints waiting for an answer with their clocks, its
    cases under notice with deadlines, and its response figures beside the platform median
    across operators."""
    today = today or timezone.localdate()
    apps = list(App.objects.filter(operator_id__in=company_ids).order_by("name"))
    waiting = Complaint.objects.filter(
        status__in=workflow.AWAITING_OPERATOR, operator_due_date__isnull=False
    )
    # The figures from the summary; only "due within 3 days" is a narrow range of the
    # operator clock index.
    summary = summary_sums(
        ComplaintStat.objects.filter(app__in=[a.pk for a in apps], category__isnull=True),
        ["awaiting_operator", "reply_overdue"],
    )
    clock = {
        "total": summary["awaiting_operator"],
        "overdue": summary["reply_overdue"],
        "due_soon": waiting.filter(
            app__in=apps,
            operator_due_date__gte=today,
            operator_due_date__lte=today + datetime.timedelta(days=3),
        ).count(),
    }
    # The most urgent, app by app (each an ordered walk of the index), merged.
    urgent = []
    for app in apps[:MAX_APPS_WALKED]:
        urgent += (
            waiting.filter(app=app)
            .select_related("app")
            .prefetch_related("categories")
            .only(
                "pk",
                "tracking_number",
                "status",
                "app__name",
                "app__id",
                "operator_due_date",
                "decided_at",
            )
            .order_by("operator_due_date", "pk")[:urgent_limit]
        )
    urgent = sorted(urgent, key=lambda c: (c.operator_due_date, c.pk))[:urgent_limit]
    for complaint in urgent:
        complaint.days_left = (complaint.operator_due_date - today).days
        complaint.days_overdue = -complaint.days_left
    cases = list(
        public_cases()
        .filter(app__in=apps, status__in=(*workflow.CASE_UNDER_NOTICE, *workflow.CASE_LATE))
        .order_by("deadline_date", "pk")
    )
    for case in cases:
        case.working_days_left = (
            working_days(today, case.deadline_date) if case.deadline_date else None
        )
    f = StatsFilter(start_date=months_back(months), end_date=today)
    per_operator = list(
        summary_rows(f, by_app=True)
        .filter(app__operator__isnull=False)
        .values(operator_id=F("app__operator_id"))
        .annotate(
            sent=Sum("sent_to_operator"),
            replied=Sum("replied"),
            on_time=Sum("replied_on_time"),
            overdue=Sum("reply_overdue"),
            confirmed=Sum("confirmed"),
        )
    )
    mine = {"sent": 0, "replied": 0, "on_time": 0, "overdue": 0, "confirmed": 0}
    response_rates, on_time_rates, resolution_rates = [], [], []
    for r in per_operator:
        if r["operator_id"] in company_ids:
            for key in mine:
                mine[key] += r[key] or 0
        if r["sent"]:
            response_rates.append(r["replied"] / r["sent"])
        if r["replied"] + r["overdue"]:
            on_time_rates.append(r["on_time"] / (r["replied"] + r["overdue"]))
        if r["replied"]:
            resolution_rates.append(r["confirmed"] / r["replied"])

    def median(values):
        return round(statistics.median(values), 4) if values else None

    comparison = [
        {
            "key": "response_rate",
            "label": _("Complaints answered"),
            "mine": rate(mine["replied"], mine["sent"]),
            "platform_median": median(response_rates),
        },
        {
            "key": "on_time_rate",
            "label": _("Answered on time"),
            "mine": rate(mine["on_time"], mine["replied"] + mine["overdue"]),
            "platform_median": median(on_time_rates),
        },
        {
            "key": "resolution_rate",
            "label": _("Answers the consumer confirmed"),
            "mine": rate(mine["confirmed"], mine["replied"]),
            "platform_median": median(resolution_rates),
        },
    ]
    return {
        "apps": apps,
        "clock": clock,
        "waiting": urgent,
        "cases": cases,
        "comparison": comparison,
        "figures": mine,
        "filter": f,
        "today": today,
    }
