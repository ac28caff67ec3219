"""Keeping personal data no longer than needed (PIPL art. 19): complaints closed more than
RETENTION_YEARS ago lose their personal data through the erasure service, as if the consumer
had asked; what statistics need stays. Above consumers (erasure) and evidence (drafts).
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import workflow
from ..models import Complaint
from .consumers import complaint_erase


def retention_cutoff(now: datetime.datetime, years: int) -> datetime.datetime:
    """The same calendar moment `years` earlier (29 February becomes the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def complaints_past_retention(*, now: datetime.datetime | None = None):
    """Complaints that ended (closed, withdrawn, rejected or marked a duplicate) before the
    retention period and still hold personal data."""
    cutoff = retention_cutoff(now or timezone.now(), settings.RETENTION_YEARS)
    return Complaint.objects.filter(
        status__in=workflow.COMPLAINT_ENDED, closed_at__lt=cutoff, erased_at__isnull=True
    ).order_by("pk")


def retention_purge(*, now: datetime.datetime | None = None) -> int:
    """Erase the personal data of every complaint past retention, each in its own transaction
    (one that fails leaves the others done); returns how many were erased. Safe to run twice:
    erased complaints are not picked again."""
    erased = 0
    for complaint in complaints_past_retention(now=now).iterator(chunk_size=200):
        complaint_erase(
            complaint=complaint,
            actor=None,
            actor_role="system",
            reason=_("The retention period of %(years)d years after closing ended.")
            % {"years": settings.RETENTION_YEARS},
        )
        erased += 1
    return erased
