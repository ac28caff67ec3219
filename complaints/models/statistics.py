"""The summary tables dashboards and open data read: complaint figures per day, app and
category, and the one row saying how far the refresh has read."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .organisations import App, Category


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
