"""Classification around the batches (classification_batch.py): one complaint at a time,
sending work to the workers, the sweep for faults, reclassification after a new model, and
the regulator-confirmed examples retraining learns from.
"""

import logging
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from classifier.dataset import Example
from classifier.selectors import model_version_active
from classifier.serving import active_model

from .. import workflow
from ..models import Classification, Complaint
from .classification_batch import complaints_classify
from .classification_requests import (  # noqa: F401 — callers' names for the requests
    CLASSIFY_WAITING,
    classification_enqueue,
    classification_enqueue_on_commit,
)
from .enqueue import pending_mark_clear, pending_mark_is_set

logger = logging.getLogger(__name__)
S = Complaint.Status


def complaint_classify(
    *, complaint_id: int, model_version_id: int | None = None, at=None
) -> Classification | None:
    """Classify one complaint with the active model (a batch of one; see
    classification_batch.complaints_classify). Returns its verdict from the active version,
    or None when no version is active, the complaint is gone or it went to a person.
    `at` dates what it records (the demo's backdated filings); default now."""
    result = complaints_classify(
        complaint_ids=[complaint_id], model_version_id=model_version_id, at=at
    )
    if complaint_id in result:
        return result[complaint_id]
    served = active_model(expected_version_id=model_version_id)
    if served is None:
        return None
    return Classification.objects.filter(
        complaint_id=complaint_id, model_version_id=served.version_id
    ).first()


def classification_of_waiting(*, rounds: int = 100, sleep=time.sleep) -> int:
    """Classify every complaint waiting (submitted, not held by another run), oldest first,
    in batches of CLASSIFY_BATCH_SIZE, until fewer than a batch remain; returns how many.

    A run sent under a pending mark (a filing's, the dispatcher's) first waits
    CLASSIFY_GATHER_SECONDS with the mark still set: filings of that moment send no message and
    join its first batch, where a worker that started a run for every filing or two paid a
    batch's fixed cost for each. A run whose mark is gone (one of several queued at once) has
    nobody to wait for."""
    gather = settings.CLASSIFY_GATHER_SECONDS
    if gather > 0 and pending_mark_is_set(CLASSIFY_WAITING):
        sleep(gather)
    pending_mark_clear(CLASSIFY_WAITING)
    size = settings.CLASSIFY_BATCH_SIZE
    done = 0
    for _round in range(rounds):
        classified = len(complaints_classify(complaint_ids=[], top_up=size))
        done += classified
        if classified < size:
            break
    return done


def complaints_awaiting_classification(*, now=None) -> QuerySet[Complaint]:
    """Submitted complaints the workers seem to have missed, oldest first: never claimed for
    CLASSIFY_SWEEP_AFTER_SECONDS (their message lost with Redis' data), or claimed longer
    than CLASSIFY_LEASE_SECONDS ago by a run that never ended (its worker died)."""
    now = now or timezone.now()
    unclaimed_since = now - timezone.timedelta(seconds=settings.CLASSIFY_SWEEP_AFTER_SECONDS)
    lease_ended = now - timezone.timedelta(seconds=settings.CLASSIFY_LEASE_SECONDS)
    return Complaint.objects.filter(
        Q(classification_started_at__isnull=True, submitted_at__lt=unclaimed_since)
        | Q(classification_started_at__lt=lease_ended),
        status=S.SUBMITTED,
    ).order_by("submitted_at")


def classification_sweep(*, now=None, limit: int = 2000) -> int:
    """For faults only: enqueue classification for complaints the workers missed (a message
    lost with Redis' data, a worker killed mid-run). Filing needs no sweep: beat's dispatcher
    sends a run while filed complaints wait unclaimed (classification_requests). Nothing to do
    while no model version is active."""
    if model_version_active() is None:
        return 0
    ids = list(complaints_awaiting_classification(now=now).values_list("pk", flat=True)[:limit])
    if ids:
        logger.info("Sweep: enqueueing classification of %s complaint(s).", len(ids))
        transaction.on_commit(lambda: classification_enqueue(ids))
    return len(ids)


def complaints_to_reclassify(
    *,
    model_version_id: int,
    include_decided: bool = False,
    statuses: Iterable[str] = (),
    app_id: int | None = None,
    category_code: str = "",
    submitted_since=None,
    complaint_ids: Iterable[int] = (),
) -> QuerySet[Complaint]:
    """Complaints without a verdict from `model_version_id`, filtered.

    By default only those still with the classifier (submitted, classified, needs_review);
    `include_decided` adds complaints people have already decided on, whose status and
    confirmed labels stay as they are but who get a Classification row for the record.
    """
    queryset = Complaint.objects.exclude(classifications__model_version_id=model_version_id)
    statuses = list(statuses)
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    elif not include_decided:
        queryset = queryset.filter(status__in=workflow.CLASSIFIABLE)
    if app_id is not None:
        queryset = queryset.filter(app_id=app_id)
    if category_code:
        queryset = queryset.filter(
            Q(categories__code=category_code) | Q(category_hint__code=category_code)
        )
    if submitted_since is not None:
        queryset = queryset.filter(submitted_at__gte=submitted_since)
    ids = list(complaint_ids)
    if ids:
        queryset = queryset.filter(pk__in=ids)
    return queryset.distinct().order_by("submitted_at")


def complaints_reclassify(
    *, queryset: QuerySet[Complaint], model_version_id: int, inline: bool = False
) -> int:
    """Classify the given complaints with the active version: enqueued after commit, or here
    and now with `inline` (no worker needed). Returns how many."""
    ids = list(queryset.values_list("pk", flat=True))
    # A new version starts with a clean slate: earlier failures were another model's.
    Complaint.objects.filter(pk__in=ids).update(classification_attempts=0)
    if inline:
        for complaint_id in ids:
            complaint_classify(complaint_id=complaint_id, model_version_id=model_version_id)
    else:
        transaction.on_commit(lambda: classification_enqueue(ids, model_version_id))
    return len(ids)


def confirmed_examples() -> list[Example]:
    """Complaints whose labels a regulator confirmed, as training examples: their categories
    override whatever the model said (settings.CLASSIFIER_CONFIRMED_EXAMPLES names this)."""
    from classifier.text import detect_language

    examples = []
    rows = (
        Complaint.objects.filter(
            label_source=Complaint.LabelSource.REGULATOR, erased_at__isnull=True
        )
        .exclude(description="")
        .prefetch_related("categories")
        .order_by("pk")
    )
    for complaint in rows.iterator(chunk_size=500):
        labels = tuple(sorted(c.code for c in complaint.categories.all()))
        if labels:
            lang = "en" if detect_language(complaint.description) == "en" else "zh"
            examples.append(
                Example(
                    text=complaint.description,
                    labels=labels,
                    lang=lang,
                    source=f"complaint:{complaint.pk}",
                )
            )
    return examples
