"""An inspection of one Android package of an app: what the package declares, which SDKs it
embeds, and which permissions go beyond what the app's type needs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import App, Case, Complaint, OperatorResponse

from .errors import error_message


class AppInspection(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    app = models.ForeignKey(
        App, on_delete=models.CASCADE, related_name="inspections", verbose_name=_("app")
    )
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspections",
        verbose_name=_("case"),
    )
    # The operator's rectification report this package was submitted with.
    response = models.ForeignKey(
        OperatorResponse,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspections",
        verbose_name=_("rectification report"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    inspected_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    # A key of inspections.errors.MESSAGES, translated when read (error_text).
    error_code = models.CharField(_("error"), max_length=24, blank=True)
    # The stored file's name inside settings.INSPECTION_DIR; never served.
    stored_name = models.CharField(max_length=80, editable=False)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"))
    package = models.CharField(_("package"), max_length=255, blank=True)
    version_name = models.CharField(_("version name"), max_length=120, blank=True)
    version_code = models.BigIntegerField(_("version code"), null=True, blank=True)
    cert_sha256 = models.CharField(_("signing certificate SHA-256"), max_length=64, blank=True)
    min_sdk = models.PositiveIntegerField(_("min SDK"), null=True, blank=True)
    target_sdk = models.PositiveIntegerField(_("target SDK"), null=True, blank=True)
    debuggable = models.BooleanField(_("debuggable"), default=False)
    cleartext = models.BooleanField(_("cleartext traffic allowed"), default=False)
    app_type = models.CharField(_("app type checked against"), max_length=24, blank=True)
    permissions = models.JSONField(_("permissions"), default=list, blank=True)
    exported_components = models.JSONField(_("exported components"), default=list, blank=True)
    sdks = models.JSONField(_("third-party SDKs"), default=list, blank=True)
    beyond_scope = models.JSONField(_("beyond scope"), default=list, blank=True)

    class Meta:
        verbose_name = _("app inspection")
        verbose_name_plural = _("app inspections")
        ordering = ["-uploaded_at", "-id"]
        # The app's inspections newest first (API list, case page, comparison).
        indexes = [models.Index(fields=["app", "-uploaded_at"], name="inspection_app_latest")]

    def __str__(self) -> str:
        version = f" {self.version_name}" if self.version_name else ""
        return f"{self.app} {self.package}{version} ({self.get_status_display()})"

    def error_text(self) -> str:
        return error_message(self.error_code)


class EmbeddedSdk(models.Model):
    """An SDK the app's newest finished inspection found, one row per app and SDK, rewritten
    when a newer inspection finishes: the dashboard counts apps per SDK in one grouped query
    instead of reading every app's report."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="+")
    inspection = models.ForeignKey(AppInspection, on_delete=models.CASCADE, related_name="+")
    sdk_id = models.CharField(_("SDK"), max_length=60)

    class Meta:
        verbose_name = _("embedded SDK")
        verbose_name_plural = _("embedded SDKs")
        constraints = [
            models.UniqueConstraint(fields=["app", "sdk_id"], name="one_embedded_sdk_per_app")
        ]
        # The ranking groups by SDK.
        indexes = [models.Index(fields=["sdk_id"], name="embedded_sdk_by_sdk")]

    def __str__(self) -> str:
        return f"{self.app_id} {self.sdk_id}"


class SdkAttribution(models.Model):
    """A regulator's finding that a case or a complaint is about an SDK the app embeds, not the
    host app itself; the SDK is one an inspection of the app detected (its id in sdks.json)."""

    case = models.OneToOneField(
        Case,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sdk_attribution",
        verbose_name=_("case"),
    )
    complaint = models.OneToOneField(
        Complaint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sdk_attribution",
        verbose_name=_("complaint"),
    )
    inspection = models.ForeignKey(
        AppInspection,
        on_delete=models.PROTECT,
        related_name="attributions",
        verbose_name=_("inspection that found the SDK"),
    )
    sdk_id = models.CharField(_("SDK"), max_length=60)
    sdk_name = models.CharField(_("SDK name"), max_length=120)
    vendor = models.CharField(_("vendor"), max_length=200)
    attributed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("attributed by"),
    )
    attributed_at = models.DateTimeField(_("attributed at"))

    class Meta:
        verbose_name = _("SDK attribution")
        verbose_name_plural = _("SDK attributions")
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, complaint__isnull=True)
                | Q(case__isnull=True, complaint__isnull=False),
                name="sdk_attribution_one_target",
            ),
        ]
        # The dashboard's ranking groups attributions by SDK.
        indexes = [models.Index(fields=["sdk_id"], name="sdk_attribution_by_sdk")]

    def __str__(self) -> str:
        target = self.case or self.complaint
        return f"{target} → {self.sdk_name}"
