"""A consumer's complaint with its evidence files and the classifier's verdicts on it."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import workflow
from ..encryption import EncryptedTextField, email_index
from .organisations import App, Category


class Complaint(models.Model):
    Status = workflow.ComplaintStatus

    class Channel(models.TextChoices):
        WEB = "web", _("web form")
        API = "api", _("API")
        HOTLINE = "hotline", _("hotline")
        EMAIL = "email", _("email")
        IMPORT = "import", _("bulk import")

    class LabelSource(models.TextChoices):
        NONE = "", _("not labelled")
        MODEL = "model", _("classifier")
        REGULATOR = "regulator", _("confirmed by a regulator")

    class RejectReason(models.TextChoices):
        SPAM = "spam", _("spam or abuse")
        OUT_OF_REMIT = "out_of_remit", _("outside our remit")
        INSUFFICIENT = "insufficient", _("not enough information")
        NO_REPLY = "no_reply", _("no reply to a request for information")

    # Unique through Meta.constraints: no extra LIKE index, which slows bulk loads for nothing.
    tracking_number = models.CharField(_("tracking number"), max_length=24)
    access_token_hash = models.CharField(_("access token hash"), max_length=64, editable=False)
    # Indexed by complaint_app_timeline (app, submitted_at), which also serves app-only lookups.
    app = models.ForeignKey(
        App,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        verbose_name=_("app"),
        db_index=False,
    )
    app_name = models.CharField(_("app name as given"), max_length=200)
    app_version = models.CharField(_("app version"), max_length=40, blank=True)
    app_store = models.CharField(_("app store"), max_length=60, blank=True)
    description = models.TextField(_("what happened"))
    # NULL when masking found no personal data: the text is then stored once (masked_text).
    description_masked = models.TextField(
        _("what happened (personal data masked)"), null=True, blank=True
    )
    occurred_date = models.DateField(_("date it happened"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount involved"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    details = models.JSONField(_("details for the kind"), default=dict, blank=True)
    category_hint = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("kind chosen by the consumer"),
        db_index=False,  # set on few rows: a partial index in Meta
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="complaints", verbose_name=_("categories")
    )
    label_source = models.CharField(
        _("labels from"), max_length=12, choices=LabelSource.choices, blank=True, default=""
    )
    confidence = models.FloatField(_("classifier confidence"), null=True, blank=True)
    classification_attempts = models.PositiveSmallIntegerField(
        _("classification attempts"), default=0
    )
    classified_at = models.DateTimeField(_("classified at"), null=True, blank=True)
    # A classification run that began and has not ended; one found still set when the next
    # run claims the complaint means a worker was lost mid-run (counted apart from failures).
    classification_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    classification_interruptions = models.PositiveSmallIntegerField(default=0, editable=False)
    channel = models.CharField(
        _("channel"), max_length=12, choices=Channel.choices, default=Channel.WEB
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    priority = models.IntegerField(
        _("priority"), default=0, help_text=_("Higher is triaged first.")
    )
    consent_share_with_operator = models.BooleanField(
        _("may be shared with the operator"), default=False
    )
    consent_publish = models.BooleanField(_("may be published redacted"), default=False)
    # Indexed by complaint_my_complaints (submitter, -submitted_at).
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        db_index=False,
    )
    # Encrypted at rest (complaints/encryption.py); the address is found by its blind index.
    contact_name = EncryptedTextField(_("contact name"), max_length=100, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), max_length=32, blank=True)
    contact_email = EncryptedTextField(_("contact email"), max_length=254, blank=True)
    contact_email_index = models.CharField(
        _("contact email index"), max_length=64, blank=True, editable=False
    )
    # Both are set on few rows: partial indexes in Meta keep them small.
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
        db_index=False,
    )
    case = models.ForeignKey(
        "Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        verbose_name=_("case"),
        db_index=False,
    )
    reject_reason = models.CharField(
        _("reason for rejection"), max_length=16, choices=RejectReason.choices, blank=True
    )
    decision_due_date = models.DateField(_("decision due"), null=True, blank=True)
    operator_due_date = models.DateField(_("operator answer due"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("consumer rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    source = models.CharField(_("import source"), max_length=40, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["tracking_number"], name="unique_tracking_number"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="complaint_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="complaint_rating_1_to_5",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="unique_import_source_id",
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="unique_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "-priority", "submitted_at"], name="complaint_triage_queue"
            ),
            # The default triage queue (every status awaiting a decision, in one order): read
            # in index order, so the first page costs the same at any table size. The trailing
            # columns let the queue's counts and common filters (breached, money, unsure, kind
            # chosen) read only the index (key columns rather than INCLUDE, which SQLite lacks).
            models.Index(
                fields=[
                    "-priority",
                    "submitted_at",
                    "id",
                    "decision_due_date",
                    "amount",
                    "confidence",
                    "category_hint",
                ],
                condition=Q(status__in=list(workflow.AWAITING_DECISION)),
                name="complaint_open_queue",
            ),
            models.Index(fields=["app", "submitted_at"], name="complaint_app_timeline"),
            models.Index(
                fields=["submitter", "-submitted_at"],
                condition=Q(submitter__isnull=False),
                name="complaint_my_complaints",
            ),
            models.Index(
                fields=["case"], condition=Q(case__isnull=False), name="complaint_case_members"
            ),
            models.Index(
                fields=["duplicate_of"],
                condition=Q(duplicate_of__isnull=False),
                name="complaint_duplicates",
            ),
            # Few consumers pick a kind: small, and it spares deleting a category (SET NULL) and
            # checking the foreign key after a bulk load a pass over the whole table.
            models.Index(
                fields=["category_hint"],
                condition=Q(category_hint__isnull=False),
                name="complaint_category_hints",
            ),
            # The operator dashboard's clocks: accepted complaints still waiting for an answer.
            models.Index(
                fields=["app", "operator_due_date"],
                condition=Q(status__in=list(workflow.AWAITING_OPERATOR)),
                name="complaint_operator_clock",
            ),
            # An app's record on the triage page: its complaints counted by status.
            models.Index(fields=["app", "status"], name="complaint_app_status"),
            # Claiming complaints filed without an account by a newly verified address.
            models.Index(
                fields=["contact_email_index"],
                condition=Q(submitter__isnull=True) & ~Q(contact_email_index=""),
                name="complaint_claim_by_email",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    def save(self, *args, **kwargs):
        self.before_write()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "contact_email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "contact_email_index"}
        super().save(*args, **kwargs)

    def before_write(self) -> None:
        """What every write of the row does first, by save() or the filing's insert
        (services/row_insert): the blind index follows the address, whichever door wrote it."""
        self.contact_email_index = email_index(self.contact_email)

    @property
    def masked_text(self) -> str:
        """The text as operators and the public see it: personal data masked."""
        return self.description if self.description_masked is None else self.description_masked

    @property
    def consumer_email(self) -> str:
        """Where the consumer hears from us: the address they gave, else their account's."""
        return self.contact_email or (self.submitter.email if self.submitter_id else "")

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    def is_decision_overdue(self, today: datetime.date) -> bool:
        return (
            self.decision_due_date is not None
            and self.status in workflow.AWAITING_DECISION
            and today > self.decision_due_date
        )

    def money_involved(self) -> bool:
        return self.amount is not None and self.amount > Decimal("0")


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    # The stored name is the content hash: never the consumer's file name (path traversal).
    now = timezone.now()
    return f"evidence/{now:%Y/%m}/{instance.sha256}{instance.extension}"


class Evidence(models.Model):
    """A file backing a complaint, a case verification or an operator response."""

    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    case = models.ForeignKey(
        "Case", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    response = models.ForeignKey(
        "OperatorResponse", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(complaint__isnull=False, case__isnull=True, response__isnull=True)
                    | Q(complaint__isnull=True, case__isnull=False, response__isnull=True)
                    | Q(complaint__isnull=True, case__isnull=True, response__isnull=False)
                ),
                name="evidence_has_one_owner",
            ),
            models.CheckConstraint(condition=Q(size__gte=0), name="evidence_size_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name or self.sha256[:12]} ({self.content_type})"

    @property
    def extension(self) -> str:
        return {
            "image/jpeg": ".jpg",
            "image/png": ".png",
            "image/webp": ".webp",
            "application/pdf": ".pdf",
        }.get(self.content_type, ".bin")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Classification(models.Model):
    """One model version's verdict on one complaint; kept for every version that ran."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="classifications"
    )
    model_version = models.ForeignKey(
        "classifier.ModelVersion",
        on_delete=models.PROTECT,
        related_name="classifications",
        verbose_name=_("model version"),
    )
    labels = models.JSONField(
        _("predicted labels"), default=list, help_text=_("Taxonomy codes above their thresholds.")
    )
    probabilities = models.JSONField(_("probabilities"), default=dict)
    confidence = models.FloatField(_("confidence"))
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    language = models.CharField(_("detected language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "model_version"], name="one_classification_per_version"
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0, confidence__lte=1), name="confidence_0_to_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint} by {self.model_version.version}: {', '.join(self.labels)}"
