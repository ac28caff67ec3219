"""Early warning: collective complaints (clusters), alerts that say why they fired, their
dismissals, and each operator's response quality as last measured."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import App, Case, Category, Company, Complaint

from .reasons import reason_text


class Cluster(models.Model):
    """Alike complaints about one app, one company's apps, or apps of several companies that
    embed one SDK, in one category and window: a collective complaint found by the platform."""

    class Kind(models.TextChoices):
        APP = "app", _("one app")
        COMPANY = "company", _("one company's apps")
        SDK = "sdk", _("one SDK across companies")

    kind = models.CharField(_("grouped by"), max_length=10, choices=Kind.choices)
    # The app whose complaint founded it (for an SDK cluster, one of several).
    app = models.ForeignKey(
        App, on_delete=models.CASCADE, related_name="clusters", verbose_name=_("app")
    )
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="clusters",
        verbose_name=_("company"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("kind of problem")
    )
    # An SDK cluster's SDK (its id in inspections/data/sdks.json); "" for the other kinds.
    sdk_id = models.CharField(_("SDK"), max_length=60, blank=True, default="")
    # The members' apps and operating companies, kept as they join (the reason counts them).
    app_ids = models.JSONField(default=list, editable=False)
    company_ids = models.JSONField(default=list, editable=False)
    # Up to CLUSTER_EXEMPLARS members' texts as compared ({"id": complaint id, "key": words}):
    # a newcomer is compared with these, never with every member.
    exemplars = models.JSONField(default=list, editable=False)
    size = models.PositiveIntegerField(_("complaints"), default=0)
    first_at = models.DateTimeField(_("first complaint"))
    last_at = models.DateTimeField(_("latest complaint"))
    created_at = models.DateTimeField(_("found at"))
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clusters",
        verbose_name=_("case"),
    )
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("collective complaint")
        verbose_name_plural = _("collective complaints")
        indexes = [
            # Clustering: the live clusters of a company (or app) and category, latest first.
            models.Index(fields=["company", "category", "-last_at"], name="cluster_company_live"),
            models.Index(fields=["app", "category", "-last_at"], name="cluster_app_live"),
            # Clustering: the live clusters of an SDK.
            models.Index(
                fields=["sdk_id", "-last_at"], condition=~Q(sdk_id=""), name="cluster_sdk_live"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="sdk", company__isnull=True) & ~Q(sdk_id="")
                | Q(kind="company", company__isnull=False, sdk_id="")
                | Q(kind="app", company__isnull=True, sdk_id=""),
                name="cluster_scope_of_its_kind",
            )
        ]

    def __str__(self) -> str:
        subject = f"SDK {self.sdk_id}" if self.kind == self.Kind.SDK else str(self.app)
        return f"{subject} · {self.category} · {self.size}"

    @property
    def reason(self) -> dict:
        if self.kind == self.Kind.SDK:
            return {
                "id": "cluster_sdk",
                "params": {
                    "count": self.size,
                    "sdk": self.sdk_id,
                    "apps": len(self.app_ids),
                    "companies": len(self.company_ids),
                    "category": self.category.code,
                    "days": settings.CLUSTER_WINDOW_DAYS,
                    "similarity": settings.CLUSTER_SIMILARITY,
                },
            }
        return {
            "id": "cluster",
            "params": {
                "count": self.size,
                "app": self.app.name,
                "category": self.category.code,
                "days": settings.CLUSTER_WINDOW_DAYS,
                "similarity": settings.CLUSTER_SIMILARITY,
            },
        }

    @property
    def why(self) -> str:
        """Why these complaints are one cluster, in the reader's language."""
        return reason_text(self.reason)


class ClusterMembership(models.Model):
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="memberships")
    # A complaint belongs to one cluster at most.
    complaint = models.OneToOneField(
        Complaint, on_delete=models.CASCADE, related_name="cluster_membership"
    )
    # Text similarity (0-100, rapidfuzz) to the cluster when it joined.
    score = models.FloatField(_("similarity"))
    joined_at = models.DateTimeField(_("joined at"))

    class Meta:
        verbose_name = _("cluster member")
        verbose_name_plural = _("cluster members")
        indexes = [models.Index(fields=["cluster", "joined_at"], name="cluster_members_by_time")]

    def __str__(self) -> str:
        return f"{self.cluster_id}: {self.complaint_id}"


class Alert(models.Model):
    """Something regulators should look at, with the complaints behind it and the reason in
    words (a message id and parameters, put into the reader's language when read)."""

    class Kind(models.TextChoices):
        SPIKE = "spike", _("complaint spike")
        NEW_VOCABULARY = "new_vocabulary", _("possible new category")
        RESPONSE_QUALITY = "response_quality", _("operator response quality")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # One alert per subject and period: "spike:app:12:2026-11-18" and so on.
    key = models.CharField(max_length=120, unique=True, editable=False)
    app = models.ForeignKey(
        App,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("app"),
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("kind of problem"),
    )
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("company"),
    )
    day_date = models.DateField(_("day assessed"))
    reason = models.JSONField(_("reason"), default=dict)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    complaints = models.ManyToManyField(
        Complaint, blank=True, related_name="+", verbose_name=_("complaints behind it")
    )
    created_at = models.DateTimeField(_("raised at"))
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            # The regulators' list: open alerts, newest first.
            models.Index(
                fields=["-created_at"], condition=Q(dismissed_at__isnull=True), name="alert_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day_date:%Y-%m-%d}"

    @property
    def why(self) -> str:
        return reason_text(self.reason)


class Dismissal(models.Model):
    """A regulator's "not worth acting on", with the reason. Recorded, and it tunes nothing:
    thresholds change only in settings."""

    alert = models.OneToOneField(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="dismissal"
    )
    cluster = models.OneToOneField(
        Cluster, null=True, blank=True, on_delete=models.CASCADE, related_name="dismissal"
    )
    reason = models.TextField(_("reason"))
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dismissed by"),
    )
    dismissed_at = models.DateTimeField(_("dismissed at"))

    class Meta:
        verbose_name = _("dismissal")
        verbose_name_plural = _("dismissals")
        constraints = [
            models.CheckConstraint(
                condition=Q(alert__isnull=False, cluster__isnull=True)
                | Q(alert__isnull=True, cluster__isnull=False),
                name="dismissal_of_one_thing",
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert or self.cluster}: {self.reason[:40]}"


class ResponseQuality(models.Model):
    """An operator's answers as last measured by the daily job (shown on its scorecard)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    measured_date = models.DateField(_("measured on"))
    replies = models.PositiveIntegerField(_("replies"), default=0)
    boilerplate_replies = models.PositiveIntegerField(_("boilerplate replies"), default=0)
    due = models.PositiveIntegerField(_("answers due"), default=0)
    zero_replies = models.PositiveIntegerField(_("no reply past the clock"), default=0)
    hollow_closes = models.PositiveIntegerField(_("closes without substance"), default=0)

    class Meta:
        verbose_name = _("response quality")
        verbose_name_plural = _("response quality")

    def __str__(self) -> str:
        return f"{self.company} {self.measured_date:%Y-%m-%d}"

    @property
    def boilerplate_rate(self) -> float | None:
        return self.boilerplate_replies / self.replies if self.replies else None

    @property
    def zero_reply_rate(self) -> float | None:
        return self.zero_replies / self.due if self.due else None


class MailSetting(models.Model):
    """How a regulator wants to hear of early warnings by e-mail. A regulator without a row
    gets settings.EARLY_WARNING_MAIL_DEFAULT."""

    class Mode(models.TextChoices):
        OFF = "off", _("No e-mails")
        IMMEDIATE = "immediate", _("As they come (within minutes)")
        DAILY = "daily", _("One digest a day")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="early_warning_mail"
    )
    mode = models.CharField(_("early-warning e-mails"), max_length=10, choices=Mode.choices)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("early-warning e-mail setting")
        verbose_name_plural = _("early-warning e-mail settings")

    def __str__(self) -> str:
        return f"{self.user}: {self.mode}"


class MailedItem(models.Model):
    """An alert or a cluster that went to a regulator in an e-mail: never twice to one person."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, null=True, on_delete=models.CASCADE, related_name="+")
    cluster = models.ForeignKey(Cluster, null=True, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("e-mailed early warning")
        verbose_name_plural = _("e-mailed early warnings")
        constraints = [
            models.CheckConstraint(
                condition=Q(alert__isnull=False, cluster__isnull=True)
                | Q(alert__isnull=True, cluster__isnull=False),
                name="mailed_item_of_one_thing",
            ),
            models.UniqueConstraint(fields=["user", "alert"], name="alert_mailed_once"),
            models.UniqueConstraint(fields=["user", "cluster"], name="cluster_mailed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.alert_id or self.cluster_id}"
