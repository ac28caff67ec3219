"""The model-version admin: metrics on the page, activation through the gate, retraining."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from classifier import dataset
from classifier.models import ModelVersion
from classifier.services import model_version_register

from .helpers import activate_small_model, small_corpus, write_corpus
from .test_registry import scrambled_training

pytestmark = pytest.mark.django_db
V = ModelVersion.Status
CHANGELIST = "admin:classifier_modelversion_changelist"


@pytest.fixture
def corpus_dir(settings, tmp_path, model_dirs):
    train, test = small_corpus()
    directory = tmp_path / "corpus"
    write_corpus(directory, train, "train.jsonl")
    write_corpus(directory, test, "test.jsonl")
    dataset.split_record_write(test, dataset.split_record_path(directory))
    settings.CLASSIFIER_CORPUS_DIR = directory
    return directory


def _action(client, action, *versions, follow=True):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [v.pk for v in versions]},
        follow=follow,
        headers={"accept-language": "en"},
    )


def test_list_and_page_show_the_metrics(client, ada, active_version):
    client.force_login(ada)
    listing = client.get(reverse(CHANGELIST)).content.decode()
    assert active_version.version in listing
    assert f"{active_version.metrics['test']['macro_f1']:.4f}" in listing
    page = client.get(
        reverse("admin:classifier_modelversion_change", args=[active_version.pk])
    ).content.decode()
    assert "account_cancellation" in page  # per-label table and confusion matrix
    assert "linear_svm" in page and "keyword_baseline" in page  # candidates
    assert active_version.artifact_sha256 in page


def test_versions_cannot_be_added_by_hand(client, ada, db):
    client.force_login(ada)
    assert client.get(reverse("admin:classifier_modelversion_add")).status_code == 403


def test_activate_goes_through_the_gate(client, ada, corpus_dir):
    good = activate_small_model()
    worse = model_version_register(result=scrambled_training(), corpus_sha="e" * 64, counts={})
    client.force_login(ada)
    page = _action(client, "activate", worse).content.decode()
    assert "may be at most 0.01 worse" in page
    assert ModelVersion.objects.get(status=V.ACTIVE) == good
    page = _action(client, "activate_force", worse).content.decode()
    assert f"Version {worse.version} is active" in page
    assert ModelVersion.objects.get(status=V.ACTIVE) == worse
    page = _action(client, "activate", good).content.decode()
    assert f"Version {good.version} is active" in page
    assert ModelVersion.objects.get(pk=worse.pk).status == V.RETIRED


def test_activate_wants_exactly_one_version(client, ada, corpus_dir):
    one = activate_small_model()
    two = activate_small_model()
    client.force_login(ada)
    page = _action(client, "activate", one, two).content.decode()
    assert "Select exactly one version to activate." in page
    assert ModelVersion.objects.get(status=V.ACTIVE) == two


def test_deactivate(client, ada, active_version):
    client.force_login(ada)
    page = _action(client, "deactivate", active_version).content.decode()
    assert f"Version {active_version.version} is retired." in page
    page = _action(client, "deactivate", active_version).content.decode()
    assert "None of the selected versions is active." in page
    assert not ModelVersion.objects.filter(status=V.ACTIVE).exists()


def test_forcing_is_for_superusers_only(client, active_version):
    staff = User.objects.create_user("mia", password="pw", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_modelversion", "change_modelversion"])
    )
    client.force_login(staff)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert 'value="activate"' in page and 'value="activate_force"' not in page
    candidate = model_version_register(result=scrambled_training(), corpus_sha="e" * 64, counts={})
    response = _action(client, "activate_force", candidate, follow=False)
    assert response.status_code == 302  # Django answers "no action selected" for a hidden action
    assert ModelVersion.objects.get(pk=candidate.pk).status == V.CANDIDATE
    assert ModelVersion.objects.get(status=V.ACTIVE) == active_version


def test_retrain_runs_the_task_and_registers_a_version(
    client, ada, corpus_dir, eager_tasks, active_version
):
    client.force_login(ada)
    page = _action(client, "retrain", active_version).content.decode()
    assert "Retraining started." in page
    newest = ModelVersion.objects.exclude(pk=active_version.pk).get()
    assert newest.trained_by == ada
    assert newest.status in (V.ACTIVE, V.REJECTED)
    assert newest.example_counts["test"] == len(small_corpus()[1])


def test_anonymous_and_non_staff_are_sent_to_login(client, alice, active_version):
    assert client.get(reverse(CHANGELIST)).status_code == 302
    client.force_login(alice)
    assert client.get(reverse(CHANGELIST)).status_code == 302
    assert _action(client, "deactivate", active_version, follow=False).status_code == 302
    assert ModelVersion.objects.get(pk=active_version.pk).status == V.ACTIVE
