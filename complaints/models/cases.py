"""Rectification cases (整改) against an app: their categories, internal notes, the notices
issued to the operator and the operator's answers to complaints and cases."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import workflow
from .complaints import Complaint
from .organisations import App, Category, Company, TriggerRule


class Case(models.Model):
    """A rectification case (整改) against one app for one or more categories."""

    Status = workflow.CaseStatus

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
    # Set when a trigger rule asked for the app's package; the request is pending until an
    # inspection is attached to the case after this moment (inspections/selectors.py).
    inspection_requested_at = models.DateTimeField(
        _("inspection requested at"), null=True, blank=True
    )
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
