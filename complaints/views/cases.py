"""Rectification cases for regulators: the list with alerts, opening a case, the case page and
its actions (assign, note, notice, verification, escalation, closing), and the printable notice."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import workflow
from ..errors import DomainError
from ..forms.base import first_error
from ..forms.cases import CaseOpenForm, NoticeForm, VerifyForm
from ..lookups import complaints_by_tracking_numbers
from ..models import Case, Category, Complaint, Notice
from ..selectors import cases as sel
from ..selectors.notices import notice_document as notice_document_of
from ..services import cases as case_services
from ..services.contact_details import contact_details_reveal
from ..services.deadlines import calendar_warning, notice_default_deadline
from .triage import regulator_required

K = Case.Status
CASE_PAGE_SIZE = 50


@regulator_required
@require_GET
def case_list(request):
    try:
        filters = sel.CaseFilters.from_query(request.GET)
    except DomainError as error:
        raise BadRequest(error.message) from None
    paginator = Paginator(sel.case_list(filters, user=request.user), CASE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/cases/list.html",
        {
            "filters": filters,
            "page": page,
            "today": timezone.localdate(),
            "statuses": K.choices,
            "categories": Category.objects.filter(is_active=True),
            "alerts": sel.recent_alerts(),
        },
    )


@regulator_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    if request.method == "POST":
        form = CaseOpenForm(request.POST)
        if form.is_valid():
            try:
                case = case_services.case_open(
                    app=form.cleaned_data["app"],
                    categories=list(form.cleaned_data["categories"]),
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    summary=form.cleaned_data["summary"],
                    language=form.cleaned_data["language"],
                    complaints=complaints_by_tracking_numbers(
                        form.tracking_numbers(), field="complaints"
                    ),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("Case %(reference)s opened.") % {"reference": case.reference}
                )
                return redirect("cases:detail", pk=case.pk)
        status = 400
    else:
        initial = {"language": "zh-hans"}
        app = request.GET.get("app", "")
        if app.isdigit():
            initial["app"] = int(app)
        complaint_id = request.GET.get("complaint", "")
        if complaint_id.isdigit():
            complaint = (
                Complaint.objects.filter(pk=int(complaint_id))
                .prefetch_related("categories")
                .first()
            )
            if complaint is not None:
                initial["complaints"] = complaint.tracking_number
                initial["categories"] = [c.code for c in complaint.categories.all()]
        form = CaseOpenForm(initial=initial)
        status = 200
    return render(request, "complaints/cases/new.html", {"form": form}, status=status)


def _load(pk: int) -> Case:
    try:
        return sel.case_for_regulator(pk)
    except Case.DoesNotExist:
        raise Http404 from None


def _notice_calendar_warning(notice: Notice | None) -> str:
    """What the regulator should know about the working days of the notice's deadline."""
    if notice is None:
        return ""
    return calendar_warning(
        issued_date=timezone.localdate(notice.issued_at), deadline_date=notice.deadline_date
    )


def _detail_context(case: Case) -> dict:
    today = timezone.localdate()
    categories = list(case.categories.all())
    detail = sel.case_detail(case)
    default_deadline = notice_default_deadline(categories=categories, issued_date=today)
    return {
        "case": case,
        "today": today,
        "categories": categories,
        **detail,
        "regulators": sel.regulators(),
        "escalations": Case.Escalation.choices,
        "default_deadline": default_deadline,
        "default_deadline_warning": calendar_warning(
            issued_date=today, deadline_date=default_deadline
        ),
        "deadline_warning": _notice_calendar_warning(next(iter(detail["notices"]), None)),
        "can": {
            "notice": workflow.can_issue_notice(case),
            "verify": workflow.can_verify(case),
            "escalate": workflow.can_escalate(case),
            "close": workflow.can_close_case(case),
        },
    }


@regulator_required
@require_GET
def case_detail(request, pk: int):
    return render(request, "complaints/cases/detail.html", _detail_context(_load(pk)))


def _failed(request, case: Case, message: str):
    context = _detail_context(_load(case.pk))
    context["error"] = message
    return render(request, "complaints/cases/detail.html", context, status=400)


def _case_post(view):
    """A POST from the case page: load the case, run the action, and redirect back with its
    message; a domain error re-renders the page with the error (400)."""

    @regulator_required
    @require_POST
    @wraps(view)
    def wrapper(request, pk: int):
        case = _load(pk)
        try:
            outcome = view(request, case)
        except DomainError as error:
            return _failed(request, case, error.message)
        if isinstance(outcome, HttpResponse):
            return outcome
        messages.success(request, outcome)
        return redirect("cases:detail", pk=case.pk)

    return wrapper


@_case_post
def assign(request, case: Case):
    assignee_id = request.POST.get("assignee", "")
    assignee = None
    if assignee_id:
        assignee = (
            get_user_model().objects.filter(pk=assignee_id if assignee_id.isdigit() else 0).first()
        )
        if assignee is None:
            return _failed(request, case, _("Choose a regulator."))
    case_services.case_assign(case=case, assignee=assignee, actor=request.user)
    return _("Assignment saved.")


@_case_post
def note(request, case: Case):
    case_services.case_note_add(case=case, actor=request.user, text=request.POST.get("text", ""))
    return _("Note added.")


@_case_post
def notice(request, case: Case):
    form = NoticeForm(request.POST)
    if not form.is_valid():
        return _failed(request, case, first_error(form))
    issued = case_services.notice_issue(
        case=case,
        actor=request.user,
        problems=form.cleaned_data["problems"],
        deadline_date=form.cleaned_data["deadline_date"],
        legal_basis=form.cleaned_data["legal_basis"] or None,
    )
    warning = _notice_calendar_warning(issued)
    if warning:
        messages.warning(request, warning)
    return _("Notice %(number)s issued; the operator has been told.") % {"number": issued.number}


@_case_post
def verify(request, case: Case):
    form = VerifyForm(request.POST)
    if not form.is_valid():
        return _failed(request, case, first_error(form))
    case_services.rectification_verify(
        case=case,
        actor=request.user,
        rectified=form.cleaned_data["rectified"],
        notes=form.cleaned_data["notes"],
        new_deadline_date=form.cleaned_data["new_deadline_date"],
        escalate_measure=form.cleaned_data["escalate_measure"],
        files=request.FILES.getlist("files"),
    )
    if form.cleaned_data["new_deadline_date"]:
        warning = _notice_calendar_warning(case.notices.order_by("-issued_at", "-id").first())
        if warning:
            messages.warning(request, warning)
    return _("Verification recorded.")


@_case_post
def escalate(request, case: Case):
    case_services.case_escalate(
        case=case,
        actor=request.user,
        measure=request.POST.get("measure", ""),
        reason=request.POST.get("reason", ""),
    )
    return _("Escalation recorded.")


@_case_post
def close(request, case: Case):
    case_services.case_close(case=case, actor=request.user, reason=request.POST.get("reason", ""))
    return _("Case closed.")


@_case_post
def contacts(request, case: Case):
    """The contact details of every complaint the page lists, in a column, on this answer only;
    each complaint's reading is logged. One click per case rather than one per complaint: a
    regulator calling a case's consumers wants the list, and the log still says whose details
    were seen (why a POST: services/contact_details.py)."""
    shown = contact_details_reveal(
        complaints=sel.case_page_complaints(case), actor=request.user, case=case
    )
    context = _detail_context(_load(case.pk))
    for complaint in context["complaints"]:
        complaint.contact = shown.get(complaint.pk)
    context["contacts_shown"] = True
    response = render(request, "complaints/cases/detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


# The last segment of cases/<pk>/<name>/ (url name "cases:action") -> the action's view.
ACTIONS = {
    "assign": assign,
    "note": note,
    "notice": notice,
    "verify": verify,
    "escalate": escalate,
    "close": close,
    "contacts": contacts,
}


@regulator_required
@require_POST
def case_action(request, pk: int, name: str):
    """Routes cases/<pk>/<name>/ to the action's own view; unknown names are 404."""
    view = ACTIONS.get(name)
    if view is None:
        _load(pk)  # an unknown case is 404 too, as before any name is read
        raise Http404
    return view(request, pk=pk)


@regulator_required
@require_GET
def notice_document(request, pk: int, notice_pk: int):
    notice = get_object_or_404(
        Notice.objects.select_related("case__app__operator", "issued_by"), pk=notice_pk, case_id=pk
    )
    return render(
        request,
        "complaints/cases/notice.html",
        {"notice": notice, "case": notice.case, "doc": notice_document_of(notice)},
    )
