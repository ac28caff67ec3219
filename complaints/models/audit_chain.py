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

Appends are serialised: on PostgreSQL a transaction-scoped advisory lock is taken before the
chain's head is read, so two transactions never chain onto the same row; it is held until the
commit. SQLite's IMMEDIATE transactions serialise writers already.

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


def chain_append(using: str, table: str, events: Sequence) -> ChainHead:
    """Chain `events` (new, unsaved, in this order) after the head and record the new head;
    the caller inserts them in the same transaction."""
    head = chain_head(using, table)
    new_head = chain_link(events, head)
    chain_head_store(using, new_head, previous=head.seq)
    return new_head


def chain_link(events: Sequence, head: tuple) -> ChainHead:
    """Give `events` (new, unsaved, in this order) their seals and chain fields after `head`;
    returns the new head."""
    seq, prev = head[0], head[1]
    broken_at = head[2] if len(head) > 2 else None
    for event in events:
        if not event.reason_digest and not event.personal_salt:
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
