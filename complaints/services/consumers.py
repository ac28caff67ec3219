"""What a consumer does with a complaint after filing it: withdraw it, answer a request for
information, rate the outcome, and have their personal data erased; and the status link a
regulator issues anew when a consumer lost theirs or never had one (hotline imports).

Access (status-link token or the signed-in owner) is checked by the caller; these functions
enforce the workflow and write the Event.
"""

import datetime
import hashlib
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import workflow
from ..errors import Conflict, DomainError
from ..models import Classification, Complaint, Event
from ..models.event_messages import message
from . import accounts
from .events import complaint_move, event_record
from .evidence import CleanFile, evidence_attach, evidence_files_delete
from .intake import access_token_new, status_link_path
from .notifications import email_render, template_language
from .triage import complaint_info_provide

S = Complaint.Status
# What erased text reads as, everywhere it used to be.
TOMBSTONE = "[erased]"
# Sign-up messages (links or "you already have an account") to one address a day.
SIGNUP_MAILS_PER_DAY = 3


@transaction.atomic
@transaction.atomic
def consumer_signup(*, email: str, password: str, language: str | None = None) -> None:
    """Start a consumer account for `email` (its login name). The caller's answer is the same
    whatever happens here, so a sign-up form tells nobody which addresses have an account:

    - a new address gets an inactive account and a link that activates it (only the owner of
      the address can open it);
    - an address whose account was never activated gets the password typed now and a new link;
    - an address that has an account (consumer, operator or staff) gets a message telling its
      owner, and nothing changes.

    Each path hashes the password once, so the answer takes as long either way. At most
    SIGNUP_MAILS_PER_DAY messages go to one address a day; further sign-ups send nothing."""
    email = email.strip().lower()
    existing = (
        User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email))
        .order_by("pk")
        .first()
    )
    key = f"signup-mails:{hashlib.sha256(email.encode()).hexdigest()}"
    cache.add(key, 0, timeout=24 * 3600)
    may_mail = cache.incr(key) <= SIGNUP_MAILS_PER_DAY
    if existing is None:
        user = User.objects.create_user(
            username=email, email=email, password=password, is_active=False
        )
        user.groups.add(Group.objects.get(name="consumer"))
    elif accounts.account_never_activated(existing):
        user = existing
        user.set_password(password)
        user.save(update_fields=["password"])
    else:
        make_password(password)
        if may_mail:
            accounts.signup_existing_notify(user=existing, email=email, language=language)
        return
    if may_mail:
        accounts.email_verification_send(user=user, language=language)


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


@transaction.atomic
def complaint_withdraw(*, complaint: Complaint, actor=None, reason: str = "") -> Complaint:
    """The consumer takes the complaint back; it leaves every queue."""
    complaint = _locked(complaint)
    if not workflow.can_withdraw(complaint):
        raise Conflict(_("This complaint can no longer be withdrawn."))
    complaint_move(
        complaint=complaint,
        to_status=S.WITHDRAWN,
        actor=actor,
        actor_role="consumer",
        reason=reason.strip(),
        message=None if reason.strip() else message("withdrawn"),
    )
    return complaint


@transaction.atomic
def complaint_info_add(
    *, complaint: Complaint, text: str, files: Sequence[CleanFile] = (), actor=None
) -> Complaint:
    """The consumer answers a regulator's question, with optional files; back to review."""
    complaint = _locked(complaint)
    if not workflow.can_provide_info(complaint):
        raise Conflict(_("Nobody has asked for more information on this complaint."))
    evidence_attach(complaint=complaint, files=files, actor=actor)
    return complaint_info_provide(complaint=complaint, text=text, actor=actor)


@transaction.atomic
def complaint_rate(
    *, complaint: Complaint, rating: int, comment: str = "", actor=None
) -> Complaint:
    """The consumer's verdict on how their complaint was handled, once it is over."""
    complaint = _locked(complaint)
    if complaint.status not in workflow.RATEABLE:
        raise Conflict(_("You can rate the outcome once your complaint is closed."))
    if not workflow.can_rate(complaint):
        raise Conflict(_("You have already rated this complaint."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError(_("Rate from 1 to 5."), field="rating")
    complaint.rating = rating
    complaint.rating_comment = comment.strip()[:2000]
    complaint.save(update_fields=["rating", "rating_comment", "updated_at"])
    event_record(
        actor=actor,
        actor_role="consumer",
        kind=Event.Kind.NOTE,
        complaint=complaint,
        data={"rating": rating},
    )
    return complaint


@transaction.atomic
def complaint_erase(
    *, complaint: Complaint, actor=None, actor_role: str = "consumer", reason: str = ""
) -> Complaint:
    """Replace the consumer's personal data with tombstones (PIPL art. 47).

    Kept for statistics: app, categories, kind, channel, language, amount, dates and status
    history. Gone: the text, contact details, per-kind details, files, the link to the
    account, the consumer's own words in the timeline and the classifier's explanation (it
    quotes the text). An open complaint is withdrawn first: nothing is left to act on.
    """
    complaint = _locked(complaint)
    if complaint.is_erased:
        raise Conflict(_("The personal data of this complaint has already been erased."))
    now = timezone.now()
    if workflow.can_withdraw(complaint):
        complaint_move(
            complaint=complaint,
            to_status=S.WITHDRAWN,
            actor=actor,
            actor_role=actor_role,
            message=message("withdrawn_for_erasure"),
            at=now,
        )
    files = evidence_files_delete(complaint=complaint)
    complaint.description = TOMBSTONE
    complaint.description_masked = None
    complaint.contact_name = ""
    complaint.contact_phone = ""
    complaint.contact_email = ""
    complaint.details = {}
    complaint.rating_comment = ""
    complaint.submitter = None
    complaint.idempotency_key = ""
    complaint.request_fingerprint = ""
    complaint.erased_at = now
    complaint.save(
        update_fields=[
            "description",
            "description_masked",
            "contact_name",
            "contact_phone",
            "contact_email",
            "details",
            "rating_comment",
            "submitter",
            "idempotency_key",
            "request_fingerprint",
            "erased_at",
            "updated_at",
        ]
    )
    # Events are append-only, except for this: the law outranks the audit trail's wording.
    Event.objects.filter(complaint=complaint, actor_role="consumer").exclude(reason="").redact(
        reason=TOMBSTONE
    )
    Event.objects.filter(complaint=complaint, actor_role="consumer").redact(actor=None)
    Classification.objects.filter(complaint=complaint).update(explanation={})
    event_record(
        # Naming the consumer's account here would re-create the link just erased.
        actor=None if actor_role == "consumer" else actor,
        actor_role=actor_role,
        kind=Event.Kind.ERASURE,
        complaint=complaint,
        reason=reason,
        data={"files_deleted": files},
        at=now,
    )
    return complaint


@transaction.atomic
def complaint_status_link_issue(
    *, complaint: Complaint, actor, email: bool = False, actor_role: str | None = None
) -> str:
    """A new status-link token for the complaint (the old link stops working), for a regulator
    to give to a consumer who lost theirs or filed through a hotline. Returns the token, which
    is shown once and kept only as a hash. With `email`, it also goes to the consumer's
    address once the change commits, straight from this process: a token never sits in the
    task queue."""
    complaint = _locked(complaint)
    if complaint.is_erased:
        raise Conflict(_("This complaint's personal data was erased; it has no status link."))
    address = complaint.consumer_email
    if email and not address:
        raise DomainError(
            _("There is no e-mail address on this complaint: give the link another way."),
            field="email",
        )
    token, token_hash = access_token_new()
    complaint.access_token_hash = token_hash
    complaint.save(update_fields=["access_token_hash", "updated_at"])
    event_record(
        actor=actor,
        actor_role=actor_role,
        kind=Event.Kind.NOTE,
        complaint=complaint,
        message=message("status_link_reissued"),
        data={"status_link": "emailed" if email else "issued"},
    )
    if email:
        url = settings.SITE_URL.rstrip("/") + status_link_path(complaint, token)
        subject, body = email_render(
            "status_link",
            template_language(complaint.language),
            {"complaint": complaint, "status_url": url},
        )
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        )
    return token


# A consumer may have their link sent again this many times a day: enough for a lost e-mail,
# too few to flood the address of someone whose tracking number is known.
LINK_RESENDS_PER_DAY = 3


def complaint_status_link_resend(*, tracking_number: str, email: str) -> bool:
    """Self-service for a consumer who lost their link: when `email` is the complaint's contact
    address, a new link goes to that address (the old one stops working). Returns whether one
    was sent; callers answer the same either way, so nobody learns which complaints exist or
    whose address is on them."""
    complaint = (
        Complaint.objects.select_related("submitter")
        .filter(tracking_number=tracking_number.strip().upper(), erased_at__isnull=True)
        .first()
    )
    if complaint is None:
        return False
    address = complaint.consumer_email
    if not address or address.strip().lower() != email.strip().lower():
        return False
    sent_today = Event.objects.filter(
        complaint=complaint,
        kind=Event.Kind.NOTE,
        data__status_link="emailed",
        created_at__gte=timezone.now() - datetime.timedelta(days=1),
    ).count()
    if sent_today >= LINK_RESENDS_PER_DAY:
        return False
    complaint_status_link_issue(complaint=complaint, actor=None, email=True, actor_role="consumer")
    return True
