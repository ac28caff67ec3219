"""The AppWatch domain: companies and their apps, complaints and evidence, rectification cases,
notices, operator responses and the append-only event log.

Models hold single-row facts; every write goes through complaints.services.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc


def validate_credit_code(value: str) -> None:
    """Unified social credit code (统一社会信用代码), checksum verified by python-stdnum."""
    if not uscc.is_valid(value):
        raise ValidationError(
            _("%(value)s is not a valid unified social credit code."), params={"value": value}
        )


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = uscc.compact(self.credit_code)
        super().save(*args, **kwargs)


class CompanyMembership(models.Model):
    """Links an operator user account to the company whose apps it answers for."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("operator account")
        verbose_name_plural = _("operator accounts")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class App(models.Model):
    class Platform(models.TextChoices):
        ANDROID = "android", _("Android")
        IOS = "ios", _("iOS")
        HARMONY = "harmony", _("HarmonyOS")
        MINI_PROGRAM = "mini_program", _("mini program")
        WEB = "web", _("website")
        MULTI = "multi", _("several platforms")

    name = models.CharField(_("name"), max_length=120)
    aliases = models.JSONField(
        _("aliases"), default=list, blank=True, help_text=_("Other names consumers use.")
    )
    package_name = models.CharField(_("package name"), max_length=200, blank=True)
    platform = models.CharField(
        _("platform"), max_length=16, choices=Platform.choices, default=Platform.MULTI
    )
    stores = models.JSONField(_("app stores"), default=list, blank=True)
    filing_number = models.CharField(_("filing number (备案号)"), max_length=64, blank=True)
    operator = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="apps",
        verbose_name=_("operator"),
    )
    versions_seen = models.JSONField(_("versions seen"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("app")
        verbose_name_plural = _("apps")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["package_name"],
                condition=~Q(package_name=""),
                name="unique_app_package_name",
            ),
        ]
        indexes = [models.Index(fields=["name"], name="app_name_lookup")]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """One kind of problem in the taxonomy (seeded by migration, edited in admin)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (zh-Hans)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description_zh = models.TextField(_("description (zh-Hans)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    legal_basis_zh = models.TextField(_("legal basis (zh-Hans)"), blank=True)
    legal_basis_en = models.TextField(_("legal basis (English)"), blank=True)
    default_deadline_working_days = models.PositiveSmallIntegerField(
        _("default rectification deadline (working days)"), default=15
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def description(self) -> str:
        return (
            self.description_en if (get_language() or "").startswith("en") else self.description_zh
        )

    @property
    def legal_basis(self) -> str:
        return (
            self.legal_basis_en if (get_language() or "").startswith("en") else self.legal_basis_zh
        )


class Complaint(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        CLASSIFIED = "classified", _("classified")
        NEEDS_REVIEW = "needs_review", _("needs review")
        INFO_REQUESTED = "info_requested", _("more information requested")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        DUPLICATE = "duplicate", _("duplicate")
        LINKED = "linked", _("linked to a case")
        ANSWERED = "answered", _("answered by the operator")
        DISPUTED = "disputed", _("disputed by the consumer")
        CLOSED = "closed", _("closed")
        WITHDRAWN = "withdrawn", _("withdrawn")

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
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
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
                condition=Q(status__in=["submitted", "classified", "needs_review", "disputed"]),
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
                condition=Q(status__in=["accepted", "linked"]),
                name="complaint_operator_clock",
            ),
            # An app's record on the triage page: its complaints counted by status.
            models.Index(fields=["app", "status"], name="complaint_app_status"),
        ]

    def __str__(self) -> str:
        return self.tracking_number

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
            and self.status in OPEN_FOR_DECISION
            and today > self.decision_due_date
        )

    def money_involved(self) -> bool:
        return self.amount is not None and self.amount > Decimal("0")


OPEN_FOR_DECISION = {
    Complaint.Status.SUBMITTED,
    Complaint.Status.CLASSIFIED,
    Complaint.Status.NEEDS_REVIEW,
    Complaint.Status.DISPUTED,
}


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


class TriggerRule(models.Model):
    """Opens a case when confirmed complaints about one app in one category cross a threshold."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="trigger_rules", verbose_name=_("category")
    )
    threshold = models.PositiveIntegerField(_("threshold"), default=5)
    window_days = models.PositiveIntegerField(_("window (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("trigger rule")
        verbose_name_plural = _("trigger rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=1), name="trigger_threshold_positive"
            ),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="trigger_window_positive"),
        ]

    def __str__(self) -> str:
        return _("%(category)s: %(threshold)s in %(days)s days") % {
            "category": self.category,
            "threshold": self.threshold,
            "days": self.window_days,
        }


class Case(models.Model):
    """A rectification case (整改) against one app for one or more categories."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        NOTICE_ISSUED = "notice_issued", _("notice issued")
        RESPONSE_RECEIVED = "response_received", _("response received")
        RECTIFIED = "rectified", _("rectified")
        NOT_RECTIFIED = "not_rectified", _("not rectified")
        OVERDUE = "overdue", _("overdue")
        ESCALATED = "escalated", _("escalated")
        CLOSED = "closed", _("closed")

    class Origin(models.TextChoices):
        MANUAL = "manual", _("opened by a regulator")
        TRIGGER = "trigger", _("opened by a trigger rule")

    class Escalation(models.TextChoices):
        PUBLIC_NOTICE = "public_notice", _("public notice")
        STORE_REMOVAL = "store_removal", _("removal from app stores recommended")
        REFERRAL = "referral", _("referred to law enforcement")

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    app = models.ForeignKey(
        App, on_delete=models.PROTECT, related_name="cases", verbose_name=_("app")
    )
    categories = models.ManyToManyField(
        Category, through="CaseCategory", related_name="cases", verbose_name=_("categories")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.MANUAL
    )
    trigger_rule = models.ForeignKey(
        TriggerRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    summary = models.TextField(_("problems found"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    deadline_date = models.DateField(_("deadline"), null=True, blank=True)
    escalation = models.CharField(
        _("escalation measure"), max_length=16, choices=Escalation.choices, blank=True
    )
    verification_notes = models.TextField(_("verification notes"), blank=True)
    recurrence_count = models.PositiveSmallIntegerField(_("recurrences"), default=0)
    # Notices and emails to the operator are written in this language.
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["status", "deadline_date"], name="case_deadline_sweep"),
            models.Index(fields=["app", "status"], name="case_app_status"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.app}"

    def is_overdue(self, today: datetime.date) -> bool:
        return (
            self.deadline_date is not None
            and self.status == self.Status.NOTICE_ISSUED
            and today > self.deadline_date
        )

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class CaseCategory(models.Model):
    """A case's category, with its app and open flag copied so the database itself keeps one
    open case per app and category."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_categories")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    app = models.ForeignKey(App, on_delete=models.PROTECT, related_name="+")
    is_open = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        constraints = [
            models.UniqueConstraint(fields=["case", "category"], name="unique_case_category"),
            models.UniqueConstraint(
                fields=["app", "category"],
                condition=Q(is_open=True),
                name="one_open_case_per_app_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.category.code}"


class CaseNote(models.Model):
    """An internal note on a case, visible to regulators only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.case.reference} note {self.pk}"


class Notice(models.Model):
    """A rectification notice (整改通知) with its legal basis and deadline."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="notices", verbose_name=_("case")
    )
    number = models.CharField(_("notice number"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    deadline_date = models.DateField(_("deadline"))
    legal_basis = models.TextField(_("legal basis"))
    text = models.TextField(_("notice text"))
    acknowledged_at = models.DateTimeField(_("read by the operator at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["deadline_date"], name="notice_deadline")]

    def __str__(self) -> str:
        return self.number


class OperatorResponse(models.Model):
    """An operator's answer: a reply to one complaint, or a rectification report on a case."""

    class Kind(models.TextChoices):
        COMPLAINT_REPLY = "complaint_reply", _("reply to a complaint")
        RECTIFICATION_REPORT = "rectification_report", _("rectification report")

    class ClosureCode(models.TextChoices):
        FIXED = "fixed", _("fixed")
        EXPLAINED = "explained", _("explained")
        REFUNDED = "refunded", _("refunded")
        NOT_OUR_APP = "not_our_app", _("not our app")
        OTHER = "other", _("other")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="responses"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="responses"
    )
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="responses")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("answer"))
    closure_code = models.CharField(
        _("closure code"), max_length=16, choices=ClosureCode.choices, blank=True
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("operator response")
        verbose_name_plural = _("operator responses")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="complaint_reply", complaint__isnull=False, case__isnull=True)
                    | Q(kind="rectification_report", complaint__isnull=True, case__isnull=False)
                ),
                name="response_kind_matches_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


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

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.TRANSITION)
    # The three keys are indexed in Meta: the timelines lead with complaint and case, and
    # partial indexes leave out the many rows without a case or an actor (every filing and
    # import writes one), which keeps bulk intake cheap.
    complaint = models.ForeignKey(
        Complaint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="events", db_index=False
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
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    public = models.BooleanField(_("shown to the consumer"), default=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

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
        ]

    def __str__(self) -> str:
        target = self.complaint or self.case
        return f"{target}: {self.from_status or '-'} → {self.to_status or self.kind}"

    def save(self, *args, **kwargs):
        allow_update = kwargs.pop("allow_update", False)
        if self.pk is not None and not allow_update:
            raise ValueError("Events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Events are append-only.")


class SavedFilter(models.Model):
    """A regulator's named set of queue filters (the query string of the triage or case list)."""

    class Scope(models.TextChoices):
        TRIAGE = "triage", _("triage queue")
        CASES = "cases", _("case list")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    scope = models.CharField(_("list"), max_length=10, choices=Scope.choices, default=Scope.TRIAGE)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "name"], name="unique_saved_filter_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.name}"


class Preference(models.Model):
    """What a signed-in person chose for themselves: the language of their pages (set again at
    each login) and of the e-mails the platform sends them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"


class VerifiedEmail(models.Model):
    """An e-mail address a consumer proved they read, by opening the link sent to it. Complaints
    filed earlier without an account but with this address then join the account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verified_email"
    )
    email = models.EmailField(_("e-mail address"), max_length=254)
    verified_at = models.DateTimeField(_("verified at"))

    class Meta:
        verbose_name = _("verified e-mail address")
        verbose_name_plural = _("verified e-mail addresses")

    def __str__(self) -> str:
        return f"{self.user}: {self.email}"


class ComplaintStat(models.Model):
    """Complaint figures for one submission day, summed: the summary table dashboards and open
    data read instead of scanning complaints. Kept current by services.statistics.

    An empty app means every complaint (including those not matched to an app); an empty
    category means complaints counted once each, however many labels they carry.
    """

    CONFIDENCE_BINS = 10

    submitted_date = models.DateField(_("submission date"))
    app = models.ForeignKey(App, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    received = models.PositiveIntegerField(default=0)
    unlabelled = models.PositiveIntegerField(default=0)
    # Current state of the day's complaints (as of the last refresh).
    awaiting_decision = models.PositiveIntegerField(default=0)
    decision_overdue = models.PositiveIntegerField(default=0)
    info_requested = models.PositiveIntegerField(default=0)
    # Accepted at some point: accepted, linked, answered, disputed or closed.
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    published = models.PositiveIntegerField(default=0)
    # The classifier's part.
    classified = models.PositiveIntegerField(default=0)
    auto_routed = models.PositiveIntegerField(default=0)
    confidence_bin_0 = models.PositiveIntegerField(default=0)
    confidence_bin_1 = models.PositiveIntegerField(default=0)
    confidence_bin_2 = models.PositiveIntegerField(default=0)
    confidence_bin_3 = models.PositiveIntegerField(default=0)
    confidence_bin_4 = models.PositiveIntegerField(default=0)
    confidence_bin_5 = models.PositiveIntegerField(default=0)
    confidence_bin_6 = models.PositiveIntegerField(default=0)
    confidence_bin_7 = models.PositiveIntegerField(default=0)
    confidence_bin_8 = models.PositiveIntegerField(default=0)
    confidence_bin_9 = models.PositiveIntegerField(default=0)
    reviewed = models.PositiveIntegerField(default=0)
    relabelled = models.PositiveIntegerField(default=0)
    # The operator's part.
    sent_to_operator = models.PositiveIntegerField(default=0)
    awaiting_operator = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    replied_on_time = models.PositiveIntegerField(default=0)
    reply_overdue = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    disputed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("complaint statistics row")
        verbose_name_plural = _("complaint statistics")
        indexes = [
            # Platform-wide, per app and per category ranges of days.
            models.Index(
                fields=["app", "category", "submitted_date"], name="stat_app_category_days"
            ),
            # Rankings of apps (and operators through them) over a range of days.
            models.Index(
                fields=["category", "submitted_date"],
                condition=Q(app__isnull=False),
                name="stat_app_ranking",
            ),
            # The same for all categories, answered from the index alone (PostgreSQL).
            models.Index(
                fields=["submitted_date"],
                include=[
                    "app",
                    "received",
                    "accepted",
                    "sent_to_operator",
                    "replied",
                    "replied_on_time",
                    "reply_overdue",
                    "confirmed",
                ],
                condition=Q(app__isnull=False, category__isnull=True),
                name="stat_app_totals_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submitted_date} app={self.app_id or '*'} category={self.category_id or '*'}"


class StatisticsState(models.Model):
    """The one row saying how far the summary tables have read: ids already counted, when the
    last refresh and the last full rebuild ran, and the date the "overdue" figures were counted
    for (they change at midnight)."""

    last_complaint_id = models.BigIntegerField(default=0)
    last_event_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    rebuilt_for_date = models.DateField(null=True, blank=True)
    refresh_seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("statistics state")
        verbose_name_plural = _("statistics state")

    def __str__(self) -> str:
        return f"statistics refreshed at {self.refreshed_at}"
