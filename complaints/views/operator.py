"""The operator portal: complaints about the company's own apps (masked) with their answer
clock, notices with their deadline countdown, answers and rectification reports.

Another company's complaint or case is a 404, never a 403: operators must not learn it exists.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import roles, workflow
from ..calendar import working_days_between
from ..errors import DomainError
from ..forms.operator import AnswerForm
from ..models import Case, Complaint, Evidence, Notice, OperatorResponse
from ..selectors import cases, triage
from ..selectors import operators as sel
from ..selectors.notices import notice_document as notice_document_of
from ..services import cases as case_services
from ..services import operators as operator_services
from .triage import _serve

PORTAL_PAGE_SIZE = 50


def operator_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not roles.is_operator(request.user):
            raise HttpForbidden
        return view(request, *args, **kwargs)

    return wrapper


def _working_days_left(today, deadline):
    """Working days until the deadline; -1 once it has passed (a deadline on Friday is not
    "0 days left" on the Sunday after), None without a deadline."""
    if deadline is None:
        return None
    return -1 if deadline < today else working_days_between(today, deadline)


@operator_required
@require_GET
def portal(request):
    context = sel.operator_portal(request.user)
    today = context["today"]
    context["page"] = Paginator(context["complaints"], PORTAL_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context["complaint_rows"] = [
        {
            "complaint": c,
            "days_left": (c.operator_due_date - today).days if c.operator_due_date else None,
        }
        for c in context["page"].object_list
    ]
    context["case_rows"] = [
        {
            "case": c,
            "working_days_left": _working_days_left(today, c.deadline_date),
        }
        for c in context["cases"]
    ]
    return render(request, "complaints/operator/portal.html", context)


def _complaint(request, pk: int) -> Complaint:
    try:
        return sel.operator_complaint(request.user, pk)
    except Complaint.DoesNotExist:
        raise Http404 from None


def _complaint_page(request, complaint: Complaint, *, error: str = "", status: int = 200):
    today = timezone.localdate()
    return render(
        request,
        "complaints/operator/complaint.html",
        {
            "complaint": complaint,
            "files_shared": sel.operator_may_see_files(complaint),
            "amount": sel.operator_amount(complaint),
            "files": sel.operator_complaint_files(complaint),
            "responses": triage.complaint_responses(complaint),
            "timeline": triage.complaint_timeline(complaint, public_only=True),
            "days_left": (complaint.operator_due_date - today).days
            if complaint.operator_due_date
            else None,
            "can_answer": workflow.can_answer(complaint),
            # "Not our app" only while the answer is still owed (not after a dispute).
            "closure_codes": [
                (code, label)
                for code, label in OperatorResponse.ClosureCode.choices
                if code != OperatorResponse.ClosureCode.NOT_OUR_APP
                or workflow.can_disown(complaint)
            ],
            "error": error,
        },
        status=status,
    )


@operator_required
@require_GET
def complaint_detail(request, pk: int):
    return _complaint_page(request, _complaint(request, pk))


@operator_required
@require_POST
def complaint_answer(request, pk: int):
    complaint = _complaint(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        return _complaint_page(request, complaint, error=message, status=400)
    try:
        operator_services.complaint_answer(
            complaint=complaint,
            actor=request.user,
            text=form.cleaned_data["text"],
            closure_code=form.cleaned_data["closure_code"],
        )
    except DomainError as error:
        return _complaint_page(request, _complaint(request, pk), error=error.message, status=400)
    messages.success(request, _("Answer sent."))
    return redirect("operator:portal")


def _case(request, pk: int) -> Case:
    try:
        return sel.operator_case(request.user, pk)
    except Case.DoesNotExist:
        raise Http404 from None


def _case_page(request, case: Case, *, error: str = "", status: int = 200):
    today = timezone.localdate()
    detail = cases.case_detail(case, for_operator=True)
    return render(
        request,
        "complaints/operator/case.html",
        {
            "case": case,
            **detail,
            "today": today,
            "working_days_left": _working_days_left(today, case.deadline_date),
            "can_report": workflow.can_report(case),
            "error": error,
        },
        status=status,
    )


@operator_required
@require_GET
def case_detail(request, pk: int):
    return _case_page(request, _case(request, pk))


@operator_required
@require_POST
def case_report(request, pk: int):
    case = _case(request, pk)
    try:
        case_services.rectification_report_submit(
            case=case,
            actor=request.user,
            text=request.POST.get("text", ""),
            files=request.FILES.getlist("files"),
        )
    except DomainError as error:
        return _case_page(request, _case(request, pk), error=error.message, status=400)
    messages.success(request, _("Rectification report submitted; the regulator will verify it."))
    return redirect("operator:case", pk=case.pk)


def _notice(request, pk: int, notice_pk: int) -> tuple[Case, Notice]:
    case = _case(request, pk)
    notice = get_object_or_404(
        Notice.objects.select_related("case__app__operator"), pk=notice_pk, case=case
    )
    return case, notice


@operator_required
@require_GET
def notice_document(request, pk: int, notice_pk: int):
    """Reading a notice changes nothing: the operator says it has read it with a button
    (a link preview, a prefetch or a virus scanner opening the link is no acknowledgement)."""
    case, notice = _notice(request, pk, notice_pk)
    return render(
        request,
        "complaints/cases/notice.html",
        {
            "notice": notice,
            "case": case,
            "doc": notice_document_of(notice),
            "for_operator": True,
        },
    )


@operator_required
@require_POST
def notice_acknowledge(request, pk: int, notice_pk: int):
    notice = _notice(request, pk, notice_pk)[1]
    case_services.notice_acknowledge(notice=notice, actor=request.user)
    messages.success(request, _("The regulator can see that you have read this notice."))
    return redirect("operator:notice", pk=pk, notice_pk=notice_pk)


@operator_required
@require_GET
def evidence_file(request, pk: int):
    """The files of its own company's reports, and consumers' files shared with it."""
    try:
        evidence = sel.operator_evidence(request.user, pk)
    except Evidence.DoesNotExist:
        raise Http404 from None
    return _serve(evidence)
