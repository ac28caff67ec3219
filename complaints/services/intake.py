"""Filing complaints: stored first and answered at once; classification follows after commit.

One path for every channel (web form, API, import of single rows): `complaint_submit`. A retry
with the same Idempotency-Key and the same content gets the same complaint and token back.
"""

import base64
import datetime
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection, send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .. import encryption, privacy
from ..calendar import add_working_days
from ..errors import Conflict, DomainError
from ..models import App, Category, Complaint, Event
from ..text import text_first_unstorable
from .classification_requests import classification_request
from .enqueue import Request, requests_on_commit
from .events import event_record
from .evidence import CleanFile, evidence_attach
from .notifications import email_render, template_language
from .priority import priority_score
from .row_insert import row_insert

logger = logging.getLogger(__name__)

# Crockford base32 without I, L, O, U: readable over the phone.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Draws of a tracking number before giving up (each one in 32**6 to be taken on its day).
TRACKING_NUMBER_ATTEMPTS = 5


# The earliest day a complaint may say it happened, counted back from the day it is filed: an
# older one is a slip of the keyboard (2015 for 2025), not a complaint anyone can act on.
OCCURRED_DATE_YEARS_BACK = 10


def occurred_date_check(
    value: datetime.date | None, *, today: datetime.date | None = None
) -> datetime.date | None:
    """The one rule for the day it happened, for the web form, the API and complaint_submit:
    not after the day of filing and at most OCCURRED_DATE_YEARS_BACK years before it.
    Raises DomainError (field "occurred_date")."""
    if value is None:
        return None
    today = today or timezone.localdate()
    if value > today:
        raise DomainError(_("This date is in the future."), field="occurred_date")
    earliest = today.replace(year=today.year - OCCURRED_DATE_YEARS_BACK, day=min(today.day, 28))
    if value < earliest:
        raise DomainError(
            _("This date is more than %(years)s years ago.") % {"years": OCCURRED_DATE_YEARS_BACK},
            field="occurred_date",
        )
    return value


def tracking_number_new(now: datetime.datetime | None = None) -> str:
    """AW-YYMMDD-XXXXXX: the filing date and six random characters."""
    now = timezone.localtime(now or timezone.now())
    suffix = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))
    return f"AW-{now:%y%m%d}-{suffix}"


def access_token_new() -> tuple[str, str]:
    """A private token for the consumer's status link, and the hash we keep of it."""
    token = secrets.token_urlsafe(24)
    return token, access_token_hash(token)


def access_token_hash(token: str) -> str:
    # Tokens carry 192 random bits, so a fast hash is enough to keep them unguessable at rest.
    return hashlib.sha256(token.encode()).hexdigest()


def access_token_matches(complaint: Complaint | None, token: str) -> bool:
    """Constant-time check of a presented token; also spends the same time when there is no
    complaint, so the answer does not tell whether a tracking number exists."""
    presented = access_token_hash(token or "")
    stored = complaint.access_token_hash if complaint is not None else "0" * 64
    return hmac.compare_digest(presented, stored) and complaint is not None and bool(token)


def _idempotent_token(idempotency_key: str) -> str:
    """The token a retried request gets again: derived from the key with the server's secret,
    so it is never stored, and only someone holding the key (the client) can have it."""
    digest = salted_hmac(
        "complaints.intake.idempotency", idempotency_key, algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def request_fingerprint_of(**fields: Any) -> str:
    """A stable hash of what a submission says, to tell a retry from a different request."""
    canonical = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def contact_phone_normalise(value: str) -> str:
    """A contact phone number in E.164 (+8613812345678); Chinese numbers may omit +86."""
    value = (value or "").strip()
    if not value:
        return ""
    number = privacy.phone_parse_cn(value)
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(
            _("Enter a valid phone number, for example 138 1234 5678."), field="contact_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_email_normalise(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise DomainError(_("Enter a valid email address."), field="contact_email") from None
    local, _at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _replay(existing: Complaint, idempotency_key: str, fingerprint: str) -> tuple[Complaint, str]:
    if existing.request_fingerprint != fingerprint:
        raise Conflict(
            _("This Idempotency-Key was already used for a different complaint."),
            field="idempotency_key",
        )
    return existing, _idempotent_token(idempotency_key)


@transaction.atomic
def complaint_submit(
    *,
    description: str,
    app: App | None = None,
    app_name: str = "",
    app_version: str = "",
    app_store: str = "",
    occurred_date: datetime.date | None = None,
    amount: Decimal | None = None,
    currency: str = "CNY",
    category_hint: Category | None = None,
    details: dict[str, Any] | None = None,
    channel: str = Complaint.Channel.WEB,
    language: str = "zh-hans",
    consent_share_with_operator: bool = False,
    consent_publish: bool = False,
    submitter=None,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    source: str = "",
    external_id: str = "",
    idempotency_key: str = "",
    request_fingerprint: str = "",
    submitted_at: datetime.datetime | None = None,
    evidence: Sequence[CleanFile] = (),
    send_receipt: bool = True,
    classify: bool = True,
) -> tuple[Complaint, str]:
    """Store a new complaint (with its clean evidence files) and return it with its access
    token, shown once and kept only as a hash. When the consumer gave an e-mail address (or
    filed signed in), a receipt with the tracking number and the status link goes there;
    `send_receipt=False` and `classify=False` (the demo classifies its backdated complaints
    itself, dated at filing) are for the demo's invented complaints.

    With an idempotency key, a second call with the same content returns the first complaint
    and the same token; with different content it raises Conflict.
    """
    description = (description or "").strip()
    if not description:
        raise DomainError(_("Describe what happened."), field="description")
    if app is None and not (app_name or "").strip():
        raise DomainError(_("Name the app, or choose it from the list."), field="app_name")
    if len(evidence) > settings.EVIDENCE_MAX_FILES:
        raise DomainError(
            _("A complaint can have at most %(count)s files.")
            % {"count": settings.EVIDENCE_MAX_FILES},
            field="evidence",
        )
    if amount is not None and amount < 0:
        raise DomainError(_("The amount cannot be negative."), field="amount")
    filed_on = timezone.localdate(submitted_at) if submitted_at else None
    occurred_date_check(occurred_date, today=filed_on)
    # The doors clean details with the kind's form; this guards the one write path itself.
    unstorable = text_first_unstorable(details or {})
    if unstorable:
        raise DomainError(
            _("The details hold %(code)s, which is not text.") % {"code": unstorable},
            field="details",
        )
    contact_phone = contact_phone_normalise(contact_phone)
    contact_email = contact_email_normalise(contact_email)
    if submitter is not None and not submitter.is_authenticated:
        submitter = None
    if idempotency_key:
        fingerprint = request_fingerprint or request_fingerprint_of(
            description=description,
            app=app.pk if app else None,
            app_name=app_name,
            app_version=app_version,
            category_hint=category_hint.code if category_hint else None,
            details=details or {},
            contact=[contact_name, contact_phone, contact_email],
            consents=[consent_share_with_operator, consent_publish],
            submitter=submitter.pk if submitter else None,
            evidence=sorted(item.sha256 for item in evidence),
        )
        # No look-up first: a key already used makes the insert below find its row.
        token = _idempotent_token(idempotency_key)
        token_hash = access_token_hash(token)
        request_fingerprint = fingerprint
    else:
        token, token_hash = access_token_new()
    submitted_at = submitted_at or timezone.now()
    complaint = Complaint(
        tracking_number=tracking_number_new(submitted_at),
        access_token_hash=token_hash,
        app=app,
        app_name=(app_name or (app.name if app else "")).strip()[:200],
        app_version=app_version,
        app_store=app_store,
        description=description,
        description_masked=privacy.masked_copy(description),
        occurred_date=occurred_date,
        amount=amount,
        currency=currency or "CNY",
        category_hint=category_hint,
        details=details or {},
        # Ranked at once from what the consumer told us; classification ranks it again.
        priority=priority_score(
            amount=amount,
            text=description,
            confidence=None,
            kinds={category_hint.code} if category_hint else (),
            evidence=len(evidence),
            forced=(details or {}).get("refused_without") == "yes",
        ),
        channel=channel,
        language=language,
        consent_share_with_operator=consent_share_with_operator,
        consent_publish=consent_publish,
        submitter=submitter,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        source=source,
        external_id=external_id,
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        submitted_at=submitted_at,
        decision_due_date=add_working_days(
            timezone.localdate(submitted_at), settings.TRIAGE_SLA_WORKING_DAYS
        ),
    )
    # The unique constraints decide, so no look-up is spent on the usual case; a row they
    # refuse is left out (ON CONFLICT DO NOTHING) rather than failing the transaction, so the
    # insert needs no savepoint around it.
    for _attempt in range(TRACKING_NUMBER_ATTEMPTS):
        if row_insert(complaint, skip_conflict=True):
            break
        if idempotency_key:
            # The key was used before, or by a concurrent retry that committed first (the
            # insert waited for it): answer as the retry it is.
            existing = Complaint.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _replay(existing, idempotency_key, request_fingerprint)
        # Else the tracking number was taken (one in a billion a day): draw another.
        complaint.tracking_number = tracking_number_new(submitted_at)
    else:
        raise IntegrityError(
            f"No complaint stored after {TRACKING_NUMBER_ATTEMPTS} tracking numbers: "
            "a unique constraint refused each."
        )
    event_record(
        actor=submitter,
        actor_role="consumer",
        kind=Event.Kind.CREATED,
        complaint=complaint,
        to_status=Complaint.Status.SUBMITTED,
        data={"channel": channel},
        at=submitted_at if submitted_at < timezone.now() else None,
    )
    if evidence:
        evidence_attach(complaint=complaint, files=evidence, actor=submitter, new_complaint=True)
    # The receipt and the classification go to the workers after commit, through the
    # outbox: with Redis down the filing neither fails nor waits, and nothing is lost.
    requests = []
    if send_receipt and complaint.consumer_email:
        requests.append(receipt_request(complaint=complaint, token=token))
    if classify:
        requests.append(classification_request(complaint_id=complaint.pk))
    if requests:
        requests_on_commit(*requests)
    return complaint, token


def status_link_path(complaint: Complaint, token: str) -> str:
    """The consumer's private status page: tracking number plus token."""
    return reverse("track_detail", args=[complaint.tracking_number]) + f"?t={token}"


def receipt_request(*, complaint: Complaint, token: str) -> Request:
    """The receipt for a new complaint, for a worker to send after commit. The token exists
    only in the filing's answer (it is stored as a hash), so it travels sealed with the
    contact-details key: the outbox row and the broker's message never hold it readable."""
    return Request(
        "complaints.tasks.send_receipt",
        (complaint.pk, encryption.encrypt(token)),
        f"receipt for complaint {complaint.pk}",
        # A second or so later, by the dispatcher: the answer on screen carries it all.
        urgent=False,
    )


def complaint_receipt_send(*, complaint_id: int, sealed_token: str) -> bool:
    """E-mail the consumer the receipt for their new complaint (see `complaint_receipts_send`).
    Returns whether it was sent."""
    return complaint_receipts_send(receipts=[(complaint_id, sealed_token)]) == 1


def complaint_receipts_send(*, receipts: Sequence[tuple[int, str]]) -> int:
    """E-mail each consumer the receipt for their new complaint, in the language they filed
    in: (complaint id, sealed token) pairs, the complaints read in one query and the mails sent
    over one connection to the mail server. Returns how many were sent; a mail server that is
    down costs the receipts (logged), never the filings, and one receipt that fails costs no
    other."""
    complaints = (
        Complaint.objects.select_related("submitter")
        .order_by()
        .in_bulk([complaint_id for complaint_id, _sealed in receipts])
    )
    mail = get_connection()
    try:
        mail.open()
    except OSError as error:
        logger.warning("%s receipt(s) not sent: %s", len(receipts), type(error).__name__)
        return 0
    sent = 0
    try:
        for complaint_id, sealed_token in receipts:
            complaint = complaints.get(complaint_id)
            address = complaint.consumer_email if complaint is not None else ""
            if not address or complaint.is_erased:
                continue
            try:
                sent += _receipt_send(complaint, address, sealed_token, mail)
            except Exception as error:  # noqa: BLE001 — the others still go out
                # The kind of error only, as below.
                logger.error(
                    "Receipt for complaint %s not sent: %s",
                    complaint.tracking_number,
                    type(error).__name__,
                )
    finally:
        mail.close()
    return sent


def _receipt_send(complaint: Complaint, address: str, sealed_token: str, mail) -> bool:
    token = encryption.decrypt(sealed_token)
    subject, body = email_render(
        "receipt",
        template_language(complaint.language),
        {
            "complaint": complaint,
            "status_url": settings.SITE_URL.rstrip("/") + status_link_path(complaint, token),
            "decision_due_date": complaint.decision_due_date,
        },
    )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], connection=mail)
    except OSError as error:  # smtplib's errors are OSErrors too
        # The kind of error only: an SMTP server's refusal quotes the address.
        logger.warning(
            "Receipt for complaint %s not sent: %s", complaint.tracking_number, type(error).__name__
        )
        return False
    return True
