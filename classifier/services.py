"""Registry writes: train and register a version, and activate or deactivate one through the
promotion gate. The command, the admin and the retraining task all come through here.
"""

import hashlib
import importlib.metadata
import logging
import platform
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from . import dataset, training
from .dataset import Example
from .evaluation import scores
from .models import ModelVersion
from .pipeline import ALGORITHMS, ArtifactError, LabelModel
from .serving import artifact_load

logger = logging.getLogger(__name__)

# A candidate may be this much worse (macro-F1 on the test split) than the active version
# and still replace it: re-training on a grown corpus moves scores by noise of about this size.
PROMOTION_TOLERANCE = 0.01
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "skops", "rjieba", "opencc-python-reimplemented")


class RegistryError(Exception):
    """A registry change that cannot be made; the message is translated and safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class GateRefused(RegistryError):
    """The candidate scores below the minimum or too far below the active version; the
    message says by how much."""

    def __init__(self, message: str, decision: "GateDecision"):
        super().__init__(message)
        self.decision = decision


class TrainingBusy(RegistryError):
    """Another training holds the training lock; this one was not started."""


# PostgreSQL advisory lock key of "a training is running" (any number unique to the platform).
TRAINING_LOCK_KEY = 0x4157_7472  # "AWtr"


@contextmanager
def _training_lock() -> Iterator[None]:
    """One training at a time across workers, the command and the admin: trainings take
    minutes of CPU, and two at once would both register a version. The lock belongs to this
    database session (PostgreSQL frees it if the process dies); on other databases, which run
    in one process here, there is nothing to take."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [TRAINING_LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise TrainingBusy(_("Another training is running; try again when it has finished."))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [TRAINING_LOCK_KEY])


def training_running() -> bool:
    """Whether any session holds the training lock (always False off PostgreSQL)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = 0 AND objid = %s AND objsubid = 1)",
            [TRAINING_LOCK_KEY],
        )
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class GateDecision:
    candidate_macro_f1: float
    active_version: str | None
    active_macro_f1: float | None
    test_size: int
    # settings.CLASSIFIER_MIN_MACRO_F1 when the gate ran: the floor even with nothing active.
    minimum_macro_f1: float = 0.0

    @property
    def reaches_minimum(self) -> bool:
        return self.candidate_macro_f1 >= self.minimum_macro_f1

    @property
    def passed(self) -> bool:
        return self.reaches_minimum and (
            self.active_macro_f1 is None
            or self.candidate_macro_f1 >= self.active_macro_f1 - PROMOTION_TOLERANCE
        )

    def as_dict(self) -> dict:
        return {
            "candidate_macro_f1": self.candidate_macro_f1,
            "active_version": self.active_version,
            "active_macro_f1": self.active_macro_f1,
            "test_size": self.test_size,
            "tolerance": PROMOTION_TOLERANCE,
            "minimum_macro_f1": self.minimum_macro_f1,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class TrainingOutcome:
    version: ModelVersion
    result: training.TrainingResult
    decision: GateDecision
    activated: bool


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def code_revision() -> str:
    """The git commit the code came from, or APPWATCH_REVISION where there is no checkout."""
    try:
        completed = subprocess.run(  # noqa: S603 — fixed argument list, no user input
            ["git", "rev-parse", "HEAD"],  # noqa: S607
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        completed = None
    if completed is not None and completed.returncode == 0:
        return completed.stdout.strip()
    import os

    return os.environ.get("APPWATCH_REVISION", "")


def _version_name(corpus_sha: str) -> str:
    # Local time (settings.TIME_ZONE), as every other date the admin shows.
    return f"{timezone.localtime():%Y%m%d-%H%M%S}-{corpus_sha[:8]}"


def model_version_register(
    *,
    result: training.TrainingResult,
    corpus_sha: str,
    counts: dict,
    trained_by=None,
    notes: str = "",
) -> ModelVersion:
    """Store a trained model as a candidate: artifact in the database and in the local cache."""
    data = result.model.dumps()
    version = ModelVersion(
        version=_version_name(corpus_sha),
        status=ModelVersion.Status.CANDIDATE,
        algorithm=result.best.algorithm,
        corpus_hash=corpus_sha,
        example_counts=counts,
        library_versions=library_versions(),
        code_revision=code_revision(),
        params={
            "pipeline": "normalise > char_wb 1-3 + jieba (rjieba) words 1-2 (negation marked) tf-idf + keyword lexicon > one-vs-rest calibrated (sigmoid)",
            "algorithm": result.best.algorithm,
            "folds": result.best.folds,
            "second_label_min": result.model.second_label_min,
            "labels": result.labels,
        },
        metrics=result.metrics,
        thresholds=result.best.thresholds,
        artifact=data,
        artifact_sha256=hashlib.sha256(data).hexdigest(),
        artifact_size=len(data),
        training_seconds=round(result.seconds, 2),
        trained_by=trained_by if trained_by is not None and trained_by.is_authenticated else None,
        notes=notes,
    )
    while ModelVersion.objects.filter(version=version.version).exists():
        version.version += "a"
    directory = Path(settings.CLASSIFIER_ARTIFACT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{version.version}.skops"
    path.write_bytes(data)
    version.artifact_path = str(path)
    version.save()
    return version


def gate_evaluate(
    *,
    candidate: ModelVersion,
    test: Sequence[Example] | None = None,
    candidate_model: LabelModel | None = None,
) -> GateDecision:
    """Score the candidate and the active version on the same, current test split.

    Comparing stored numbers would compare different test sets once the corpus grows.
    """
    if test is None:
        _, test = dataset.corpus_split(settings.CLASSIFIER_CORPUS_DIR)
    active = (
        ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
        .exclude(pk=candidate.pk)
        .first()
    )
    truth = [e.labels for e in test]
    texts = [e.text for e in test]

    def macro_f1(model: LabelModel) -> float:
        return scores(truth, model.predict_labels(texts), labels=model.labels, confusion=False)[
            "macro_f1"
        ]

    return GateDecision(
        candidate_macro_f1=macro_f1(candidate_model or artifact_load(candidate)),
        active_version=active.version if active else None,
        active_macro_f1=macro_f1(artifact_load(active)) if active else None,
        test_size=len(test),
        minimum_macro_f1=settings.CLASSIFIER_MIN_MACRO_F1,
    )


def _append_note(version: ModelVersion, line: str) -> None:
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    version.notes = f"{version.notes}\n{stamp} {line}".strip()


@transaction.atomic
def model_version_activate(
    *,
    version: ModelVersion,
    actor=None,
    force: bool = False,
    test: Sequence[Example] | None = None,
    candidate_model: LabelModel | None = None,
) -> GateDecision:
    """Make `version` the active one if it passes the gate (or `force`); retire the old one.

    Raises GateRefused, and leaves everything as it was, when the gate says no.
    """
    if version.status == ModelVersion.Status.ACTIVE:
        raise RegistryError(
            _("Version %(version)s is already active.") % {"version": version.version}
        )
    try:
        decision = gate_evaluate(candidate=version, test=test, candidate_model=candidate_model)
    except ArtifactError as exc:
        raise RegistryError(
            _("Version %(version)s cannot be loaded: %(error)s")
            % {"version": version.version, "error": exc}
        ) from exc
    # Lock the rows whose status changes, so two activations cannot both win.
    list(
        ModelVersion.objects.select_for_update()
        .filter(status=ModelVersion.Status.ACTIVE)
        .values_list("pk", flat=True)
    )
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    who = getattr(actor, "username", "") or "system"
    if not decision.reaches_minimum and not force:
        raise GateRefused(
            _(
                "Version %(version)s scores macro-F1 %(candidate).4f on the test split, below the "
                "minimum of %(minimum).2f (CLASSIFIER_MIN_MACRO_F1)."
            )
            % {
                "version": version.version,
                "candidate": decision.candidate_macro_f1,
                "minimum": decision.minimum_macro_f1,
            },
            decision,
        )
    if not decision.passed and not force:
        raise GateRefused(
            _(
                "Version %(version)s scores macro-F1 %(candidate).4f on the test split; the active "
                "version %(active)s scores %(active_f1).4f, and a new version may be at most "
                "%(tolerance).2f worse."
            )
            % {
                "version": version.version,
                "candidate": decision.candidate_macro_f1,
                "active": decision.active_version,
                "active_f1": decision.active_macro_f1,
                "tolerance": PROMOTION_TOLERANCE,
            },
            decision,
        )
    for previous in ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).exclude(
        pk=version.pk
    ):
        previous.status = ModelVersion.Status.RETIRED
        _append_note(previous, f"retired by {who}: replaced by {version.version}")
        previous.save(update_fields=["status", "notes"])
    version.status = ModelVersion.Status.ACTIVE
    version.activated_at = timezone.now()
    version.metrics = {
        **version.metrics,
        "gate": decision.as_dict() | {"forced": force and not decision.passed},
    }
    _append_note(
        version,
        f"activated by {who}: macro-F1 {decision.candidate_macro_f1:.4f} vs "
        f"{decision.active_version or 'none'} {decision.active_macro_f1 if decision.active_macro_f1 is not None else '-'}"
        + (" (forced)" if force and not decision.passed else ""),
    )
    version.save(update_fields=["status", "activated_at", "metrics", "notes"])
    logger.info("Model version %s activated by %s", version.version, who)
    return decision


@transaction.atomic
def model_version_deactivate(*, version: ModelVersion, actor=None) -> ModelVersion:
    """Retire the active version. With none active, complaints wait as submitted and the
    sweep classifies them once a version is activated again."""
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ModelVersion.Status.ACTIVE:
        raise RegistryError(_("Version %(version)s is not active.") % {"version": version.version})
    version.status = ModelVersion.Status.RETIRED
    _append_note(version, f"deactivated by {getattr(actor, 'username', '') or 'system'}")
    version.save(update_fields=["status", "notes"])
    return version


def confirmed_examples() -> list[Example]:
    """Regulator-confirmed examples from the platform (settings.CLASSIFIER_CONFIRMED_EXAMPLES)."""
    provider = getattr(settings, "CLASSIFIER_CONFIRMED_EXAMPLES", "")
    return list(import_string(provider)()) if provider else []


def model_train(
    *,
    extra_examples: Sequence[Example] = (),
    algorithms: tuple[str, ...] = ALGORITHMS,
    force: bool = False,
    activate: bool = True,
    trained_by=None,
    corpus_dir: Path | None = None,
) -> TrainingOutcome:
    """The recipe end to end: load and split the corpus, train, register, and promote through
    the gate. Extra examples (regulator-confirmed complaints) only ever join the training
    side; one whose text is in the test split is dropped.

    A candidate the gate refuses is kept as `rejected` with its figures, for the record.
    Raises TrainingBusy when another training is running.
    """
    with _training_lock():
        return _model_train(
            extra_examples=extra_examples,
            algorithms=algorithms,
            force=force,
            activate=activate,
            trained_by=trained_by,
            corpus_dir=corpus_dir,
        )


def _model_train(
    *, extra_examples, algorithms, force, activate, trained_by, corpus_dir
) -> TrainingOutcome:
    train, test = dataset.corpus_split(corpus_dir or settings.CLASSIFIER_CORPUS_DIR)
    test_keys = {e.split_key for e in test}
    corpus_keys = {e.split_key: i for i, e in enumerate(train)}
    confirmed = 0
    for example in extra_examples:
        if example.split_key in test_keys:
            continue
        if example.split_key in corpus_keys:  # a confirmed label overrides the corpus's
            train[corpus_keys[example.split_key]] = example
        else:
            corpus_keys[example.split_key] = len(train)
            train.append(example)
        confirmed += 1
    result = training.train(train, test, algorithms=algorithms)
    counts = dataset.example_counts(train, test, extra=confirmed)
    version = model_version_register(
        result=result,
        corpus_sha=dataset.corpus_hash([*train, *test]),
        counts=counts,
        trained_by=trained_by,
    )
    if not activate:
        return TrainingOutcome(
            version=version,
            result=result,
            decision=gate_evaluate(candidate=version, test=test, candidate_model=result.model),
            activated=False,
        )
    try:
        decision = model_version_activate(
            version=version, actor=trained_by, force=force, test=test, candidate_model=result.model
        )
    except GateRefused as refused:
        version.status = ModelVersion.Status.REJECTED
        version.metrics = {**version.metrics, "gate": refused.decision.as_dict()}
        _append_note(version, "rejected by the promotion gate")
        version.save(update_fields=["status", "metrics", "notes"])
        return TrainingOutcome(
            version=version, result=result, decision=refused.decision, activated=False
        )
    version.refresh_from_db()
    return TrainingOutcome(version=version, result=result, decision=decision, activated=True)


def model_train_with_confirmed(*, actor_id: int | None = None, force: bool = False) -> ModelVersion:
    """Retraining: the corpus plus regulator-confirmed complaints, through the same gate."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    outcome = model_train(extra_examples=confirmed_examples(), trained_by=actor, force=force)
    logger.info(
        "Retrained classifier %s on %s confirmed complaints: %s",
        outcome.version.version,
        outcome.version.example_counts.get("confirmed", 0),
        outcome.version.status,
    )
    return outcome.version
