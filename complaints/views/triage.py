"""The regulator's triage queue and complaint detail: filters, saved filters, bulk actions and
one POST endpoint per decision. Rules live in services.triage; these views parse and render."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import privacy, roles, workflow
from ..errors import DomainError
from ..forms.base import first_error
from ..forms.details_shown import details_shown
from ..forms.triage import AcceptForm, RejectForm
from ..lookups import case_by_reference, complaint_by_tracking_number
from ..models import App, Complaint, Evidence, SavedFilter
from ..selectors import triage as sel
from ..services import consumers, triage
from ..services.contact_details import contact_details_of, contact_details_reveal
from ..text import text_shown

QUEUE_PAGE_SIZE = 50


def regulator_required(view):
    """Anonymous visitors go to the login page; signed-in non-regulators get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not roles.is_regulator(request.user):
            raise HttpForbidden
        return view(request, *args, **kwargs)

    return wrapper


def _error_text(error: DomainError) -> str:
    return error.message


# --- queue ------------------------------------------------------------------------------------


@regulator_required
@require_http_methods(["GET", "POST"])
def queue(request):
    if request.method == "POST":
        return _bulk(request)
    try:
        filters = sel.QueueFilters.from_query(request.GET)
    except DomainError as error:
        raise BadRequest(error.message) from None
    today = timezone.localdate()
    base = reverse("triage:queue")  # rows link to base + id: one reverse() per page
    counts = sel.queue_counts(today=today)
    paginator = Paginator(sel.triage_queue(filters, today=today), QUEUE_PAGE_SIZE)
    if filters.is_whole_queue():
        # The whole queue is what the header counts as waiting: no second count of it.
        paginator.count = counts["waiting"]
    page = paginator.get_page(request.GET.get("page"))
    statuses = dict(Complaint.Status.choices)  # each row's label, translated once per page
    context = {
        "filters": filters,
        "query_string": filters.query_string(),
        "page": page,
        "rows": [_queue_row(c, today, base, statuses) for c in page.object_list],
        "counts": counts,
        "saved_filters": sel.saved_filters(request.user),
        "choices": sel.filter_choices(),
        "reject_reasons": Complaint.RejectReason.choices,
        "help_the_model": filters.low_confidence and filters.sort == "confidence",
        "help_the_model_query": sel.HELP_THE_MODEL_QUERY,
    }
    return render(request, "complaints/triage/queue.html", context)


def _snippet(text: str) -> str:
    """The start of a complaint's text on one line, cut with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) < sel.SNIPPET_LENGTH else line[: sel.SNIPPET_LENGTH - 1] + "…"


def _queue_row(complaint: Complaint, today, base: str, statuses: dict) -> dict:
    """One queue row, formatted here rather than in the template: fifty rows of template
    lookups and filters were most of the page's time."""
    sla = triage.sla_state(complaint, today)
    if sla["paused"]:
        clock, clock_class = _("paused"), ""
    elif sla["breached"]:
        clock, clock_class = f"{_('breached')} · {sla['due_date']:%Y-%m-%d}", "bad"
    elif sla["remaining"] is not None:
        days = sla["remaining"]
        clock = ngettext("%(days)s working day left", "%(days)s working days left", days) % {
            "days": days
        }
        clock_class = "warn" if days <= 2 else "ok"
    else:
        clock, clock_class = "", ""
    submitted = timezone.localtime(complaint.submitted_at)
    hint = complaint.category_hint
    return {
        "pk": complaint.pk,
        "url": f"{base}{complaint.pk}/",
        "select_label": _("Select %(number)s") % {"number": complaint.tracking_number},
        "priority": complaint.priority,
        "tracking_number": complaint.tracking_number,
        "amount": complaint.amount if complaint.amount else None,
        "app_id": complaint.app_id,
        "app_name": complaint.app.name if complaint.app_id else complaint.app_name,
        "categories": [c.name for c in complaint.categories.all()],
        "hint": hint.name if hint else "",
        "snippet": _snippet(getattr(complaint, "snippet", "")),
        "confidence": f"{complaint.confidence:.2f}" if complaint.confidence is not None else "",
        "status": statuses.get(complaint.status, complaint.status),
        "submitted_iso": submitted.isoformat(),
        "submitted": f"{submitted:%Y-%m-%d %H:%M}",
        "clock": clock,
        "clock_class": clock_class,
        "sla": sla,
    }


# What each bulk action takes from the queue's form, in the service's words.
BULK_PARAMETERS = {
    "accept": lambda post: {"category_codes": post.getlist("categories") or None},
    "reject": lambda post: {"reason": post.get("reason", "")},
    "request_info": lambda post: {"question": post.get("question", "")},
    "link_case": lambda post: {"case": case_by_reference(post.get("case", ""))},
}


def _bulk(request):
    action = request.POST.get("action", "")
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()]
    back = reverse("triage:queue") + (
        "?" + request.POST.get("query", "") if request.POST.get("query") else ""
    )
    if not ids:
        messages.error(request, _("Select at least one complaint."))
        return redirect(back)
    read = BULK_PARAMETERS.get(action)
    try:
        params = read(request.POST) if read else {}
        complaints = list(
            Complaint.objects.filter(pk__in=ids).order_by("-priority", "submitted_at")
        )
        done, failed = triage.complaints_bulk(
            action=action, complaints=complaints, actor=request.user, **params
        )
    except DomainError as error:  # an unknown action or case reference, or not a regulator
        messages.error(request, _error_text(error))
        return redirect(back)
    if done:
        messages.success(request, _("Done for %(count)s complaint(s).") % {"count": len(done)})
    for complaint, message in failed:
        messages.error(request, f"{complaint.tracking_number}: {message}")
    return redirect(back)


@regulator_required
@require_POST
def filter_save(request):
    try:
        triage.saved_filter_save(
            user=request.user,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
            scope=request.POST.get("scope", SavedFilter.Scope.TRIAGE),
        )
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Filter saved."))
    return redirect(reverse("triage:queue") + "?" + request.POST.get("query", "").lstrip("?"))


@regulator_required
@require_POST
def filter_delete(request, pk: int):
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    triage.saved_filter_delete(user=request.user, saved_filter=saved)
    messages.success(request, _("Filter deleted."))
    return redirect("triage:queue")


# --- one complaint ----------------------------------------------------------------------------


def _detail_context(request, complaint: Complaint) -> dict:
    classification = sel.latest_classification(complaint)
    categories = sel.filter_choices()["categories"]
    responses = sel.complaint_responses(complaint)
    return {
        "complaint": complaint,
        "sla": triage.sla_state(complaint, timezone.localdate()),
        "classification": classification,
        "explanation": sel.explanation_rows(classification, {c.code: c.name for c in categories}),
        "evidence": sel.complaint_evidence(complaint),
        "similar": sel.similar_complaints(complaint),
        "history": sel.app_history(complaint.app),
        "timeline": sel.complaint_timeline(complaint),
        "responses": responses,
        "open_cases": sel.open_cases_for(complaint),
        "categories": categories,
        "chosen_codes": {c.code for c in complaint.categories.all()}
        or ({complaint.category_hint.code} if complaint.category_hint_id else set()),
        "reject_reasons": Complaint.RejectReason.choices,
        "next_complaint": sel.queue_neighbours(complaint),
        "app_choices": sel.app_choices_for(complaint, responses),
        "can": {
            "accept": workflow.can_accept(complaint),
            "reject": workflow.can_reject(complaint),
            "duplicate": workflow.can_mark_duplicate(complaint),
            "request_info": workflow.can_request_info(complaint),
            "link": workflow.can_link_case(complaint),
            "close": workflow.can_close(complaint),
            "status_link": not complaint.is_erased,
        },
        "consumer_email": complaint.consumer_email,
        # Stored before every door cleaned its input, details may hold what no page can encode.
        "details": details_shown(
            complaint.category_hint.code if complaint.category_hint_id else None,
            text_shown(complaint.details),
        ),
        "has_contact": any(contact_details_of(complaint).values()),
        "masked_consumer_email": privacy.mask_email(complaint.consumer_email)
        if complaint.consumer_email
        else "",
    }


def _load(pk: int) -> Complaint:
    try:
        return sel.complaint_for_regulator(pk)
    except Complaint.DoesNotExist:
        raise Http404 from None


@regulator_required
@require_GET
def detail(request, pk: int):
    complaint = _load(pk)
    return render(request, "complaints/triage/detail.html", _detail_context(request, complaint))


def _after(request, complaint: Complaint, message: str):
    messages.success(request, message)
    if request.POST.get("then") == "next":
        following = sel.queue_neighbours(complaint)
        if following is not None:
            return redirect("triage:detail", pk=following.pk)
        return redirect("triage:queue")
    return redirect("triage:detail", pk=complaint.pk)


def _failed(request, complaint: Complaint, message: str, field: str | None = None):
    """Re-render the page with the error and 400, so the regulator sees what went wrong."""
    complaint = _load(complaint.pk)
    context = _detail_context(request, complaint)
    context["error"] = message
    if request.POST.getlist("categories"):
        # The regulator's choice stays ticked, so a confirmation needs only the reason.
        context["chosen_codes"] = set(request.POST.getlist("categories"))
        context["relabel_reason_needed"] = field == "relabel_reason"
    return render(request, "complaints/triage/detail.html", context, status=400)


def _decision(view):
    """A POST from the complaint page: load the complaint, run the decision, and show a domain
    error on the page (400) instead of the redirect."""

    @regulator_required
    @require_POST
    @wraps(view)
    def wrapper(request, pk: int):
        complaint = _load(pk)
        try:
            return view(request, complaint)
        except DomainError as error:
            return _failed(request, complaint, _error_text(error), error.field)

    return wrapper


@_decision
def accept(request, complaint: Complaint):
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _failed(request, complaint, first_error(form))
    app = None
    if form.cleaned_data.get("app"):
        app = App.objects.filter(pk=form.cleaned_data["app"]).first()
    triage.complaint_accept(
        complaint=complaint,
        actor=request.user,
        category_codes=form.cleaned_data["categories"],
        note=form.cleaned_data["note"],
        relabel_reason=form.cleaned_data["relabel_reason"],
        app=app,
    )
    return _after(request, complaint, _("Accepted."))


@_decision
def reject(request, complaint: Complaint):
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _failed(request, complaint, first_error(form))
    triage.complaint_reject(
        complaint=complaint,
        actor=request.user,
        reason=form.cleaned_data["reason"],
        note=form.cleaned_data["note"],
    )
    return _after(request, complaint, _("Rejected."))


@_decision
def duplicate(request, complaint: Complaint):
    original = complaint_by_tracking_number(request.POST.get("original", ""))
    triage.complaint_mark_duplicate(
        complaint=complaint,
        original=original,
        actor=request.user,
        note=request.POST.get("note", ""),
    )
    return _after(
        request,
        complaint,
        _("Marked as a duplicate of %(number)s.") % {"number": original.tracking_number},
    )


@_decision
def request_info(request, complaint: Complaint):
    triage.complaint_request_info(
        complaint=complaint, actor=request.user, question=request.POST.get("question", "")
    )
    return _after(request, complaint, _("Question sent to the consumer; the clock is paused."))


@_decision
def link(request, complaint: Complaint):
    case = case_by_reference(request.POST.get("case", ""))
    triage.complaint_link_case(complaint=complaint, case=case, actor=request.user)
    return _after(request, complaint, _("Linked to %(reference)s.") % {"reference": case.reference})


@_decision
def status_link(request, complaint: Complaint):
    emailed = request.POST.get("email") == "1"
    token = consumers.complaint_status_link_issue(
        complaint=complaint, actor=request.user, email=emailed
    )
    # Shown once, on this answer only: never in a redirect, the session or a cache.
    context = _detail_context(request, _load(complaint.pk))
    context["new_status_url"] = request.build_absolute_uri(
        consumers.status_link_path(complaint, token)
    )
    context["status_link_emailed"] = emailed
    response = render(request, "complaints/triage/detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


@_decision
def contact(request, complaint: Complaint):
    """The consumer's contact details, on this answer only, and the reading logged (why a POST:
    services/contact_details.py)."""
    shown = contact_details_reveal(complaints=[complaint], actor=request.user)
    context = _detail_context(request, _load(complaint.pk))
    context["contact"] = shown[complaint.pk]
    response = render(request, "complaints/triage/detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


@_decision
def close(request, complaint: Complaint):
    triage.complaint_close(
        complaint=complaint, actor=request.user, reason=request.POST.get("reason", "")
    )
    return _after(request, complaint, _("Closed."))


# The last segment of triage/<pk>/<name>/ (url name "triage:action") -> the decision's view.
ACTIONS = {
    "accept": accept,
    "reject": reject,
    "duplicate": duplicate,
    "request-info": request_info,
    "link": link,
    "status-link": status_link,
    "contact": contact,
    "close": close,
}


@regulator_required
@require_POST
def action(request, pk: int, name: str):
    """Routes triage/<pk>/<name>/ to the decision's own view; unknown names are 404."""
    view = ACTIONS.get(name)
    if view is None:
        _load(pk)  # an unknown complaint is 404 too, as before any name is read
        raise Http404
    return view(request, pk=pk)


@regulator_required
@require_GET
def evidence_file(request, pk: int):
    """Evidence files are never public: regulators read them through this view."""
    evidence = get_object_or_404(Evidence, pk=pk)
    return _serve(evidence)


def _serve(evidence: Evidence):
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=evidence.content_type)
    response["Content-Disposition"] = (
        f'inline; filename="{evidence.sha256[:16]}{evidence.extension}"'
    )
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response
