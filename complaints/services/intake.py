"""Filing complaints: stored first and answered at once; classification follows after commit."""

import datetime
import hashlib
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import privacy
from ..calendar import add_working_days
from ..models import App, Category, Complaint, Event
from .events import event_record

# Crockford base32 without I, L, O, U: readable over the phone.
_TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def tracking_number_new(now: datetime.datetime | None = None) -> str:
    """AW-YYMMDD-XXXXXX: the filing date and six random characters."""
    now = timezone.localtime(now or timezone.now())
    suffix = "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(6))
    return f"AW-{now:%y%m%d}-{suffix}"


def access_token_new() -> tuple[str, str]:
    """A private token for the consumer's status link, and the hash we keep of it."""
    token = secrets.token_urlsafe(24)
    return token, access_token_hash(token)


def access_token_hash(token: str) -> str:
    # Tokens carry 192 random bits, so a fast hash is enough to keep them unguessable at rest.
    return hashlib.sha256(token.encode()).hexdigest()


def _enqueue_classification(complaint_id: int) -> None:
    from ..tasks import classify_complaint

    try:
        classify_complaint.delay(complaint_id)
    except Exception:  # noqa: BLE001 — a broker outage must not lose or fail a filing
        import logging

        logging.getLogger(__name__).warning(
            "Could not enqueue classification of complaint %s; the sweep will pick it up.", complaint_id
        )


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
) -> tuple[Complaint, str]:
    """Store a new complaint and return it with its access token (shown once, kept hashed)."""
    token, token_hash = access_token_new()
    submitted_at = submitted_at or timezone.now()
    if submitter is not None and not submitter.is_authenticated:
        submitter = None
    complaint = Complaint(
        tracking_number=tracking_number_new(submitted_at),
        access_token_hash=token_hash,
        app=app,
        app_name=app_name or (app.name if app else ""),
        app_version=app_version,
        app_store=app_store,
        description=description,
        description_masked=privacy.mask_text(description),
        occurred_date=occurred_date,
        amount=amount,
        currency=currency or "CNY",
        category_hint=category_hint,
        details=details or {},
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
    while Complaint.objects.filter(tracking_number=complaint.tracking_number).exists():
        complaint.tracking_number = tracking_number_new(submitted_at)
    complaint.save()
    event_record(
        actor=submitter,
        actor_role="consumer",
        kind=Event.Kind.CREATED,
        complaint=complaint,
        to_status=Complaint.Status.SUBMITTED,
        data={"channel": channel},
    )
    complaint_id = complaint.pk
    transaction.on_commit(lambda: _enqueue_classification(complaint_id))
    return complaint, token
