"""One training at a time: a second one, from the command, the weekly task or the admin, is
turned away while another session holds the training lock, and registers nothing."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from classifier import dataset
from classifier.models import ModelVersion
from classifier.services import (
    TRAINING_LOCK_KEY,
    TrainingBusy,
    model_train,
    training_running,
)
from complaints.tasks import retrain_classifier

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.usefixtures("english")]


@pytest.fixture
def busy(other_session):
    """Another worker in the middle of a training."""
    other_session.execute("SELECT pg_advisory_lock(%s)", [TRAINING_LOCK_KEY])
    yield
    other_session.execute("SELECT pg_advisory_unlock(%s)", [TRAINING_LOCK_KEY])


def test_a_second_training_is_turned_away(busy):
    assert training_running()
    with pytest.raises(TrainingBusy, match="Another training is running"):
        model_train()
    with pytest.raises(CommandError, match="Another training is running"):
        call_command("train_classifier")
    assert retrain_classifier(force=True) == "skipped: another training is running"
    assert not ModelVersion.objects.exists()


def test_admin_says_a_training_is_running_and_starts_none(client, ada, busy, active_version):
    client.force_login(ada)
    page = client.post(
        reverse("admin:classifier_modelversion_changelist"),
        {"action": "retrain", "_selected_action": [active_version.pk]},
        follow=True,
        headers={"accept-language": "en"},
    ).content.decode()
    assert "A training is already running" in page
    assert "Retraining started." not in page
    assert list(ModelVersion.objects.all()) == [active_version]


def test_the_lock_is_let_go_when_a_training_fails(settings, tmp_path, other_session):
    settings.CLASSIFIER_CORPUS_DIR = tmp_path  # no corpus files: the training cannot start
    with pytest.raises(dataset.CorpusError):
        model_train()
    assert not training_running()
    taken = other_session.execute("SELECT pg_try_advisory_lock(%s)", [TRAINING_LOCK_KEY])
    assert taken.fetchone()[0] is True
    other_session.execute("SELECT pg_advisory_unlock(%s)", [TRAINING_LOCK_KEY])
