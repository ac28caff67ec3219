"""A small real model for tests: a slice of the real corpus, trained once per test process.

Training on the whole corpus takes about a minute; a few dozen examples per label train in
seconds and still classify plain complaints correctly.
"""

import functools
import json
from pathlib import Path

import pytest

from classifier import dataset, training
from classifier.dataset import Example
from classifier.serving import served_model_forget

LABELS = (
    "account_cancellation",
    "data_sharing_leak",
    "fraud",
    "illegal_collection",
    "misleading_popups",
    "other",
    "over_permission",
    "price_discrimination",
    "unauthorized_charges",
)

# Plain complaints any version of the model must get right.
OBVIOUS = {
    "account_cancellation": "想注销账号，可是app里根本找不到注销入口，客服说注销要先提交身份证照片，还要等三十天。",
    "over_permission": "这个APP不给通讯录和定位权限就不能用，拒绝一次就闪退，每次打开都反复弹窗索取权限。",
    "unauthorized_charges": "I was charged for an auto-renewing subscription I never agreed to, and the app makes it impossible to cancel.",
}


def _slice(examples: list[Example], per_label: int) -> list[Example]:
    """Deterministic: per label, the first examples by split key, single-label ones first."""
    chosen: dict[str, Example] = {}
    for label in LABELS:
        having = sorted(
            (e for e in examples if label in e.labels), key=lambda e: (len(e.labels), e.split_key)
        )
        for example in having[:per_label]:
            chosen[example.split_key] = example
    return sorted(chosen.values(), key=lambda e: e.split_key)


@functools.cache
def small_corpus(
    per_label: int = 30, test_per_label: int = 6
) -> tuple[list[Example], list[Example]]:
    train, test = dataset.corpus_split()
    return _slice(train, per_label), _slice(test, test_per_label)


@functools.cache
def small_training(algorithms: tuple[str, ...] = ("linear_svm",)) -> training.TrainingResult:
    train, test = small_corpus()
    return training.train(train, test, algorithms=algorithms)


def write_corpus(directory: Path, examples: list[Example], name: str = "slice.jsonl") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    with path.open("w", encoding="utf-8") as out:
        for e in examples:
            out.write(
                json.dumps(
                    {"text": e.text, "labels": list(e.labels), "lang": e.lang}, ensure_ascii=False
                )
                + "\n"
            )
    return path


def activate_small_model(*, actor=None):
    """Register the small model and make it the active version (through the real gate)."""
    from classifier.services import model_version_activate, model_version_register

    result = small_training()
    _, test = small_corpus()
    version = model_version_register(
        result=result, corpus_sha="0" * 64, counts={"train": 0, "test": len(test)}, trained_by=actor
    )
    model_version_activate(
        version=version, actor=actor, test=test, force=True, candidate_model=result.model
    )
    version.refresh_from_db()
    return version


@pytest.fixture
def model_dirs(settings, tmp_path):
    """Artifacts in a temporary directory, and no model left loaded from another test.

    The small model scores about 0.80 macro-F1 on its slice, right at the gate's default
    minimum, so the minimum is off here; tests of the minimum set it themselves.
    """
    settings.CLASSIFIER_ARTIFACT_DIR = tmp_path / "models"
    settings.CLASSIFIER_MIN_MACRO_F1 = 0.0
    settings.CLASSIFIER_ACTIVE_CHECK_SECONDS = 0
    served_model_forget()
    yield tmp_path
    served_model_forget()


@pytest.fixture
def active_version(db, model_dirs):
    return activate_small_model()


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process even when a broker is configured (CI sets one)."""
    from config.celery import app as celery_app

    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved
