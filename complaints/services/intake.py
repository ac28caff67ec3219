"""Filing complaints: stored first and answered at once; classification follows after commit.

One path for every channel (web form, API, import of single rows): `complaint_submit`. A retry
with the same Idempotency-Key and the same content gets the same complaint and token back.
"""

import base64
import datetime
import functools
import hashlib
import hmac
import itertools
import json
import logging
import re
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .. import privacy
from ..calendar import add_working_days
from ..errors import Conflict, DomainError
from ..models import App, Category, Complaint, Event
from .enqueue import enqueue_on_commit, task_send
from .events import event_record
from .evidence import CleanFile, evidence_attach

logger = logging.getLogger(__name__)

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
) -> tuple[Complaint, str]:
    """Store a new complaint (with its clean evidence files) and return it with its access
    token, shown once and kept only as a hash.

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
        existing = Complaint.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replay(existing, idempotency_key, fingerprint)
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
    try:
        with transaction.atomic():
            complaint.save()
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer as the retry it is.
        if idempotency_key:
            existing = Complaint.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _replay(existing, idempotency_key, request_fingerprint)
        raise
    event_record(
        actor=submitter,
        actor_role="consumer",
        kind=Event.Kind.CREATED,
        complaint=complaint,
        to_status=Complaint.Status.SUBMITTED,
        data={"channel": channel},
        at=submitted_at if submitted_at < timezone.now() else None,
    )
    evidence_attach(complaint=complaint, files=evidence, actor=submitter)
    complaint_id = complaint.pk
    # With Redis down the filing still stands; the sweep classifies it later.
    enqueue_on_commit(
        "complaints.tasks.classify_complaint",
        complaint_id,
        what=f"classification of complaint {complaint_id}",
    )
    return complaint, token


# --- bulk intake ------------------------------------------------------------------------------
# Hotline transcripts and other channels arrive as files. Every row is checked on its own;
# valid rows go in by batches (a complaint and its "created" Event in the same transaction,
# so a row is never half in), and (source, external_id) makes a re-run import nothing twice.

IMPORT_CHANNELS = (
    Complaint.Channel.HOTLINE,
    Complaint.Channel.EMAIL,
    Complaint.Channel.IMPORT,
    Complaint.Channel.API,
    Complaint.Channel.WEB,
)


class ImportRowError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class ImportLookups:
    """What row checking needs from the database, loaded once per import."""

    def __init__(self) -> None:
        self.categories = dict(Category.objects.filter(is_active=True).values_list("code", "id"))
        self.app_ids: set[int] = set()
        self.apps_by_key: dict[str, int] = {}
        self.app_names: dict[int, str] = {}
        for pk, name, package, aliases in App.objects.values_list(
            "id", "name", "package_name", "aliases"
        ):
            self.app_ids.add(pk)
            self.app_names[pk] = name
            for key in [name, package, *(aliases or [])]:
                if key:
                    self.apps_by_key.setdefault(key.strip().casefold(), pk)
        self._due_dates: dict[datetime.date, datetime.date] = {}
        self.zone = timezone.get_current_timezone()

    def decision_due(self, day: datetime.date) -> datetime.date:
        if day not in self._due_dates:
            self._due_dates[day] = add_working_days(day, settings.TRIAGE_SLA_WORKING_DAYS)
        return self._due_dates[day]


# PostgreSQL text holds neither NUL nor lone surrogates (which stand for bytes of a file that
# were not UTF-8, or come from a JSON "\\ud800" escape).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _text(raw: dict, name: str, limit: int) -> str:
    value = raw.get(name)
    if value is None or value == "":
        return ""
    if not isinstance(value, str | int | float):
        raise ImportRowError(name, _("Must be text."))
    value = str(value).strip()
    if len(value) > limit:
        raise ImportRowError(name, _("At most %(limit)s characters.") % {"limit": limit})
    if _UNSTORABLE.search(value):
        raise ImportRowError(
            name,
            _("Holds a NUL character or bytes that are not UTF-8 text, which cannot be stored."),
        )
    return value


def _parse_datetime(value: str, field: str) -> datetime.datetime:
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ImportRowError(
            field, _("Not a date and time (use ISO 8601, e.g. 2024-05-01T14:30:00+08:00).")
        ) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def import_row_clean(
    raw: dict, *, lookups: ImportLookups, channel: str, now: datetime.datetime
) -> dict:
    """One file row as Complaint field values; raises ImportRowError naming the bad field."""
    if not isinstance(raw, dict):
        raise ImportRowError("row", _("A row must be an object with named fields."))
    external_id = _text(raw, "external_id", 100)
    if not external_id:
        raise ImportRowError("external_id", _("Every row needs an external_id."))
    description = _text(raw, "description", 20_000)
    if not description:
        raise ImportRowError("description", _("Describe what happened."))
    app_id = None
    app_ref = _text(raw, "app", 200)
    if app_ref:
        if not app_ref.isdigit() or int(app_ref) not in lookups.app_ids:
            raise ImportRowError("app", _("No app with id %(id)s.") % {"id": app_ref})
        app_id = int(app_ref)
    app_name = _text(raw, "app_name", 200)
    package = _text(raw, "package_name", 200)
    if app_id is None:
        app_id = lookups.apps_by_key.get(package.casefold()) if package else None
        app_id = app_id or (lookups.apps_by_key.get(app_name.casefold()) if app_name else None)
    if app_id is None and not app_name:
        raise ImportRowError("app_name", _("Name the app (app_name, package_name or app)."))
    app_name = app_name or lookups.app_names[app_id]

    row_channel = _text(raw, "channel", 12) or channel
    if row_channel not in IMPORT_CHANNELS:
        raise ImportRowError("channel", _("Unknown channel %(value)s.") % {"value": row_channel})
    hint = _text(raw, "category", 40)
    if hint and hint not in lookups.categories:
        raise ImportRowError("category", _("Unknown category: %(codes)s.") % {"codes": hint})
    submitted_text = _text(raw, "submitted_at", 40)
    submitted_at = _parse_datetime(submitted_text, "submitted_at") if submitted_text else now
    if submitted_at > now + datetime.timedelta(minutes=5):
        raise ImportRowError("submitted_at", _("Lies in the future."))
    occurred_text = _text(raw, "occurred_date", 20)
    occurred_date = None
    if occurred_text:
        try:
            occurred_date = datetime.date.fromisoformat(occurred_text)
        except ValueError:
            raise ImportRowError("occurred_date", _("Not a date (use YYYY-MM-DD).")) from None
    amount_text = _text(raw, "amount", 20)
    amount = None
    if amount_text:
        try:
            amount = Decimal(amount_text)
        except ArithmeticError:
            raise ImportRowError("amount", _("Not an amount.")) from None
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
            raise ImportRowError("amount", _("Not an amount."))
        amount = amount.quantize(Decimal("0.01"))
    try:
        contact_phone = contact_phone_normalise(_text(raw, "contact_phone", 40))
        contact_email = contact_email_normalise(_text(raw, "contact_email", 254))
    except DomainError as error:
        raise ImportRowError(error.field or "contact", error.message) from None
    language = _text(raw, "language", 10) or "zh-hans"
    if language not in ("zh-hans", "en"):
        raise ImportRowError("language", _("Use zh-hans or en."))
    return {
        "external_id": external_id,
        "description": description,
        "description_masked": privacy.masked_copy(description),
        "app_id": app_id,
        "app_name": app_name,
        "app_version": _text(raw, "app_version", 40),
        "channel": row_channel,
        "category_hint_id": lookups.categories.get(hint) if hint else None,
        "submitted_at": submitted_at,
        "occurred_date": occurred_date,
        "amount": amount,
        "contact_name": _text(raw, "contact_name", 100),
        "contact_phone": contact_phone,
        "contact_email": contact_email,
        "language": language,
    }


# A checked row in PostgreSQL's COPY text format, all but the values only the writer can draw
# (the ids and the tracking number): (external_id, filing day as YYMMDD, the complaint's
# columns after id and tracking_number, its "created" event's columns after id and
# complaint_id). Made where rows are checked (the reader process during imports), so the writer
# only joins strings; a plain tuple, because it crosses processes by pickle.
PreparedRow = tuple[str, str, str, str]


def _copy_str(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _copy_text(value: Any) -> str:
    """One value in COPY's text format (PostgreSQL docs, COPY, "Text Format")."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return _copy_str(value)
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return _copy_str(json.dumps(value, ensure_ascii=False))
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    return str(value)  # numbers


class _CopyLayout:
    """A model's columns for COPY: the leading ones the writer fills in, then the rest, whose
    text the reader makes from a dict of values (defaults where the dict is silent)."""

    def __init__(self, model: type[models.Model], leading: tuple[str, ...]):
        fields = {field.attname: field for field in model._meta.concrete_fields}
        rest = [field for name, field in fields.items() if name not in leading]
        self.table = model._meta.db_table
        self.columns = [fields[name].column for name in leading] + [f.column for f in rest]
        self.positions = {field.attname: index for index, field in enumerate(rest)}
        # Callable defaults are taken once: the import's start, an empty dict.
        self.defaults = [_copy_text(field.get_default()) for field in rest]

    def row(self, values: dict, base: list[str] | None = None) -> list[str]:
        """The row's texts: `base` (default: the defaults) with `values` written over it."""
        row = (self.defaults if base is None else base).copy()
        positions = self.positions
        for name, value in values.items():
            # The common cases inline: this runs for every value of every imported row.
            if value is None:
                text = "\\N"
            elif value.__class__ is str:
                text = _copy_str(value) if value else ""
            else:
                text = _copy_text(value)
            row[positions[name]] = text
        return row


@functools.cache
def _layouts() -> tuple[_CopyLayout, _CopyLayout]:
    return (
        _CopyLayout(Complaint, ("id", "tracking_number")),
        _CopyLayout(Event, ("id", "complaint_id")),
    )


def import_rows_prepare(
    rows: Sequence[dict], *, source: str, lookups: ImportLookups
) -> list[PreparedRow]:
    """Checked rows (import_row_clean) as COPY text, with everything a complaint and its
    "created" event need but ids and tracking numbers."""
    complaint_layout, event_layout = _layouts()
    zone = lookups.zone
    # What every row shares is turned into text once.
    complaint_base = complaint_layout.row({"source": source, "updated_at": timezone.now()})
    event_bases: dict[str, list[str]] = {}
    days: dict[datetime.date, tuple[str, str]] = {}  # day: (YYMMDD, decision due)
    token_at = complaint_layout.positions["access_token_hash"]
    due_at = complaint_layout.positions["decision_due_date"]
    submitted_at = complaint_layout.positions["submitted_at"]
    created_at = event_layout.positions["created_at"]
    # Nobody holds a token for an imported complaint; the hotline tells the caller the tracking
    # number, and a regulator can issue a status link later. One draw for the whole batch.
    tokens = secrets.token_hex(32 * len(rows))
    prepared: list[PreparedRow] = []
    for index, row in enumerate(rows):
        day = row["submitted_at"].astimezone(zone).date()
        if day not in days:
            days[day] = (f"{day:%y%m%d}", lookups.decision_due(day).isoformat())
        code, due = days[day]
        complaint = complaint_layout.row(row, complaint_base)
        complaint[token_at] = tokens[64 * index : 64 * index + 64]
        complaint[due_at] = due
        channel = str(row["channel"])
        event = event_bases.get(channel)
        if event is None:
            event = event_bases[channel] = event_layout.row(
                {
                    "kind": Event.Kind.CREATED.value,
                    "actor_role": "system",
                    "to_status": Complaint.Status.SUBMITTED.value,
                    "data": {"channel": channel, "source": source},
                }
            )
        event = event.copy()
        event[created_at] = complaint[submitted_at]
        prepared.append((row["external_id"], code, "\t".join(complaint), "\t".join(event)))
    return prepared


def import_batch_prepare(rows: Sequence[dict], *, source: str, lookups: ImportLookups) -> list:
    """A batch of checked rows as `complaints_import_write` takes it: on PostgreSQL COPY text
    (made where rows are checked, the reader process during imports), elsewhere the rows."""
    if connection.vendor == "postgresql":
        return import_rows_prepare(rows, source=source, lookups=lookups)
    return list(rows)


def complaints_import_write(*, source: str, batch: list, lookups: ImportLookups) -> list[int]:
    """Write a batch from `import_batch_prepare`; returns the new complaints' ids."""
    if connection.vendor == "postgresql":
        return complaints_import_prepared(source=source, rows=batch)
    return complaints_import_batch(source=source, rows=batch, lookups=lookups)


@transaction.atomic
def complaints_import_batch(
    *, source: str, rows: Sequence[dict], lookups: ImportLookups
) -> list[int]:
    """Insert cleaned rows not imported before and return the new complaints' ids. Rows
    already imported (by this run or an earlier one) are left alone."""
    if connection.vendor == "postgresql":
        prepared = import_rows_prepare(rows, source=source, lookups=lookups)
        return complaints_import_prepared(source=source, rows=prepared)
    wanted = {row["external_id"]: row for row in rows}
    known = _existing_values("external_id", list(wanted), source=source)
    fresh = [row for external_id, row in wanted.items() if external_id not in known]
    if not fresh:
        return []
    zone = lookups.zone
    numbers = _tracking_numbers_free(
        [f"{row['submitted_at'].astimezone(zone):%y%m%d}" for row in fresh]
    )
    now = timezone.now()
    created = Complaint.objects.bulk_create(
        [
            Complaint(
                **row,
                access_token_hash=secrets.token_hex(32),
                decision_due_date=lookups.decision_due(row["submitted_at"].astimezone(zone).date()),
                tracking_number=number,
                source=source,
                updated_at=now,
            )
            for row, number in zip(fresh, numbers, strict=True)
        ],
        batch_size=500,
    )
    Event.objects.bulk_create(
        [
            Event(
                complaint_id=item.pk,
                kind=Event.Kind.CREATED,
                actor_role="system",
                to_status=Complaint.Status.SUBMITTED,
                data={"channel": str(item.channel), "source": source},
                created_at=item.submitted_at,
            )
            for item in created
        ],
        batch_size=500,
    )
    return [item.pk for item in created]


@transaction.atomic
def complaints_import_prepared(*, source: str, rows: Sequence[PreparedRow]) -> list[int]:
    """PostgreSQL: COPY prepared rows not imported before, each complaint with its "created"
    event, and return the new complaints' ids. Ids are drawn from the sequences first so the
    events can point at their complaints: an order of magnitude faster than INSERT."""
    wanted = {row[0]: row for row in rows}
    known = _existing_values("external_id", list(wanted), source=source)
    fresh = [row for external_id, row in wanted.items() if external_id not in known]
    if not fresh:
        return []
    numbers = _tracking_numbers_free([day for _external_id, day, _complaint, _event in fresh])
    ids = {}
    with connection.cursor() as cursor:
        for layout in _layouts():
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                [_id_sequence(layout.table), len(fresh)],
            )
            ids[layout.table] = [pk for (pk,) in cursor.fetchall()]
        complaint_layout, event_layout = _layouts()
        complaint_ids, event_ids = ids[complaint_layout.table], ids[event_layout.table]
        streams = (
            (
                complaint_layout,
                (
                    f"{pk}\t{number}\t{row[2]}\n"
                    for pk, number, row in zip(complaint_ids, numbers, fresh, strict=True)
                ),
            ),
            (
                event_layout,
                (
                    f"{pk}\t{complaint_id}\t{row[3]}\n"
                    for pk, complaint_id, row in zip(event_ids, complaint_ids, fresh, strict=True)
                ),
            ),
        )
        quote = connection.ops.quote_name
        for layout, lines in streams:
            columns = ", ".join(quote(column) for column in layout.columns)
            # wrap_database_errors: a refused row raises Django's IntegrityError, as INSERT would.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {quote(layout.table)} ({columns}) FROM STDIN") as copy,
            ):  # noqa: S608
                # In slices, so PostgreSQL inserts the first rows while the rest are joined.
                while chunk := "".join(itertools.islice(lines, 250)):
                    copy.write(chunk)
    return complaint_ids


@functools.cache
def _id_sequence(table: str) -> str:
    """The sequence behind a table's id, looked up once (a per-row look-up costs more than the
    nextval it names)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        return cursor.fetchone()[0]


def _existing_values(column: str, values: list[str], **equal: str) -> set[str]:
    """Which of `values` the complaint table already holds in `column` (one query; on
    PostgreSQL with a single array parameter, which costs far less to send than thousands)."""
    if connection.vendor != "postgresql":
        found = Complaint.objects.filter(**equal, **{f"{column}__in": values})
        return set(found.values_list(column, flat=True))
    quote = connection.ops.quote_name
    # "<> ''" matches the partial unique indexes' condition, so PostgreSQL reads the index
    # instead of the whole table.
    conditions = [f"{quote(name)} = %s" for name in equal] + [
        f"{quote(column)} <> ''",
        f"{quote(column)} = ANY(%s)",
    ]
    sql = f"SELECT {quote(column)} FROM {quote(Complaint._meta.db_table)} WHERE {' AND '.join(conditions)}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*equal.values(), values])
        return {value for (value,) in cursor.fetchall()}


def _tracking_numbers_free(days: Sequence[str]) -> list[str]:
    """Fresh tracking numbers for a batch filed on the given days (YYMMDD): random suffixes
    (32 divides 256, so every character is equally likely), checked against the table in one
    query."""
    random_bytes = secrets.token_bytes(6 * len(days))
    numbers = [
        f"AW-{day}-" + "".join(_TRACKING_ALPHABET[b % 32] for b in random_bytes[6 * i : 6 * i + 6])
        for i, day in enumerate(days)
    ]
    while True:
        taken = _existing_values("tracking_number", numbers)
        duplicates = len(numbers) - len(set(numbers))
        if not taken and not duplicates:
            return numbers
        seen: set[str] = set()
        for index in range(len(numbers)):
            while numbers[index] in taken or numbers[index] in seen:
                suffix = "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(6))
                numbers[index] = f"AW-{days[index]}-{suffix}"
            seen.add(numbers[index])


def complaints_enqueue_classification(*, complaint_ids: Sequence[int]) -> None:
    """After an import batch commits: queue its classification. Without a broker (embedded
    default) the tasks run in-process; with Redis down, the sweep picks them up later."""
    for complaint_id in complaint_ids:
        task_send(
            "complaints.tasks.classify_complaint",
            complaint_id,
            what=f"classification of complaint {complaint_id}; the sweep will pick it up",
        )
