"""The daily early-warning run (beat, on the maintenance queue): spikes, new vocabulary and
operators' response quality for one whole day, yesterday by default. Safe to run twice: an
alert is raised once per key."""

import datetime

from django.utils import timezone

from .detection import new_vocabulary_detect, spikes_detect
from .models import Alert
from .response_quality import response_quality_measure


def early_warning_run(*, day: datetime.date | None = None, at=None) -> list[Alert]:
    day = day or timezone.localdate() - datetime.timedelta(days=1)
    raised = spikes_detect(day=day, at=at)
    vocabulary = new_vocabulary_detect(day=day, at=at)
    if vocabulary is not None:
        raised.append(vocabulary)
    raised += response_quality_measure(day=day, at=at)
    return raised
