"""Applying the classifier's verdict to complaints: one Classification row per model version,
the complaint's status (classified or needs_review), its categories unless a regulator
already confirmed them, and the attempt counter that stops a poison complaint from looping.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from classifier.dataset import Example
from classifier.pipeline import Prediction
from classifier.selectors import model_version_active
from classifier.serving import active_model

from .. import workflow
from ..models import Category, Classification, Complaint, Event
from ..models.event_messages import message
from .enqueue import task_send
from .events import complaint_move, event_record
from .priority import complaint_prioritise

logger = logging.getLogger(__name__)
S = Complaint.Status


def _attempt_begin(complaint_id: int) -> int | None:
    """Count this attempt in its own committed transaction, before any model code runs, so a
    crash that kills the worker still leaves the count behind. None if the complaint is gone."""
    with transaction.atomic():
        updated = Complaint.objects.filter(pk=complaint_id).update(
            classification_attempts=F("classification_attempts") + 1
        )
        if not updated:
            return None
        return (
            Complaint.objects.filter(pk=complaint_id)
            .values_list("classification_attempts", flat=True)
            .get()
        )


@transaction.atomic
def complaint_classification_give_up(*, complaint_id: int, attempts: int) -> Complaint:
    """After too many failed attempts, hand the complaint to a person instead of retrying."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    reason = _(
        "Automatic classification failed %(attempts)s times; a regulator needs to label it."
    ) % {"attempts": attempts - 1}
    if workflow.can_classify(complaint) and complaint.status != S.NEEDS_REVIEW:
        complaint_move(
            complaint=complaint,
            to_status=S.NEEDS_REVIEW,
            actor_role="system",
            reason=reason,
            data={"classification_attempts": attempts - 1},
            public=False,
        )
    logger.warning(
        "Gave up classifying complaint %s after %s attempts.", complaint_id, attempts - 1
    )
    return complaint


@transaction.atomic
def complaint_classification_apply(
    *, complaint_id: int, model_version_id: int, prediction: Prediction, at=None
) -> Classification:
    """Record one model version's verdict and act on it. Running it twice for the same version
    changes nothing: the first Classification row stays the only one."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    existing = Classification.objects.filter(
        complaint=complaint, model_version_id=model_version_id
    ).first()
    if existing is not None:
        Complaint.objects.filter(pk=complaint.pk).update(classification_attempts=0)
        return existing
    classification = Classification.objects.create(
        complaint=complaint,
        model_version_id=model_version_id,
        labels=prediction.labels,
        probabilities=prediction.probabilities,
        confidence=prediction.confidence,
        explanation=prediction.explanation,
        language=prediction.language,
    )
    now = at or timezone.now()
    complaint.classification_attempts = 0
    complaint.classified_at = now
    fields = ["classification_attempts", "classified_at"]
    if complaint.label_source != Complaint.LabelSource.REGULATOR:
        before = sorted(complaint.categories.values_list("code", flat=True))
        categories = list(Category.objects.filter(code__in=prediction.labels))
        complaint.categories.set(categories)
        complaint.label_source = Complaint.LabelSource.MODEL
        complaint.confidence = prediction.confidence
        fields += ["label_source", "confidence"]
        after = sorted(c.code for c in categories)
        if before and before != after:
            event_record(
                actor_role="system",
                kind=Event.Kind.LABELS,
                complaint=complaint,
                data={"from": before, "to": after, "model_version_id": model_version_id},
                public=False,
                at=now,
            )
    target = (
        S.CLASSIFIED
        if prediction.confidence >= settings.CLASSIFIER_CONFIDENCE_THRESHOLD
        else S.NEEDS_REVIEW
    )
    if workflow.can_classify(complaint) and complaint.status != target:
        complaint_move(
            complaint=complaint,
            to_status=target,
            actor_role="system",
            message=message(
                "classified", labels=list(prediction.labels), confidence=prediction.confidence
            ),
            data={
                "labels": prediction.labels,
                "confidence": prediction.confidence,
                "model_version_id": model_version_id,
            },
            public=False,
            extra_fields=tuple(fields),
            at=now,
        )
    else:
        complaint.save(update_fields=[*fields, "updated_at"])
    complaint_prioritise(complaint=complaint)
    return classification


def complaint_classify(
    *, complaint_id: int, model_version_id: int | None = None, at=None
) -> Classification | None:
    """Classify one complaint with the active model.

    Returns None, changing nothing, when no version is active (the sweep retries later) or
    the complaint is gone. The attempt is counted before the model runs; past
    CLASSIFIER_MAX_ATTEMPTS the complaint goes to needs_review instead.
    `model_version_id` names a version the caller knows is active (a reclassification
    after a new model), so this process reloads at once if it still serves an older one.
    `at` dates what it records (the demo's backdated filings); default now.
    """
    served = active_model(expected_version_id=model_version_id)
    if served is None:
        logger.info("No active classifier; complaint %s waits for the sweep.", complaint_id)
        return None
    description = (
        Complaint.objects.filter(pk=complaint_id).values_list("description", flat=True).first()
    )
    if description is None:
        return None
    existing = Classification.objects.filter(
        complaint_id=complaint_id, model_version_id=served.version_id
    ).first()
    if existing is not None:
        return existing
    attempts = _attempt_begin(complaint_id)
    if attempts is None:
        return None
    if attempts > settings.CLASSIFIER_MAX_ATTEMPTS:
        complaint_classification_give_up(complaint_id=complaint_id, attempts=attempts)
        return None
    prediction = served.model.predict(description)
    return complaint_classification_apply(
        complaint_id=complaint_id,
        model_version_id=served.version_id,
        prediction=prediction,
        at=at,
    )


def _enqueue(complaint_ids: list[int], model_version_id: int | None = None) -> None:
    for complaint_id in complaint_ids:
        if not task_send(
            "complaints.tasks.classify_complaint",
            complaint_id,
            model_version_id,
            what=f"classification of complaint {complaint_id}",
        ):
            return  # the broker is down: one warning, and the next sweep tries again


def complaints_awaiting_classification(*, now=None) -> QuerySet[Complaint]:
    """Submitted complaints nobody classified within CLASSIFY_SWEEP_AFTER_SECONDS, oldest first."""
    now = now or timezone.now()
    cutoff = now - timezone.timedelta(seconds=settings.CLASSIFY_SWEEP_AFTER_SECONDS)
    return Complaint.objects.filter(status=S.SUBMITTED, submitted_at__lt=cutoff).order_by(
        "submitted_at"
    )


def classification_sweep(*, now=None, limit: int = 500) -> int:
    """Enqueue classification for complaints the worker missed (stored while Redis was down,
    or lost with a crashed worker). Nothing to do while no model version is active."""
    if model_version_active() is None:
        return 0
    ids = list(complaints_awaiting_classification(now=now).values_list("pk", flat=True)[:limit])
    if ids:
        logger.info("Sweep: enqueueing classification of %s complaint(s).", len(ids))
        transaction.on_commit(lambda: _enqueue(ids))
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
        transaction.on_commit(lambda: _enqueue(ids, model_version_id))
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
