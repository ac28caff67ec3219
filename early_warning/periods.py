"""Days as the site's time zone counts them, and the complaints filed in them."""

import datetime

from django.utils import timezone

from complaints.models import Complaint


def day_bounds(
    first: datetime.date, last: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants from the start of `first` to the end of `last`, in the site's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return start, end


def filed_between(first: datetime.date, last: datetime.date):
    """Complaints filed from `first` to `last` (both whole days), withdrawn ones left out."""
    start, end = day_bounds(first, last)
    return Complaint.objects.filter(submitted_at__gte=start, submitted_at__lt=end).exclude(
        status=Complaint.Status.WITHDRAWN
    )
