"""The consumer's status page: look-up by tracking number and access code, the timeline, and
the actions (answer a question, withdraw, confirm or dispute an answer, rate, erase).

Access comes from the private link or the look-up form (remembered in the session), or from
being the signed-in consumer who filed it. Without access every page answers 404, exactly as
for a number that does not exist.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import privacy, workflow
from ..errors import DomainError
from ..forms.tracking import (
    ConfirmAnswerForm,
    DisputeForm,
    EraseForm,
    InfoForm,
    LostLinkForm,
    RatingForm,
    TrackForm,
    WithdrawForm,
)
from ..models import Complaint
from ..selectors import consumers as consumer_reads
from ..services import consumers, operators
from ..throttling import TrackThrottle, web_throttle

ACCESS_KEY = "tracked_complaints"
S = Complaint.Status


def _grant(complaint: Complaint) -> str:
    # Bound to the token's hash: a new status link (a regulator's, after a leak) ends the
    # access every earlier link gave, in every browser.
    return f"{complaint.tracking_number}:{complaint.access_token_hash[:16]}"


def grant_access(request: HttpRequest, complaint: Complaint) -> None:
    """Remember in the session that this visitor proved they hold the complaint's token."""
    grant = _grant(complaint)
    prefix = complaint.tracking_number + ":"
    granted = [grant, *(g for g in request.session.get(ACCESS_KEY, []) if not g.startswith(prefix))]
    request.session[ACCESS_KEY] = granted[:50]


def _complaint_for(request: HttpRequest, tracking_number: str) -> Complaint:
    """The complaint this visitor may see, or 404 — the same 404 whether or not it exists."""
    complaint = (
        Complaint.objects.select_related("app", "category_hint")
        .filter(tracking_number=tracking_number.upper())
        .first()
    )
    if complaint is None:
        raise Http404
    own = request.user.is_authenticated and complaint.submitter_id == request.user.pk
    if own or _grant(complaint) in request.session.get(ACCESS_KEY, []):
        return complaint
    raise Http404


@require_http_methods(["GET", "POST"])
@web_throttle(TrackThrottle)
def track_lookup(request: HttpRequest) -> HttpResponse:
    form = TrackForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        complaint = consumer_reads.complaint_by_token(
            tracking_number=form.cleaned_data["tracking_number"], token=form.cleaned_data["token"]
        )
        if complaint is not None:
            grant_access(request, complaint)
            return redirect("track_detail", tracking_number=complaint.tracking_number)
        form.add_error(None, _("We found no complaint with this tracking number and access code."))
    return render(
        request,
        "complaints/track/lookup.html",
        {"form": form},
        status=404 if form.non_field_errors() else 200,
    )


@require_http_methods(["GET", "POST"])
@web_throttle(TrackThrottle)
def track_lost_link(request: HttpRequest) -> HttpResponse:
    """A new status link by e-mail, to the address on the complaint. The answer is the same
    whether or not the number and address match."""
    form = LostLinkForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        consumers.complaint_status_link_resend(
            tracking_number=form.cleaned_data["tracking_number"],
            email=form.cleaned_data["email"],
        )
        return render(request, "complaints/track/lost_link.html", {"form": None, "sent": True})
    return render(
        request,
        "complaints/track/lost_link.html",
        {"form": form, "sent": False},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET"])
def track_detail(request: HttpRequest, tracking_number: str) -> HttpResponse:
    token = request.GET.get("t")
    if token:
        # The private link: check the token, remember it, and take it out of the address bar.
        complaint = consumer_reads.complaint_by_token(tracking_number=tracking_number, token=token)
        if complaint is None:
            raise Http404
        grant_access(request, complaint)
        return redirect("track_detail", tracking_number=complaint.tracking_number)
    complaint = _complaint_for(request, tracking_number)
    return _render_detail(request, complaint)


def _render_detail(
    request: HttpRequest, complaint: Complaint, status: int = 200, **forms
) -> HttpResponse:
    context = {
        "complaint": complaint,
        "timeline": consumer_reads.consumer_timeline(complaint),
        "explanation": consumer_reads.status_explained(complaint),
        "joined_case": consumer_reads.complaint_case_for_consumer(complaint),
        "categories": list(complaint.categories.all()),
        "evidence": list(complaint.evidence.all()),
        "masked_phone": privacy.mask_phone(complaint.contact_phone)
        if complaint.contact_phone
        else "",
        "masked_email": privacy.mask_email(complaint.contact_email)
        if complaint.contact_email
        else "",
        "question": _open_question(complaint),
        "info_form": forms.get("info_form")
        or (InfoForm() if workflow.can_provide_info(complaint) else None),
        "confirm_form": forms.get("confirm_form")
        or (ConfirmAnswerForm() if workflow.can_confirm_answer(complaint) else None),
        "dispute_form": forms.get("dispute_form")
        or (DisputeForm() if workflow.can_dispute(complaint) else None),
        "rating_form": forms.get("rating_form")
        or (RatingForm() if workflow.can_rate(complaint) else None),
        "withdraw_form": forms.get("withdraw_form")
        or (WithdrawForm() if workflow.can_withdraw(complaint) else None),
        "erase_form": forms.get("erase_form") or (EraseForm() if not complaint.is_erased else None),
    }
    return render(request, "complaints/track/detail.html", context, status=status)


def _open_question(complaint: Complaint) -> str:
    if not workflow.can_provide_info(complaint):
        return ""
    event = (
        complaint.events.filter(to_status=S.INFO_REQUESTED, public=True)
        .order_by("-created_at", "-id")
        .first()
    )
    return event.reason if event else ""


def _act(
    request: HttpRequest, tracking_number: str, form_class, form_name: str, action, success: str
) -> HttpResponse:
    complaint = _complaint_for(request, tracking_number)
    form = form_class(data=request.POST, files=request.FILES or None)
    if form.is_valid():
        try:
            action(complaint, form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success)
        return redirect(reverse("track_detail", args=[complaint.tracking_number]))
    return _render_detail(request, complaint, status=400, **{form_name: form})


def _actor(request: HttpRequest):
    return request.user if request.user.is_authenticated else None


@require_POST
def track_info(request: HttpRequest, tracking_number: str) -> HttpResponse:
    return _act(
        request,
        tracking_number,
        InfoForm,
        "info_form",
        lambda c, data: consumers.complaint_info_add(
            complaint=c, text=data["text"], files=data["files"] or [], actor=_actor(request)
        ),
        _("Thank you. Your answer was sent to the regulator."),
    )


@require_POST
def track_withdraw(request: HttpRequest, tracking_number: str) -> HttpResponse:
    return _act(
        request,
        tracking_number,
        WithdrawForm,
        "withdraw_form",
        lambda c, data: consumers.complaint_withdraw(
            complaint=c, reason=data["reason"], actor=_actor(request)
        ),
        _("Your complaint was withdrawn."),
    )


@require_POST
def track_confirm(request: HttpRequest, tracking_number: str) -> HttpResponse:
    def confirm(complaint: Complaint, data: dict) -> None:
        operators.complaint_confirm(
            complaint=complaint, rating=data["rating"], actor=_actor(request)
        )

    return _act(
        request,
        tracking_number,
        ConfirmAnswerForm,
        "confirm_form",
        confirm,
        _("Thank you. Your complaint is closed."),
    )


@require_POST
def track_dispute(request: HttpRequest, tracking_number: str) -> HttpResponse:
    def dispute(complaint: Complaint, data: dict) -> None:
        operators.complaint_dispute(
            complaint=complaint, reason=data["reason"], actor=_actor(request)
        )

    return _act(
        request,
        tracking_number,
        DisputeForm,
        "dispute_form",
        dispute,
        _("A regulator will look at your complaint again."),
    )


@require_POST
def track_rate(request: HttpRequest, tracking_number: str) -> HttpResponse:
    return _act(
        request,
        tracking_number,
        RatingForm,
        "rating_form",
        lambda c, data: consumers.complaint_rate(
            complaint=c, rating=data["rating"], comment=data["comment"], actor=_actor(request)
        ),
        _("Thank you for rating the outcome."),
    )


@require_POST
def track_erase(request: HttpRequest, tracking_number: str) -> HttpResponse:
    def erase(complaint: Complaint, data: dict) -> None:
        # Erasure unlinks the account, so keep this visitor's access through the session.
        grant_access(request, complaint)
        consumers.complaint_erase(complaint=complaint, actor=_actor(request))

    return _act(
        request,
        tracking_number,
        EraseForm,
        "erase_form",
        erase,
        _("Your personal data in this complaint was erased."),
    )
