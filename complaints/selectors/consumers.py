"""Reads for consumers after filing: a complaint by its tracking number, a signed-in
consumer's own complaints, and a complaint's history told in plain words.
"""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import workflow
from ..models import Case, Complaint, Event, Notice
from ..services.intake import access_token_matches
from .stats.rectification_board import public_cases, public_status_labels

S = Complaint.Status


# --- tracking ---------------------------------------------------------------------------------


def complaint_by_token(*, tracking_number: str, token: str) -> Complaint | None:
    """The complaint when the token is right; None for a wrong token and an unknown number
    alike, after the same constant-time comparison."""
    complaint = (
        Complaint.objects.select_related("app", "category_hint")
        .filter(tracking_number=(tracking_number or "").strip().upper())
        .first()
    )
    return complaint if access_token_matches(complaint, token) else None


def complaints_of_consumer(user) -> QuerySet[Complaint]:
    """A signed-in consumer's own complaints, newest first."""
    if not user.is_authenticated:
        return Complaint.objects.none()
    return (
        Complaint.objects.filter(submitter=user)
        .select_related("app", "category_hint")
        .prefetch_related("categories")
        .order_by("-submitted_at")
    )


# --- the consumer's timeline --------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    title: str
    detail: str
    by_consumer: bool
    status: str


def _transition_title(event: Event) -> str:
    to = event.to_status
    if to == S.NEEDS_REVIEW and event.actor_role == "consumer":
        return _("You sent the information we asked for; a regulator will look at it again.")
    titles = {
        S.CLASSIFIED: _("Your complaint was sorted by topic and is waiting for a regulator."),
        S.NEEDS_REVIEW: _("A regulator is reviewing your complaint."),
        S.INFO_REQUESTED: _("We need more information from you."),
        S.ACCEPTED: _("Your complaint was accepted and will be followed up."),
        S.REJECTED: _("Your complaint was not accepted."),
        S.DUPLICATE: _("Your complaint was joined to an earlier complaint about the same problem."),
        S.LINKED: _("Your complaint is now part of a rectification case against the app."),
        S.ANSWERED: _("The app's operator answered your complaint."),
        S.DISPUTED: _("You said the answer does not resolve your complaint."),
        S.CLOSED: _("Your complaint was closed."),
        S.WITHDRAWN: _("You withdrew your complaint."),
        S.SUBMITTED: _("We received your complaint."),
    }
    return titles.get(to, _("The status of your complaint changed."))


def _entry_title(event: Event) -> str:
    kind = event.kind
    if kind == Event.Kind.CREATED:
        return _("We received your complaint.")
    if kind == Event.Kind.TRANSITION:
        return _transition_title(event)
    if kind == Event.Kind.EVIDENCE:
        count = len(event.data.get("files", [])) or 1
        return ngettext("%(count)s file was added.", "%(count)s files were added.", count) % {
            "count": count
        }
    if kind == Event.Kind.ERASURE:
        return _("Your personal data was erased.")
    if kind == Event.Kind.NOTE and "rating" in event.data:
        return _("You rated the outcome %(rating)s out of 5.") % {"rating": event.data["rating"]}
    if kind == Event.Kind.LABELS:
        return _("The topic of your complaint was updated.")
    if kind == Event.Kind.MESSAGE:
        return _("A message about your complaint.")
    return _("Your complaint was updated.")


def consumer_timeline(complaint: Complaint) -> list[TimelineEntry]:
    """The events a consumer may see, oldest first, each in one plain sentence."""
    events = Event.objects.filter(complaint=complaint, public=True).order_by("created_at", "id")
    entries = []
    for event in events:
        detail = "" if event.kind in (Event.Kind.CREATED, Event.Kind.ERASURE) else event.text
        entries.append(
            TimelineEntry(
                at=event.created_at,
                title=_entry_title(event),
                detail=detail,
                by_consumer=event.actor_role == "consumer",
                status=event.to_status,
            )
        )
    return entries


def status_explained(complaint: Complaint) -> str:
    """What the current status means for the consumer, and what happens next."""
    texts = {
        S.SUBMITTED: _(
            "We have your complaint. It will be sorted by topic and reviewed by a regulator."
        ),
        S.CLASSIFIED: _("Your complaint is waiting for a regulator's review."),
        S.NEEDS_REVIEW: _("A regulator is reviewing your complaint."),
        S.INFO_REQUESTED: _("A regulator asked you a question. Please answer it below."),
        S.ACCEPTED: _("Your complaint was accepted. The operator will be asked to answer."),
        S.REJECTED: _("Your complaint was not accepted. The reason is in the history below."),
        S.DUPLICATE: _("Your complaint was joined to an earlier complaint about the same problem."),
        S.LINKED: _("Your complaint is part of a rectification case against the app."),
        S.ANSWERED: _("The operator answered. Tell us whether the answer resolves your complaint."),
        S.DISPUTED: _("You disputed the operator's answer. A regulator will look at it again."),
        S.CLOSED: _("Your complaint is closed."),
        S.WITHDRAWN: _("You withdrew your complaint."),
    }
    return texts.get(complaint.status, "")


# --- the case a complaint joined ----------------------------------------------------------------


def complaint_case_for_consumer(complaint: Complaint) -> dict | None:
    """What the consumer may know of the case their complaint joined: its reference, its
    public status (the board's), the latest notice and its deadline, the verified result, and
    the app's page on the public board. None when the complaint joined no case. Before the
    first notice a case is not public: the consumer learns only its reference."""
    if complaint.case_id is None:
        return None
    case = public_cases().filter(pk=complaint.case_id).first()
    if case is None:
        case = Case.objects.select_related("app").get(pk=complaint.case_id)
        return {
            "case": case,
            "public": False,
            "app_url": reverse("app-scorecard", args=[case.app_id]),
        }
    verified = (
        Event.objects.filter(case=case, to_status__in=workflow.CASE_VERDICTS)
        .order_by("-created_at", "-id")
        .first()
    )
    return {
        "case": case,
        "public": True,
        "status": case.public_status,
        "status_label": public_status_labels()[case.public_status],
        "notice": Notice.objects.filter(case=case).order_by("-issued_at", "-id").first(),
        "rectified": verified.to_status == Case.Status.RECTIFIED if verified else None,
        "verified_at": verified.created_at if verified else None,
        "app_url": reverse("app-scorecard", args=[case.app_id]),
    }
