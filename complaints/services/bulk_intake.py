"""Bulk intake: hotline transcripts and other channels arrive as files (`import_complaints`).

Every row is checked on its own; valid rows go in by batches (a complaint and its "created"
Event in the same transaction, so a row is never half in), and (source, external_id) makes a
re-run import nothing twice. On PostgreSQL the batches are written with COPY.
"""

import datetime
import functools
import re
import secrets
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import privacy
from ..calendar import add_working_days
from ..encryption import email_index, encrypt
from ..errors import DomainError
from ..models import App, Category, Complaint, Event, audit_chain
from .classification_requests import classification_enqueue
from .copy_writer import CopyLayout, copy_write, ids_draw
from .intake import TRACKING_ALPHABET, contact_email_normalise, contact_phone_normalise

IMPORT_CHANNELS = (
    Complaint.Channel.HOTLINE,
    Complaint.Channel.EMAIL,
    Complaint.Channel.IMPORT,
    Complaint.Channel.API,
    Complaint.Channel.WEB,
)


CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


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
        "contact_email_index": email_index(contact_email),
        "language": language,
    }


# A checked row in PostgreSQL's COPY text format, all but the values only the writer can draw
# (the ids and the tracking number): (external_id, filing day as YYMMDD, the complaint's
# columns after id and tracking_number, its "created" event's columns after id, complaint_id
# and the three chain columns, and the event's content as the hash chain reads it but for its
# position and complaint: audit_chain.canonical_tail). Made where rows are checked (the reader
# process during imports), so the writer only joins strings and hashes; a plain tuple, because
# it crosses processes by pickle.
PreparedRow = tuple[str, str, str, str, str]
EVENT_LEADING = ("id", "complaint_id", "chain_seq", "prev_hash", "row_hash")


@functools.cache
def _layouts() -> tuple[CopyLayout, CopyLayout]:
    return (
        CopyLayout(Complaint, ("id", "tracking_number")),
        CopyLayout(Event, EVENT_LEADING),
    )


_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
_EPOCH_TAIL = f"{audit_chain.utc_text(_EPOCH)}\x1f\x1f"


def import_rows_prepare(
    rows: Sequence[dict], *, source: str, lookups: ImportLookups
) -> list[PreparedRow]:
    """Checked rows (import_row_clean) as COPY text, with everything a complaint and its
    "created" event need but ids and tracking numbers."""
    complaint_layout, event_layout = _layouts()
    zone = lookups.zone
    # What every row shares is turned into text once.
    complaint_base = complaint_layout.row({"source": source, "updated_at": timezone.now()})
    event_bases: dict[str, tuple[list[str], str]] = {}
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
        # COPY writes column text as it is: the contact details are encrypted here, as the
        # model field would on save.
        contacts = {name: encrypt(row[name]) for name in CONTACT_FIELDS if row.get(name)}
        complaint = complaint_layout.row({**row, **contacts} if contacts else row, complaint_base)
        complaint[token_at] = tokens[64 * index : 64 * index + 64]
        complaint[due_at] = due
        channel = str(row["channel"])
        base = event_bases.get(channel)
        if base is None:
            values = {
                "kind": Event.Kind.CREATED.value,
                "actor_role": "system",
                "to_status": Complaint.Status.SUBMITTED.value,
                "data": {"channel": channel, "source": source},
            }
            # The chain's reading of the event, cut where the time goes (the two personal
            # digests after it are empty: an imported row's event has no reason nor actor).
            tail = audit_chain.canonical_tail(Event(**values, created_at=_EPOCH))
            base = event_bases[channel] = (event_layout.row(values), tail[: -len(_EPOCH_TAIL)])
        event = base[0].copy()
        event[created_at] = complaint[submitted_at]
        tail = f"{base[1]}{audit_chain.utc_text(row['submitted_at'])}\x1f\x1f"
        prepared.append((row["external_id"], code, "\t".join(complaint), "\t".join(event), tail))
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
    numbers = _tracking_numbers_free([row[1] for row in fresh])
    complaint_layout, event_layout = _layouts()
    with connection.cursor() as cursor:
        complaint_ids = ids_draw(cursor, complaint_layout.table, len(fresh))
        event_ids = ids_draw(cursor, event_layout.table, len(fresh))
        copy_write(
            cursor,
            table=complaint_layout.table,
            columns=complaint_layout.columns,
            lines=(
                f"{pk}\t{number}\t{row[2]}\n"
                for pk, number, row in zip(complaint_ids, numbers, fresh, strict=True)
            ),
        )
        # The events last, so the chain's lock (taken here, held to the commit) is held for
        # as short a time as parallel writers allow.
        head = audit_chain.chain_head(connection.alias, event_layout.table)
        seq, prev = head.seq, head.hash
        lines = []
        for pk, complaint_id, row in zip(event_ids, complaint_ids, fresh, strict=True):
            seq += 1
            digest = audit_chain.row_hash(prev, seq, complaint_id, row[4])
            lines.append(f"{pk}\t{complaint_id}\t{seq}\t{prev}\t{digest}\t{row[3]}\n")
            prev = digest
        copy_write(cursor, table=event_layout.table, columns=event_layout.columns, lines=lines)
        audit_chain.chain_head_store(
            connection.alias, head._replace(seq=seq, hash=prev), previous=head.seq
        )
    return complaint_ids


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
        f"AW-{day}-" + "".join(TRACKING_ALPHABET[b % 32] for b in random_bytes[6 * i : 6 * i + 6])
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
                suffix = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))
                numbers[index] = f"AW-{days[index]}-{suffix}"
            seen.add(numbers[index])


def complaints_enqueue_classification(*, complaint_ids: Sequence[int]) -> None:
    """After an import batch commits: queue its classification, in batches. Without a broker
    (embedded default) they run in-process; with Redis down, the sweep picks them up later."""
    classification_enqueue(list(complaint_ids))
