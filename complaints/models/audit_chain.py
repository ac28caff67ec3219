"""The audit log's hash chain: every Event row holds its place in the chain (`chain_seq`), the
hash of the row before it (`prev_hash`) and its own hash over both and its canonical content.

Personal data and the chain. Erasure (PIPL art. 47) must be able to remove a consumer's words
and account from their events, while the chain must still prove that nothing else changed.
So the row hash covers no personal field directly: it covers `reason_digest`, an HMAC of the
reason keyed with a random per-row salt (`personal_salt`), and `actor_digest`, the same for the
actor's id. While the salt is there, `audit_verify` checks the reason and actor against their
digests; `redact()` overwrites the reason and wipes the salt (a salted digest of a short text
such as a phone number could otherwise be brute-forced back), and the erasure service then
appends an ERASURE event in the same transaction. A row without its salt is accepted only when
a later ERASURE event of the same complaint stands in the chain: the redaction is itself
recorded, and hashed. A NULL actor is always accepted: it is what deleting an account leaves
(`on_delete=SET_NULL`), and the only UPDATE the database trigger lets through.

Sealing, off the request path. A service writes its event unchained (`chain_seq`, `prev_hash`
and `row_hash` NULL) with `content_seal`, an HMAC under AUDIT_CHAIN_KEY over the row's content
as the chain will hash it, so filings never wait on each other. The sealer
(services/audit.audit_chain_seal: a maintenance task beat runs every AUDIT_SEAL_SECONDS, the
embedded beat of `make run` too, and `audit_verify` before it walks) takes the unchained rows
in id order, a batch per transaction, checks each content seal and links the rows after the
head. Links are serialised: on PostgreSQL a transaction-scoped advisory lock is taken before
the head is read and held until the commit (SQLite's IMMEDIATE transactions serialise writers
already), so two sealers never chain onto the same row; a sealer that dies mid-batch leaves
its batch unchained for the next one. Bulk intake's COPY path links its rows itself under the
same lock (one lock per batch of hundreds costs nothing). The database trigger lets exactly
one UPDATE through for this: the three chain fields from NULL to set, every other column
unchanged (migration 0028).

The sealing delay: between its insert and the next sealer run (about AUDIT_SEAL_SECONDS) a row
is protected by its content seal and the append-only triggers, not yet by the chain. A row
changed in that window fails its content seal: the sealer leaves it out of the chain and
`audit_verify` names it. A row removed in that window (triggers switched off by a superuser)
leaves no trace; the window is what the filing's speed costs. `audit_verify` reports every row
still unchained AUDIT_SEALING_BOUND_SECONDS after it was written (a sealer not running). The
content seal is only checked before linking: rotate AUDIT_CHAIN_KEY after the sealer has
drained (`audit_verify` seals first), or rows written under the old key stay out.

The head. Rows cut off the end of the chain leave a shorter chain that is whole, so the chain
alone cannot show them. One more row, the head (AuditChainHead), records the chain's length and
last hash, sealed with an HMAC under AUDIT_CHAIN_KEY (from the environment, never in the
database), and is rewritten by every append under the same lock in the same transaction.
Appends chain from the head, not from the last row found, so a later append does not paper
over a cut; a head found missing or with a wrong seal is marked (`broken_at`, sealed, kept
from then on) rather than silently renewed. `audit_verify` compares the head with the walk.
Every AUDIT_CHECKPOINT_EVERY positions the head is also written to the log after commit: a
copy outside the database, for `audit_verify --checkpoint` to hold the chain to.
"""

import datetime
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger("complaints.audit")

# Any fixed 64-bit number, the same in every process: pg_advisory_xact_lock(key).
CHAIN_LOCK_KEY = 0x4150505741544348  # "APPWATCH"
GENESIS = "0" * 64
HEAD_TABLE = "complaints_auditchainhead"
HEAD_ID = 1
SEAL_BROKEN = (
    "the head record does not match its seal (changed in the database, or sealed with another "
    "AUDIT_CHAIN_KEY)"
)


def personal_digest(salt: str, value: str) -> str:
    if not salt:
        return ""
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()


def personal_seal(reason: str, actor_id: int | None) -> tuple[str, str, str]:
    """(salt, reason digest, actor digest) for a new row; no salt when there is nothing personal
    to seal (every filing's and import's "created" event: cheap to write)."""
    if not reason and actor_id is None:
        return "", "", ""
    salt = secrets.token_hex(16)
    actor = personal_digest(salt, str(actor_id)) if actor_id is not None else ""
    return salt, personal_digest(salt, reason), actor


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def utc_text(moment) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


# The columns canonical_tail() reads, with the complaint it names: what a reader of the chain
# must load (QuerySet.only) besides its own columns.
HASHED_COLUMNS = (
    "kind",
    "complaint_id",
    "case_id",
    "actor_role",
    "from_status",
    "to_status",
    "message",
    "data",
    "public",
    "created_at",
    "reason_digest",
    "actor_digest",
)


def canonical_tail(event) -> str:
    """The row's content as hashed, but for its position and complaint: every column but the
    id and the personal ones (those through their digests), in a fixed order, the time in UTC
    to the microsecond. Bulk intake makes it in its reader process, before ids are known."""
    return "\x1f".join(
        (
            event.kind,
            str(event.case_id or ""),
            event.actor_role,
            event.from_status,
            event.to_status,
            _json(event.message),
            _json(event.data),
            "1" if event.public else "0",
            utc_text(event.created_at),
            event.reason_digest,
            event.actor_digest,
        )
    )


def row_hash(prev_hash: str, seq: int, complaint_id: int | None, tail: str) -> str:
    text = f"{prev_hash}\x1e{seq}\x1f{complaint_id or ''}\x1f{tail}"
    return hashlib.sha256(text.encode()).hexdigest()


def event_hash(prev_hash: str, event) -> str:
    return row_hash(prev_hash, event.chain_seq, event.complaint_id, canonical_tail(event))


class ChainHead(NamedTuple):
    """Where the chain ends: position and hash of its last row, and the position at which an
    append found the head record missing or its seal wrong (None while that never happened)."""

    seq: int
    hash: str
    broken_at: int | None = None


def head_seal(seq: int, last_hash: str, broken_at: int | None, key: str | None = None) -> str:
    text = f"{seq}\x1f{last_hash}\x1f{'' if broken_at is None else broken_at}"
    key = settings.AUDIT_CHAIN_KEY if key is None else key
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def head_seal_holds(seq: int, last_hash: str, broken_at: int | None, seal: str) -> bool:
    return hmac.compare_digest(seal, head_seal(seq, last_hash, broken_at))


def chain_head(using: str, table: str) -> ChainHead:
    """Lock the chain for this transaction (PostgreSQL) and return where it ends: the sealed
    head record. When that is missing or its seal is wrong, or rows were written beyond it
    (around the audit log), the last row found, and the position where this was noticed is
    marked (`broken_at`) for `audit_verify` to report."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        # One round trip (the lock is held meanwhile): the head record and the last row.
        cursor.execute(
            "SELECT h.length, h.last_hash, h.broken_at, h.seal, e.chain_seq, e.row_hash "  # noqa: S608
            f"FROM (SELECT 1 AS one) AS x LEFT JOIN {quote(HEAD_TABLE)} AS h ON h.id = %s "
            f"LEFT JOIN (SELECT chain_seq, row_hash FROM {quote(table)} "
            "WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1) AS e ON 1 = 1",
            [HEAD_ID],
        )
        row = cursor.fetchone()
    head = row[:4] if row[0] is not None else None
    last = row[4:] if row[4] is not None else (0, GENESIS)
    if head is None and last[0] == 0:
        return ChainHead(0, GENESIS)  # a new, empty log
    if head is not None and head_seal_holds(*head) and last[0] <= head[0]:
        # Rows cut off the end (last row before the head) stay visible: chain from the head.
        return ChainHead(*head[:3])
    earlier = head[2] if head is not None else None
    return ChainHead(last[0], last[1], earlier if earlier is not None else last[0])


def chain_head_store(using: str, head: ChainHead, *, previous: int) -> None:
    """Record the chain's new head, sealed, in the appending transaction (under its lock). When
    the append from position `previous` passed a multiple of AUDIT_CHECKPOINT_EVERY, the head
    also goes to the log, once committed."""
    connection = connections[using]
    quote = connection.ops.quote_name
    seal = head_seal(*head)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(HEAD_TABLE)} (id, length, last_hash, broken_at, seal) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
            "length = excluded.length, last_hash = excluded.last_hash, "
            "broken_at = excluded.broken_at, seal = excluded.seal",
            [HEAD_ID, head.seq, head.hash, head.broken_at, seal],
        )
    every = settings.AUDIT_CHECKPOINT_EVERY
    if every and previous // every < head.seq // every:
        transaction.on_commit(
            lambda: logger.info("audit chain checkpoint %s:%s", head.seq, head.hash), using=using
        )


def content_seal(event, key: str | None = None) -> str:
    """The row's content as the chain will hash it (position aside), sealed under
    AUDIT_CHAIN_KEY when it is written: the sealer links only rows whose seal still holds."""
    key = settings.AUDIT_CHAIN_KEY if key is None else key
    text = f"{event.complaint_id or ''}\x1f{canonical_tail(event)}"
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def content_seal_holds(event) -> bool:
    return bool(event.content_seal) and hmac.compare_digest(event.content_seal, content_seal(event))


def unchained_prepare(event) -> None:
    """Ready a new, unsaved event for its insert outside the chain: personal digests, the
    content seal, chain fields NULL (the sealer sets them)."""
    if not event.reason_digest and not event.personal_salt:
        event.personal_salt, event.reason_digest, event.actor_digest = personal_seal(
            event.reason, event.actor_id
        )
    event.chain_seq = event.prev_hash = event.row_hash = None
    event.content_seal = content_seal(event)


def chain_append(using: str, table: str, events: Sequence) -> ChainHead:
    """Chain `events` (new, unsaved, in this order) after the head and record the new head;
    the caller inserts them in the same transaction."""
    head = chain_head(using, table)
    new_head = chain_link(events, head)
    chain_head_store(using, new_head, previous=head.seq)
    return new_head


def chain_link(events: Sequence, head: tuple, *, stored: bool = False) -> ChainHead:
    """Give `events` (in this order) their chain fields after `head`, and, unless they are
    `stored` rows being sealed (whose personal columns stay as written), their personal seals
    where they have none; returns the new head."""
    seq, prev = head[0], head[1]
    broken_at = head[2] if len(head) > 2 else None
    for event in events:
        if not stored and not event.reason_digest and not event.personal_salt:
            salt, reason_digest, actor_digest = personal_seal(event.reason, event.actor_id)
            event.personal_salt = salt
            event.reason_digest = reason_digest
            event.actor_digest = actor_digest
        seq += 1
        event.chain_seq = seq
        event.prev_hash = prev
        event.row_hash = prev = event_hash(prev, event)
    return ChainHead(seq, prev, broken_at)


@dataclass(frozen=True)
class ChainBreak:
    """The first row where the chain does not hold."""

    event_id: int | None
    chain_seq: int | None
    problem: str

    def __str__(self) -> str:
        if self.event_id is None:
            return f"the chain's end (position {self.chain_seq}): {self.problem}"
        return f"event {self.event_id} (chain position {self.chain_seq}): {self.problem}"


def chain_verify(
    rows: Iterable, erased_after: dict[int, int], head: tuple | None
) -> Iterator[ChainBreak]:
    """Walk `rows` (events in chain order) and yield every break found, first one first; then
    hold the end of the walk to `head`, the head record's (length, last hash, broken_at, seal),
    None when there is none.

    `erased_after` maps a complaint id to the chain position of its last ERASURE event: a row
    of that complaint before it may have lost its salt (redacted)."""
    expected_seq, prev = 1, GENESIS
    for event in rows:
        if event.chain_seq is None:
            yield ChainBreak(event.pk, None, "not in the chain (written around the audit log)")
            continue
        if event.chain_seq != expected_seq or event.prev_hash != prev:
            what = (
                "a row before it is missing"
                if event.chain_seq > expected_seq
                else "out of order (reordered or a row before it was removed)"
            )
            yield ChainBreak(event.pk, event.chain_seq, what)
        elif event.row_hash != event_hash(prev, event):
            yield ChainBreak(event.pk, event.chain_seq, "changed after it was written")
        else:
            problem = _personal_problem(event, erased_after)
            if problem:
                yield ChainBreak(event.pk, event.chain_seq, problem)
        expected_seq, prev = event.chain_seq + 1, event.row_hash
    problem = head_problem(expected_seq - 1, prev, head)
    if problem:
        yield ChainBreak(None, expected_seq - 1, problem)


def head_problem(last_seq: int, last_hash: str, head: tuple | None) -> str:
    """What is wrong between the last row walked and the head record ("" when nothing)."""
    if head is None:
        return "the head record is missing (rows may have been cut off the end)" if last_seq else ""
    length, recorded_hash, broken_at, seal = head
    if not head_seal_holds(length, recorded_hash, broken_at, seal):
        return SEAL_BROKEN
    if broken_at is not None:
        return (
            f"at position {broken_at} an append found the head record missing or its seal "
            "wrong (rows may have been cut off the end before it)"
        )
    if length > last_seq:
        return f"{length - last_seq} row(s) cut off the end: the head records {length}"
    if length < last_seq:
        return f"rows after position {length} were written around the audit log"
    if recorded_hash != last_hash:
        return "the last row is not the one the head records"
    return ""


def _personal_problem(event, erased_after: dict[int, int]) -> str:
    salt = event.personal_salt
    if salt:
        if personal_digest(salt, event.reason) != event.reason_digest:
            return "its reason was changed after it was written"
        if event.actor_id is not None and event.actor_digest != personal_digest(
            salt, str(event.actor_id)
        ):
            return "its actor was changed after it was written"
        return ""
    if event.reason_digest or event.actor_digest:
        # Redacted: fine only when an erasure of its complaint follows in the chain.
        if erased_after.get(event.complaint_id or 0, 0) <= event.chain_seq:
            return "personal data removed without an erasure recorded after it"
        return ""
    if event.reason or event.actor_id is not None:
        return "its reason or actor was added after it was written"
    return ""
