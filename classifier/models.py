"""The model registry: every trained classifier version with its provenance and metrics.

Exactly one version is active (a database constraint); every classification points at the
version that made it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ModelVersion(models.Model):
    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("candidate")
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired")
        REJECTED = "rejected", _("rejected by the promotion gate")

    version = models.CharField(_("version"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CANDIDATE
    )
    algorithm = models.CharField(_("algorithm"), max_length=60, blank=True)
    corpus_hash = models.CharField(_("corpus hash"), max_length=64, blank=True)
    example_counts = models.JSONField(_("example counts"), default=dict, blank=True)
    library_versions = models.JSONField(_("library versions"), default=dict, blank=True)
    code_revision = models.CharField(_("code revision"), max_length=64, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    thresholds = models.JSONField(_("per-label thresholds"), default=dict, blank=True)
    artifact_path = models.CharField(_("artifact path"), max_length=500, blank=True)
    artifact_sha256 = models.CharField(_("artifact sha256"), max_length=64, blank=True)
    artifact_size = models.PositiveBigIntegerField(_("artifact size (bytes)"), default=0)
    # The skops file itself, so a worker on any host can load the active version from the
    # database; artifact_path is a local cache of it, checked against artifact_sha256.
    artifact = models.BinaryField(_("artifact"), null=True, blank=True, editable=False)
    training_seconds = models.FloatField(_("training time (s)"), default=0)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="one_active_model_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.get_status_display()})"

    @property
    def macro_f1(self) -> float | None:
        return (self.metrics or {}).get("test", {}).get("macro_f1")
