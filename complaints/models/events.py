"""The append-only audit log: one Event row per status change, note, message or alert,
written by the services in the same transaction as the change it records."""

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit_chain, event_messages
from .cases import Case
from .complaints import Complaint

# PostgreSQL's trigger (migration 0017) refuses UPDATE on the events table unless this
# transaction-local setting is on; only EventQuerySet.redact sets it, and only for its UPDATE.
REDACTION_SETTING = "appwatch.redaction"


class EventQuerySet(models.QuerySet):
    """Events are append-only and hash-chained (audit_chain): every insert is written unchained
    with its content sealed and linked into the chain by the sealer (services/audit), `update()`,
    `bulk_update()` and `delete()` refuse, and `redact()` is the one way to rewrite rows, for
    the erasure of a consumer's personal data (PIPL art. 47)."""

    REDACTABLE_FIELDS = frozenset({"reason", "actor"})

    def bulk_create(self, objs, *args, **kwargs):
        """Written unchained, each with its content sealed; the sealer links them (audit_chain)."""
        objs = list(objs)
        for event in objs:
            audit_chain.unchained_prepare(event)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        raise ValueError("Events are append-only; personal data is removed with redact().")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ValueError("Events are append-only; personal data is removed with redact().")

    def delete(self):
        # A removed row breaks the hash chain. (Deleting a complaint or case still cascades:
        # Django's collector deletes related rows without this method; the admin refuses it.)
        raise ValueError("Events are append-only: they cannot be deleted.")

    def redact(self, **fields) -> int:
        """Overwrite personal data (`reason`, `actor`) on these events; returns the row count.

        The law outranks the audit trail's wording; every other column keeps its value. A new
        reason also wipes the row's salt, so its digest can no longer be tested against guesses;
        the caller records the erasure as an event of the complaint (see audit_chain).
        """
        if not fields or not set(fields) <= self.REDACTABLE_FIELDS:
            raise ValueError(f"Only {sorted(self.REDACTABLE_FIELDS)} can be redacted.")
        if "reason" in fields:
            fields["personal_salt"] = ""
        connection = transaction.get_connection(self.db)
        with transaction.atomic(using=self.db):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, 'on', true)", [REDACTION_SETTING])
            count = super().update(**fields)
            if connection.vendor == "postgresql":
                # Off again at once: the rest of the transaction is not redaction. (On an error
                # the savepoint's rollback undoes the setting too.)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, 'off', true)", [REDACTION_SETTING])
        return count


class Event(models.Model):
    """Append-only audit row: who changed what, when, from which state to which, and why."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("status change")
        CREATED = "created", _("created")
        LABELS = "labels", _("labels changed")
        NOTE = "note", _("note")
        MESSAGE = "message", _("message")
        EVIDENCE = "evidence", _("evidence added")
        ERASURE = "erasure", _("personal data erased")
        ASSIGNMENT = "assignment", _("assignment")
        ALERT = "alert", _("alert")
        # Staff log-in's second factor set up, used or removed (services/two_factor.py).
        SECURITY = "security", _("account security")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.TRANSITION)
    # The three keys are indexed in Meta: the timelines lead with complaint and case, and
    # partial indexes leave out the many rows without a case or an actor (every filing and
    # import writes one), which keeps bulk intake cheap.
    # PROTECT: a complaint or case with history cannot be deleted (ProtectedError); on
    # PostgreSQL a trigger refuses DELETE on this table besides (migration 0025).
    complaint = models.ForeignKey(
        Complaint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
        db_index=False,
    )
    actor_role = models.CharField(
        _("actor role"),
        max_length=16,
        blank=True,
        help_text=_("consumer, operator, regulator, admin or system"),
    )
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    # Free text typed by a person, kept as typed; the system's own sentences go in `message`.
    reason = models.TextField(_("reason"), blank=True)
    # {"id": ..., "params": {...}} from event_messages: shown in the reader's language.
    message = models.JSONField(_("message"), default=dict, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    public = models.BooleanField(_("shown to the consumer"), default=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    # The hash chain (audit_chain): position, the previous row's hash, this row's hash (all
    # three NULL until the sealer links the row, then set once), the row's content sealed when
    # it was written (an HMAC, checked before it is linked), and the personal fields sealed by
    # salted digests so that erasure leaves the chain whole.
    chain_seq = models.BigIntegerField(
        _("chain position"), unique=True, null=True, blank=True, editable=False
    )
    prev_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    row_hash = models.CharField(_("hash"), max_length=64, null=True, blank=True, editable=False)
    content_seal = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    personal_salt = models.CharField(max_length=32, blank=True, default="", editable=False)
    reason_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    actor_digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="event_complaint_timeline"),
            models.Index(
                fields=["case", "created_at"],
                condition=Q(case__isnull=False),
                name="event_case_timeline",
            ),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="event_actors"),
            models.Index(fields=["to_status", "created_at"], name="event_status_stats"),
            # Regulators' alert list (triggers, recurrences, overdue, disputes), newest first.
            models.Index(fields=["-created_at"], condition=Q(kind="alert"), name="event_alerts"),
            # The sealer's work list: rows not linked into the chain yet, oldest first.
            models.Index(fields=["id"], condition=Q(chain_seq__isnull=True), name="event_unsealed"),
        ]

    def __str__(self) -> str:
        target = self.complaint or self.case
        return f"{target}: {self.from_status or '-'} → {self.to_status or self.kind}"

    def save(self, *args, **kwargs):
        self.before_write()
        super().save(*args, **kwargs)

    def before_write(self) -> None:
        """What every write of an event does first, by save() or services/row_insert: refuse
        an existing row, and ready a new one unchained, its content sealed; the sealer links it
        within a second or so (audit_chain, "sealing delay")."""
        if self.pk is not None:
            raise ValueError("Events are append-only.")
        audit_chain.unchained_prepare(self)

    def delete(self, *args, **kwargs):
        raise ValueError("Events are append-only.")

    @property
    def text(self) -> str:
        """What the event says, in the active language: the system's message (event_messages)
        and what a person typed, as typed."""
        said = event_messages.message_text(self.message) if self.message else ""
        return "\n".join(part for part in (said, self.reason) if part)


class AuditChainHead(models.Model):
    """The audit chain's end, sealed: its length and last hash with an HMAC under
    AUDIT_CHAIN_KEY, rewritten by every append in the same transaction (audit_chain). One row."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=audit_chain.HEAD_ID)
    length = models.BigIntegerField(_("length"))
    last_hash = models.CharField(_("last hash"), max_length=64)
    # Set (and sealed, and kept) when an append found this record missing or its seal wrong.
    broken_at = models.BigIntegerField(_("broken at"), null=True, blank=True)
    seal = models.CharField(max_length=64)

    class Meta:
        db_table = audit_chain.HEAD_TABLE
        verbose_name = _("audit chain head")
        constraints = [
            models.CheckConstraint(
                condition=Q(id=audit_chain.HEAD_ID), name="audit_chain_head_one_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.length}:{self.last_hash}"
