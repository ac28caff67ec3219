"""The registry: one active version by constraint, the promotion gate both ways, artifacts in
the database and on disk, and the serving cache that follows the active version."""

import functools
import hashlib
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from classifier import dataset, serving, training
from classifier.models import ModelVersion
from classifier.pipeline import ArtifactError
from classifier.services import (
    GateRefused,
    RegistryError,
    model_train,
    model_version_activate,
    model_version_deactivate,
    model_version_register,
)

from .helpers import (
    LABELS,
    OBVIOUS,
    activate_small_model,
    small_corpus,
    small_training,
    write_corpus,
)

pytestmark = pytest.mark.django_db
V = ModelVersion.Status


@pytest.fixture(autouse=True)
def _dirs(model_dirs):
    return model_dirs


def _scrambled(examples):
    """The same texts with every label swapped for the next one: a model that learns nothing useful."""
    shift = {label: LABELS[(i + 1) % len(LABELS)] for i, label in enumerate(LABELS)}
    return [
        dataset.Example(text=e.text, labels=tuple(sorted(shift[x] for x in e.labels)), lang=e.lang)
        for e in examples
    ]


@functools.cache
def scrambled_training():
    train, test = small_corpus()
    return training.train(_scrambled(train), test, algorithms=("linear_svm",))


def _register(result):
    return model_version_register(result=result, corpus_sha="f" * 64, counts={})


def test_only_one_version_can_be_active():
    ModelVersion.objects.create(version="a", status=V.ACTIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(version="b", status=V.ACTIVE)
    ModelVersion.objects.create(version="c", status=V.RETIRED)
    ModelVersion.objects.create(version="d", status=V.RETIRED)


def test_register_keeps_the_artifact_in_the_database_and_on_disk():
    version = _register(small_training())
    data = bytes(ModelVersion.objects.values_list("artifact", flat=True).get(pk=version.pk))
    assert hashlib.sha256(data).hexdigest() == version.artifact_sha256
    assert Path(version.artifact_path).read_bytes() == data
    assert version.artifact_size == len(data)
    assert version.status == V.CANDIDATE
    assert version.metrics["test"]["macro_f1"] == small_training().best.test["macro_f1"]
    assert {"scikit-learn", "skops", "rjieba", "python"} <= set(version.library_versions)
    assert version.params["labels"] == list(LABELS)


def test_artifact_comes_from_the_database_when_the_file_is_missing_or_altered():
    version = _register(small_training())
    path = Path(version.artifact_path)
    path.unlink()
    model = serving.artifact_load(version)
    assert "over_permission" in model.predict(OBVIOUS["over_permission"]).labels
    assert path.exists()  # cached again
    path.write_bytes(b"tampered")
    assert serving.artifact_load(version).labels == list(LABELS)
    ModelVersion.objects.filter(pk=version.pk).update(artifact=b"tampered too")
    path.unlink()
    with pytest.raises(ArtifactError, match="does not match its checksum"):
        serving.artifact_load(version)


def test_gate_refuses_a_worse_candidate_and_changes_nothing():
    good = activate_small_model()
    worse = _register(scrambled_training())
    _, test = small_corpus()
    with (
        translation.override("en"),
        pytest.raises(GateRefused, match=r"may be at most 0.01 worse") as refused,
    ):
        model_version_activate(version=worse, test=test)
    assert refused.value.decision.active_version == good.version
    assert refused.value.decision.candidate_macro_f1 < refused.value.decision.active_macro_f1 - 0.01
    good.refresh_from_db()
    worse.refresh_from_db()
    assert (good.status, worse.status) == (V.ACTIVE, V.CANDIDATE)


def test_force_overrides_the_gate_and_retires_the_old_version(ada):
    good = activate_small_model()
    worse = _register(scrambled_training())
    decision = model_version_activate(version=worse, test=small_corpus()[1], force=True, actor=ada)
    assert not decision.passed
    good.refresh_from_db()
    worse.refresh_from_db()
    assert (good.status, worse.status) == (V.RETIRED, V.ACTIVE)
    assert worse.metrics["gate"]["forced"] is True
    assert "activated by ada" in worse.notes and "(forced)" in worse.notes


def test_gate_lets_a_better_candidate_through():
    worse = _register(scrambled_training())
    model_version_activate(version=worse, test=small_corpus()[1])  # nothing active: passes
    better = _register(small_training())
    decision = model_version_activate(version=better, test=small_corpus()[1])
    assert decision.passed and decision.active_version == worse.version
    assert ModelVersion.objects.get(status=V.ACTIVE) == better


def test_with_nothing_active_a_candidate_below_the_minimum_is_refused(settings):
    settings.CLASSIFIER_MIN_MACRO_F1 = 0.80
    worse = _register(scrambled_training())  # about 0.04
    with (
        translation.override("en"),
        pytest.raises(
            GateRefused,
            match=r"scores macro-F1 0\.0\d{3} on the test split, below the minimum of 0\.80 ",
        ) as refused,
    ):
        model_version_activate(version=worse, test=small_corpus()[1])
    assert refused.value.decision.active_version is None
    assert refused.value.decision.minimum_macro_f1 == 0.80
    worse.refresh_from_db()
    assert worse.status == V.CANDIDATE
    assert not ModelVersion.objects.filter(status=V.ACTIVE).exists()


def test_train_with_nothing_active_rejects_below_the_minimum_and_activates_above(
    tmp_path, settings
):
    train, test = small_corpus()  # the small model scores 0.80 on this slice
    settings.CLASSIFIER_MIN_MACRO_F1 = 0.85
    below = model_train(
        corpus_dir=_corpus_dir(tmp_path / "a", train, test), algorithms=("linear_svm",)
    )
    assert not below.activated and below.version.status == V.REJECTED
    assert below.version.metrics["gate"]["minimum_macro_f1"] == 0.85
    assert below.version.metrics["gate"]["active_version"] is None
    assert below.version.metrics["gate"]["passed"] is False
    assert not ModelVersion.objects.filter(status=V.ACTIVE).exists()
    settings.CLASSIFIER_MIN_MACRO_F1 = 0.75
    above = model_train(
        corpus_dir=_corpus_dir(tmp_path / "b", train, test), algorithms=("linear_svm",)
    )
    assert above.activated and above.version.status == V.ACTIVE
    assert above.version.metrics["gate"]["minimum_macro_f1"] == 0.75


def test_activating_what_cannot_be_loaded_or_is_active_is_refused():
    empty = ModelVersion.objects.create(version="no-artifact", status=V.RETIRED)
    with translation.override("en"), pytest.raises(RegistryError, match="cannot be loaded"):
        model_version_activate(version=empty, test=small_corpus()[1])
    active = activate_small_model()
    with translation.override("en"), pytest.raises(RegistryError, match="is already active"):
        model_version_activate(version=active, test=small_corpus()[1])


def test_deactivate_leaves_no_version_active():
    version = activate_small_model()
    model_version_deactivate(version=version)
    assert not ModelVersion.objects.filter(status=V.ACTIVE).exists()
    with translation.override("en"), pytest.raises(RegistryError, match="is not active"):
        model_version_deactivate(version=version)


def _corpus_dir(tmp_path, train, test):
    directory = tmp_path / "corpus"
    write_corpus(directory, train, "train.jsonl")
    write_corpus(directory, test, "test.jsonl")
    dataset.split_record_write(test, dataset.split_record_path(directory))
    return directory


def test_train_registers_and_promotes_then_rejects_a_worse_run(tmp_path):
    train, test = small_corpus()
    outcome = model_train(
        corpus_dir=_corpus_dir(tmp_path / "good", train, test), algorithms=("linear_svm",)
    )
    assert outcome.activated and outcome.version.status == V.ACTIVE
    assert outcome.version.example_counts["test"] == len(test)
    assert outcome.version.example_counts["train"] == len(train)
    bad = model_train(
        corpus_dir=_corpus_dir(tmp_path / "bad", _scrambled(train), test),
        algorithms=("linear_svm",),
    )
    assert not bad.activated and bad.version.status == V.REJECTED
    assert bad.version.metrics["gate"]["passed"] is False
    assert ModelVersion.objects.get(status=V.ACTIVE) == outcome.version
    forced = model_train(
        corpus_dir=_corpus_dir(tmp_path / "bad", _scrambled(train), test),
        algorithms=("linear_svm",),
        force=True,
    )
    assert forced.activated and ModelVersion.objects.get(status=V.ACTIVE) == forced.version


def test_confirmed_examples_join_training_but_never_from_the_test_split(tmp_path):
    train, test = small_corpus()
    fresh = dataset.Example(
        text="这个借贷app冒充银行客服让我转账到安全账户", labels=("fraud",), lang="zh"
    )
    overriding = dataset.Example(text=train[0].text, labels=("other",), lang=train[0].lang)
    leaked = dataset.Example(text=test[0].text, labels=("fraud",), lang=test[0].lang)
    outcome = model_train(
        corpus_dir=_corpus_dir(tmp_path, train, test),
        algorithms=("linear_svm",),
        extra_examples=[fresh, overriding, leaked],
        activate=False,
    )
    counts = outcome.version.example_counts
    assert counts["confirmed"] == 2
    assert counts["train"] == len(train) + 1  # the override replaced its corpus twin
    assert counts["test"] == len(test)
    assert outcome.version.status == V.CANDIDATE


def test_serving_loads_once_and_follows_the_active_version(settings):
    assert serving.active_model() is None
    first = activate_small_model()
    served = serving.active_model()
    assert served.version_id == first.pk
    assert serving.active_model() is served  # loaded once
    second = activate_small_model()
    assert serving.active_model().version_id == second.pk
    # With a long grace period the process keeps its model, unless told a newer one is active.
    settings.CLASSIFIER_ACTIVE_CHECK_SECONDS = 3600
    third = activate_small_model()
    assert serving.active_model().version_id == second.pk
    assert serving.active_model(expected_version_id=third.pk).version_id == third.pk
    model_version_deactivate(version=third)
    assert serving.active_model(refresh=True) is None
