"""What signed-in people keep for themselves: saved queue filters, language preference and
the e-mail address a consumer proved they read."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
