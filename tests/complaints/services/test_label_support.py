"""Relabels backed by the text (issue 13, item 16): a regulator who gives a labelled complaint
a category its text does not back (no keyword, little weight from the classifier) confirms it
with a reason, and the reason is shown with the relabel; backed relabels need none."""

import pytest
from django.utils import translation

from classifier.models import ModelVersion
from complaints.errors import DomainError
from complaints.models import Classification, Complaint, Event
from complaints.services import triage
from tests.factories import category, make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PERMISSIONS_TEXT = "这个应用一直索取通讯录权限，不给就闪退。"


@pytest.fixture
def labelled(app):
    """A complaint about permissions, labelled so by the classifier."""
    complaint = make_complaint(app=app, description=PERMISSIONS_TEXT)
    complaint.categories.set([category("over_permission")])
    return complaint


def _relabel_event(complaint) -> Event:
    return complaint.events.get(kind=Event.Kind.LABELS)


def test_an_unbacked_label_needs_a_reason(labelled, rita):
    with pytest.raises(DomainError) as refused:
        triage.complaint_accept(complaint=labelled, actor=rita, category_codes=["fraud"])
    assert refused.value.field == "relabel_reason"
    assert "does not back “Online fraud”" in refused.value.message
    labelled.refresh_from_db()
    assert labelled.status != Complaint.Status.ACCEPTED
    assert list(labelled.categories.values_list("code", flat=True)) == ["over_permission"]
    assert not labelled.events.filter(kind=Event.Kind.LABELS).exists()


def test_with_a_reason_the_relabel_stands_and_says_so(labelled, rita):
    triage.complaint_accept(
        complaint=labelled,
        actor=rita,
        category_codes=["fraud"],
        relabel_reason="The consumer said on the hotline that money was taken.",
    )
    labelled.refresh_from_db()
    assert labelled.status == Complaint.Status.ACCEPTED
    event = _relabel_event(labelled)
    assert event.data["unbacked"] == ["fraud"]
    assert event.reason == "The consumer said on the hotline that money was taken."
    assert event.text.startswith("Labelled Online fraud although the text does not back it")
    assert event.text.endswith("money was taken.")
    with translation.override("zh-hans"):
        assert "网络诈骗" in event.text


def test_a_keyword_in_the_text_backs_the_label(app, rita):
    complaint = make_complaint(app=app, description="应用在后台读取剪贴板，还索取通讯录权限。")
    complaint.categories.set([category("over_permission")])
    triage.complaint_accept(
        complaint=complaint,
        actor=rita,
        category_codes=["over_permission", "illegal_collection"],
    )
    event = _relabel_event(complaint)
    assert "unbacked" not in event.data and event.reason == "" and event.message == {}


def test_the_classifiers_weight_backs_the_label(labelled, rita):
    version = ModelVersion.objects.create(version="t-1")
    Classification.objects.create(
        complaint=labelled,
        model_version=version,
        labels=["over_permission"],
        probabilities={"over_permission": 0.8, "illegal_collection": 0.3, "fraud": 0.02},
        confidence=0.8,
    )
    triage.complaint_accept(complaint=labelled, actor=rita, category_codes=["illegal_collection"])
    labelled.refresh_from_db()
    assert labelled.status == Complaint.Status.ACCEPTED


def test_other_and_the_first_labels_need_no_reason(app, labelled, rita):
    triage.complaint_accept(complaint=labelled, actor=rita, category_codes=["other"])
    unlabelled = make_complaint(app=app, description=PERMISSIONS_TEXT)
    triage.complaint_accept(complaint=unlabelled, actor=rita, category_codes=["fraud"])
    assert unlabelled.status == Complaint.Status.ACCEPTED


def test_the_api_asks_for_the_reason_and_takes_it(labelled, rita):
    client = Client()
    client.force_login(rita)
    url = f"/api/v1/triage/{labelled.pk}/accept/"
    refused = client.post(url, {"categories": ["fraud"]}, content_type="application/json")
    assert refused.status_code == 400
    assert "relabel_reason" in refused.content.decode()
    accepted = client.post(
        url,
        {"categories": ["fraud"], "relabel_reason": "Confirmed with the operator."},
        content_type="application/json",
    )
    assert accepted.status_code == 200, accepted.content
    assert _relabel_event(labelled).reason == "Confirmed with the operator."
