"""Classifying complaints in batches: claim the waiting ones, one model call for them all, one
set of bulk writes (verdicts, categories, statuses, events, priorities) in one transaction.

A run marks what it claimed (`classification_started_at`, committed before the model runs)
and clears the mark when it ends. A mark still set when the next run claims the complaint
means the worker that held it was lost (killed, out of memory): counted in
`classification_interruptions`, apart from `classification_attempts`, which counts only runs
that failed with an error. Either count past its limit hands the complaint to a person; a
complaint whose last run was lost is classified alone, so a poison text takes down no other.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from classifier.pipeline import Prediction
from classifier.serving import ServedModel, active_model

from .. import workflow
from ..models import Category, Classification, Complaint, Event, Evidence
from ..models.event_messages import message
from .bulk_writes import objects_insert, objects_update
from .enqueue import enqueue_on_commit
from .events import complaint_move, complaints_move_many
from .priority import complaint_priority

logger = logging.getLogger(__name__)
S = Complaint.Status


@dataclass(frozen=True)
class Claimed:
    pk: int
    description: str
    attempts: int
    interruptions: int


def _claim(complaint_ids: Sequence[int], version_id: int, *, top_up: int, now) -> list[Claimed]:
    """Mark the asked-for complaints (and up to `top_up` other waiting ones, oldest first) as
    being classified, in a transaction of their own. Skips complaints this version already
    classified and those another run holds (rows locked, or marked within the lease)."""
    free = Q(classification_started_at__isnull=True) | Q(
        classification_started_at__lt=now
        - timezone.timedelta(seconds=settings.CLASSIFY_LEASE_SECONDS)
    )
    fields = (
        "pk",
        "description",
        "classification_attempts",
        "classification_interruptions",
        "classification_started_at",
    )
    with transaction.atomic():
        locked = Complaint.objects.select_for_update(skip_locked=True).filter(free)
        rows = list(
            locked.filter(pk__in=list(complaint_ids))
            .order_by()
            .exclude(classifications__model_version_id=version_id)
            .values_list(*fields)
        )
        if top_up > 0:
            rows += list(
                locked.filter(status=S.SUBMITTED)
                .exclude(pk__in=list(complaint_ids))
                .order_by("submitted_at")
                .values_list(*fields)[:top_up]
            )
        lost = [row[0] for row in rows if row[4] is not None]
        if lost:
            Complaint.objects.filter(pk__in=lost).update(
                classification_started_at=now,
                classification_interruptions=F("classification_interruptions") + 1,
            )
        fresh = [row[0] for row in rows if row[4] is None]
        if fresh:
            Complaint.objects.filter(pk__in=fresh).update(classification_started_at=now)
    return [
        Claimed(pk, description, attempts, interruptions + (started is not None))
        for pk, description, attempts, interruptions, started in rows
    ]


def _release(complaint_ids: Iterable[int], *, failed: bool = False) -> None:
    """End the runs of these complaints without a verdict; `failed` counts a failed attempt."""
    changes = {"classification_started_at": None}
    if failed:
        changes["classification_attempts"] = F("classification_attempts") + 1
    Complaint.objects.filter(pk__in=list(complaint_ids)).update(**changes)


@transaction.atomic
def complaint_classification_give_up(*, complaint_id: int, failures: int, lost: int) -> None:
    """After too many failed or lost runs, hand the complaint to a person instead."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    if failures >= settings.CLASSIFIER_MAX_ATTEMPTS:
        reason = _(
            "Automatic classification failed %(attempts)s times; a regulator needs to label it."
        ) % {"attempts": failures}
        data = {"classification_attempts": failures}
    else:
        reason = _(
            "Automatic classification stopped %(count)s times with its worker; a regulator "
            "needs to label it."
        ) % {"count": lost}
        data = {"classification_interruptions": lost}
    complaint.classification_started_at = None
    if workflow.can_classify(complaint) and complaint.status != S.NEEDS_REVIEW:
        complaint_move(
            complaint=complaint,
            to_status=S.NEEDS_REVIEW,
            actor_role="system",
            reason=reason,
            data=data,
            public=False,
            extra_fields=("classification_started_at",),
        )
    else:
        complaint.save(update_fields=["classification_started_at"])
    logger.warning("Gave up classifying complaint %s (%s).", complaint_id, data)


def _labels_move(prediction: Prediction, version_id: int) -> tuple[dict, dict]:
    """The event's message (translated when read) and data for a classification's move."""
    text = message("classified", labels=list(prediction.labels), confidence=prediction.confidence)
    data = {
        "labels": prediction.labels,
        "confidence": prediction.confidence,
        "model_version_id": version_id,
    }
    return text, data


# What applying a verdict reads of a complaint (the workflow's move, the priority's inputs) and
# writes back: a batch loads these columns only, not the contact fields and the rest.
_APPLY_READS = (
    "app",  # its id: what builds on the verdicts may want only complaints naming an app
    "status",
    "label_source",
    "confidence",
    "priority",
    "classification_attempts",
    "classification_started_at",
    "classified_at",
    "decided_at",
    "closed_at",
    "updated_at",
    "amount",
    "description",
    "details",
    "category_hint",
)


@transaction.atomic
def complaints_classification_apply(
    *, version_id: int, predictions: dict[int, Prediction], at=None
) -> dict[int, Classification]:
    """Record one model version's verdicts and act on them, for many complaints at once: the
    Classification rows, the categories (unless a regulator confirmed them), the status
    (classified, or needs_review below the confidence threshold), the events, the priority.
    Running it twice for the same version changes nothing. `at` dates what it records (the
    demo's backdated filings); default now."""
    now = at or timezone.now()
    complaints = {
        c.pk: c
        for c in Complaint.objects.select_for_update(of=("self",))
        .select_related("category_hint")
        .only(*_APPLY_READS, "category_hint__code")
        .filter(pk__in=list(predictions))
    }
    done = {
        c.complaint_id: c
        for c in Classification.objects.filter(
            complaint_id__in=list(complaints), model_version_id=version_id
        )
    }
    new = [
        Classification(
            complaint=complaints[pk],
            model_version_id=version_id,
            labels=p.labels,
            probabilities=p.probabilities,
            confidence=p.confidence,
            explanation=p.explanation,
            language=p.language,
        )
        for pk, p in predictions.items()
        if pk in complaints and pk not in done
    ]
    objects_insert(new)
    result = {**done, **{c.complaint_id: c for c in new}}
    through = Complaint.categories.through
    codes_before: dict[int, list[str]] = defaultdict(list)
    for complaint_id, code in through.objects.filter(
        complaint_id__in=[c.complaint_id for c in new]
    ).values_list("complaint_id", "category__code"):
        codes_before[complaint_id].append(code)
    category_ids = dict(Category.objects.values_list("code", "pk"))
    evidence = dict(
        Evidence.objects.filter(complaint_id__in=[c.complaint_id for c in new])
        .values("complaint")
        .annotate(n=Count("pk"))
        .values_list("complaint", "n")
    )
    relabelled, links, label_events, moves, stays = [], [], [], [], []
    threshold = settings.CLASSIFIER_CONFIDENCE_THRESHOLD
    for classification in new:
        complaint = complaints[classification.complaint_id]
        prediction = predictions[complaint.pk]
        complaint.classification_attempts = 0
        complaint.classification_started_at = None
        complaint.classified_at = now
        kinds = set(codes_before[complaint.pk])
        if complaint.label_source != Complaint.LabelSource.REGULATOR:
            before = sorted(codes_before[complaint.pk])
            after = sorted(code for code in set(prediction.labels) if code in category_ids)
            relabelled.append(complaint.pk)
            links += [
                through(complaint_id=complaint.pk, category_id=category_ids[c]) for c in after
            ]
            complaint.label_source = Complaint.LabelSource.MODEL
            complaint.confidence = prediction.confidence
            kinds = set(after)
            if before and before != after:
                label_events.append(
                    Event(
                        actor_role="system",
                        kind=Event.Kind.LABELS,
                        complaint=complaint,
                        data={"from": before, "to": after, "model_version_id": version_id},
                        public=False,
                        created_at=now,
                    )
                )
        complaint.priority = complaint_priority(
            complaint, kinds=kinds, evidence=evidence.get(complaint.pk, 0)
        )
        target = S.CLASSIFIED if prediction.confidence >= threshold else S.NEEDS_REVIEW
        if workflow.can_classify(complaint) and complaint.status != target:
            moves.append((complaint, target, *_labels_move(prediction, version_id)))
        else:
            stays.append(complaint)
    for pk in done:  # classified before (a second delivery): only the run ends
        complaints[pk].classification_attempts = 0
        complaints[pk].classification_started_at = None
        stays.append(complaints[pk])
    if relabelled:
        through.objects.filter(complaint_id__in=relabelled).delete()
        objects_insert(links)
    objects_insert(label_events)
    fields = (
        "classification_attempts",
        "classification_started_at",
        "classified_at",
        "label_source",
        "confidence",
        "priority",
    )
    complaints_move_many(
        moves=moves, actor_role="system", public=False, extra_fields=fields, at=now
    )
    if stays:
        for complaint in stays:
            complaint.updated_at = now
        objects_update(stays, [*fields, "updated_at"])
    if new:
        # What builds on fresh verdicts (clustering), named in settings, after commit.
        classified = sorted(c.complaint_id for c in new)
        linked = [pk for pk in classified if complaints[pk].app_id is not None]
        for task_name, wants in settings.COMPLAINTS_CLASSIFIED_TASKS.items():
            ids = linked if wants.get("linked_only") else classified
            if ids:
                enqueue_on_commit(task_name, ids, what=f"{task_name} for {len(ids)}")
    return result


def _predict(served: ServedModel, claimed: list[Claimed]) -> tuple[dict, list[int], Exception]:
    """Predictions for the claimed complaints: together, or one by one when the batch fails
    or a complaint's last run was lost (so one bad text cannot sink the others)."""
    predictions: dict[int, Prediction] = {}
    together = [c for c in claimed if c.interruptions == 0]
    alone = [c for c in claimed if c.interruptions > 0]
    if len(together) == 1:
        alone, together = alone + together, []
    if together:
        try:
            batch = served.model.predict_many([c.description for c in together])
            predictions.update(zip([c.pk for c in together], batch, strict=True))
        except Exception:  # noqa: BLE001 — find which text fails: each on its own below
            logger.warning("Batch of %s failed; classifying one by one.", len(together))
            alone += together
    failed, error = [], None
    for item in alone:
        try:
            predictions[item.pk] = served.model.predict_many([item.description])[0]
        except Exception as exc:  # noqa: BLE001 — counted as a failed attempt, then re-raised
            failed.append(item.pk)
            error = error or exc
    return predictions, failed, error


def complaints_classify(
    *,
    complaint_ids: Sequence[int],
    model_version_id: int | None = None,
    top_up: int = 0,
    at=None,
) -> dict[int, Classification]:
    """Classify these complaints (and up to `top_up` other waiting ones) with the active model.

    Returns the verdicts by complaint id; changes nothing when no version is active (the sweep
    tries again later). Complaints past CLASSIFIER_MAX_ATTEMPTS failed runs or
    CLASSIFIER_MAX_INTERRUPTIONS lost ones go to needs_review instead. A failing prediction
    counts an attempt for its complaint and is raised once the others are recorded.
    `model_version_id` names a version the caller knows is active (a reclassification after
    a new model), so this process reloads at once if it still serves an older one.
    """
    served = active_model(expected_version_id=model_version_id)
    if served is None:
        logger.info("No active classifier; %s complaint(s) wait.", len(complaint_ids))
        return {}
    claimed = _claim(complaint_ids, served.version_id, top_up=top_up, now=timezone.now())
    result = {}
    workable = []
    for item in claimed:
        if (
            item.attempts >= settings.CLASSIFIER_MAX_ATTEMPTS
            or item.interruptions > settings.CLASSIFIER_MAX_INTERRUPTIONS
        ):
            complaint_classification_give_up(
                complaint_id=item.pk, failures=item.attempts, lost=item.interruptions
            )
        else:
            workable.append(item)
    if not workable:
        return result
    try:
        predictions, failed, error = _predict(served, workable)
        if failed:
            _release(failed, failed=True)
        result = complaints_classification_apply(
            version_id=served.version_id, predictions=predictions, at=at
        )
    except Exception:
        # Not a lost worker (this one is alive): end the runs so the next is not counted so.
        _release([item.pk for item in workable])
        raise
    if error is not None:
        raise error
    return result
