"""Tracking: the status page and its actions, and the consumer services behind them."""

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from complaints.errors import Conflict, DomainError
from complaints.models import Classification, Complaint, Event, Evidence
from complaints.selectors.consumers import complaint_by_token, consumer_timeline
from complaints.services import consumers, operators, triage
from complaints.services.consumers import TOMBSTONE
from complaints.services.evidence import evidence_clean
from tests.factories import category, make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.usefixtures("english")

S = Complaint.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def jpeg(name="shot.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "red").save(out, "JPEG")
    out.name = name
    out.seek(0)
    return out


def clean_jpeg():
    data = jpeg().getvalue()
    return evidence_clean(name="a.jpg", stream=io.BytesIO(data), size=len(data))


def with_access(client, complaint):
    response = client.get(
        reverse("track_detail", args=[complaint.tracking_number]) + "?t=" + complaint.test_token
    )
    assert response.status_code == 302
    return client


def detail(client, complaint):
    return client.get(reverse("track_detail", args=[complaint.tracking_number]))


def post(client, complaint, action, data=None):
    return client.post(reverse(f"track_{action}", args=[complaint.tracking_number]), data or {})


# --- look-up and access --------------------------------------------------------------------------


def test_lookup_with_number_and_code_opens_the_page(en, app):
    complaint = make_complaint(app=app)
    response = en.post(
        reverse("track"),
        {"tracking_number": complaint.tracking_number.lower(), "token": complaint.test_token},
    )
    assert response["Location"] == reverse("track_detail", args=[complaint.tracking_number])
    page = detail(en, complaint).content.decode()
    assert "We received your complaint." in page and complaint.tracking_number in page


@pytest.mark.parametrize("case", ["wrong token", "unknown number"])
def test_lookup_failure_says_the_same_for_wrong_token_and_unknown_number(en, app, case):
    complaint = make_complaint(app=app)
    number = complaint.tracking_number if case == "wrong token" else "AW-000000-XXXXXX"
    token = "wrong" if case == "wrong token" else complaint.test_token
    response = en.post(reverse("track"), {"tracking_number": number, "token": token})
    assert response.status_code == 404
    assert (
        "We found no complaint with this tracking number and access code."
        in response.content.decode()
    )


def test_lookup_requires_both_fields(en, db):
    response = en.post(reverse("track"), {})
    assert (
        response.status_code == 200
        and response.content.decode().count("This field is required.") >= 2
    )


def test_private_link_token_leaves_the_address_bar(en, app):
    complaint = make_complaint(app=app)
    response = en.get(
        reverse("track_detail", args=[complaint.tracking_number]) + "?t=" + complaint.test_token
    )
    assert response["Location"] == reverse("track_detail", args=[complaint.tracking_number])


def test_without_access_the_page_is_a_404_like_an_unknown_number(en, app, bob):
    complaint = make_complaint(app=app)
    assert detail(en, complaint).status_code == 404
    assert (
        en.get(reverse("track_detail", args=[complaint.tracking_number]) + "?t=nope").status_code
        == 404
    )
    assert en.get(reverse("track_detail", args=["AW-000000-XXXXXX"])).status_code == 404
    en.force_login(bob)  # someone else's complaint
    assert detail(en, complaint).status_code == 404
    assert post(en, complaint, "withdraw").status_code == 404


def test_the_owner_needs_no_token(en, app, alice):
    complaint = make_complaint(app=app, submitter=alice)
    en.force_login(alice)
    assert detail(en, complaint).status_code == 200


def test_contact_details_are_shown_masked(en, app):
    complaint = make_complaint(
        app=app, contact_phone="13812345678", contact_email="alice@example.com"
    )
    page = detail(with_access(en, complaint), complaint).content.decode()
    assert "138****5678" in page and "a***@example.com" in page
    assert "13812345678" not in page and "alice@example.com" not in page


def test_actions_refuse_get(en, app):
    complaint = make_complaint(app=app)
    with_access(en, complaint)
    for action in ("info", "withdraw", "confirm", "dispute", "rate", "erase"):
        assert (
            en.get(reverse(f"track_{action}", args=[complaint.tracking_number])).status_code == 405
        )


# --- withdraw --------------------------------------------------------------------------------------


def test_withdraw(en, app):
    complaint = make_complaint(app=app)
    with_access(en, complaint)
    response = post(en, complaint, "withdraw", {"reason": "已经退款了"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == S.WITHDRAWN and complaint.closed_at is not None
    event = complaint.events.get(to_status=S.WITHDRAWN)
    assert (event.actor_role, event.reason) == ("consumer", "已经退款了")
    page = detail(en, complaint).content.decode()
    assert "You withdrew your complaint." in page and "Withdraw my complaint" not in page


def test_withdraw_twice_is_refused(app):
    complaint = make_complaint(app=app)
    consumers.complaint_withdraw(complaint=complaint)
    with pytest.raises(Conflict, match="This complaint can no longer be withdrawn."):
        consumers.complaint_withdraw(complaint=complaint)


# --- a question from the regulator ---------------------------------------------------------------


def test_answering_a_question_with_a_file(en, app, rita):
    complaint = make_complaint(app=app)
    triage.complaint_request_info(complaint=complaint, actor=rita, question="请提供扣费截图")
    with_access(en, complaint)
    page = detail(en, complaint).content.decode()
    assert "请提供扣费截图" in page and "Send my answer" in page
    response = en.post(
        reverse("track_info", args=[complaint.tracking_number]),
        {"text": "截图已上传", "files": [jpeg()]},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == S.NEEDS_REVIEW
    assert Evidence.objects.filter(complaint=complaint).count() == 1
    titles = [entry.title for entry in consumer_timeline(complaint)]
    assert titles[-3:] == [
        "We need more information from you.",
        "1 file was added.",
        "You sent the information we asked for; a regulator will look at it again.",
    ]


def test_answer_is_required(en, app, rita):
    complaint = make_complaint(app=app)
    triage.complaint_request_info(complaint=complaint, actor=rita, question="?")
    response = post(with_access(en, complaint), complaint, "info", {"text": ""})
    assert response.status_code == 400 and "Write your answer." in response.content.decode()


def test_answer_when_nobody_asked_is_refused(en, app):
    complaint = make_complaint(app=app)
    response = post(with_access(en, complaint), complaint, "info", {"text": "补充"})
    assert response.status_code == 302
    page = en.get(response["Location"]).content.decode()
    assert "Nobody has asked for more information on this complaint." in page
    assert Complaint.objects.get().status == S.SUBMITTED


# --- operator answers: confirm or dispute --------------------------------------------------------


@pytest.fixture
def answered(app, rita, olivia):
    complaint = make_complaint(app=app, consent_share_with_operator=True)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
    complaint.refresh_from_db()
    operators.complaint_answer(
        complaint=complaint, actor=olivia, text="已在 3.2 版修复", closure_code="fixed"
    )
    complaint.refresh_from_db()
    return complaint


def test_confirm_the_answer_with_a_rating(en, answered):
    page = detail(with_access(en, answered), answered).content.decode()
    assert "The app&#x27;s operator answered your complaint." in page and "已在 3.2 版修复" in page
    assert post(en, answered, "confirm", {"rating": "4"}).status_code == 302
    answered.refresh_from_db()
    assert (answered.status, answered.rating) == (S.CLOSED, 4)


def test_dispute_the_answer(en, answered):
    with_access(en, answered)
    response = post(en, answered, "dispute", {"reason": ""})
    assert (
        response.status_code == 400
        and "Say why the answer does not resolve your complaint." in response.content.decode()
    )
    post(en, answered, "dispute", {"reason": "问题依旧"})
    answered.refresh_from_db()
    assert answered.status == S.DISPUTED


def test_confirm_without_an_answer_is_refused(en, app):
    complaint = make_complaint(app=app)
    response = post(with_access(en, complaint), complaint, "confirm", {})
    assert "There is no answer to confirm." in en.get(response["Location"]).content.decode()
    assert Complaint.objects.get().status == S.SUBMITTED


# --- rating ----------------------------------------------------------------------------------------


def test_rate_a_closed_complaint_once(en, app, rita):
    complaint = make_complaint(app=app)
    triage.complaint_reject(complaint=complaint, actor=rita, reason="out_of_remit")
    with_access(en, complaint)
    assert post(en, complaint, "rate", {"rating": "9"}).status_code == 400
    assert post(en, complaint, "rate", {"rating": "2", "comment": "太慢"}).status_code == 302
    complaint.refresh_from_db()
    assert (complaint.rating, complaint.rating_comment) == (2, "太慢")
    assert "You rated the outcome 2 out of 5." in detail(en, complaint).content.decode()
    with pytest.raises(Conflict, match="You have already rated this complaint."):
        consumers.complaint_rate(complaint=complaint, rating=3)


def test_rating_an_open_complaint_is_refused(app):
    complaint = make_complaint(app=app)
    with pytest.raises(Conflict, match="You can rate the outcome once your complaint is closed."):
        consumers.complaint_rate(complaint=complaint, rating=5)


def test_rating_out_of_range(app, rita):
    complaint = make_complaint(app=app)
    triage.complaint_reject(complaint=complaint, actor=rita, reason="spam")
    with pytest.raises(DomainError, match="Rate from 1 to 5."):
        consumers.complaint_rate(complaint=complaint, rating=0)


# --- erasure --------------------------------------------------------------------------------------


def test_erasure_keeps_statistics_and_removes_personal_data(en, app, alice, rita, media):
    complaint = make_complaint(
        app=app,
        submitter=alice,
        description="我的手机13812345678被盗刷",
        contact_name="王女士",
        contact_phone="13812345678",
        contact_email="w@example.com",
        details={"scam_phones": ["17000001111"]},
        category_hint=category("fraud"),
        evidence=[clean_jpeg()],
    )
    triage.complaint_request_info(complaint=complaint, actor=rita, question="哪天?")
    consumers.complaint_info_add(
        complaint=complaint, text="5月1日，我的身份证号也泄露了", actor=alice
    )
    stored = Evidence.objects.get(complaint=complaint).file.name
    en.force_login(alice)
    response = post(en, complaint, "erase", {"confirm": "on"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.description == TOMBSTONE and complaint.masked_text == TOMBSTONE
    assert (
        complaint.contact_name,
        complaint.contact_phone,
        complaint.contact_email,
        complaint.details,
    ) == ("", "", "", {})
    assert complaint.submitter is None and complaint.erased_at is not None
    assert complaint.status == S.WITHDRAWN
    # Kept for statistics.
    assert (
        complaint.app == app and complaint.category_hint.code == "fraud" and complaint.submitted_at
    )
    assert (
        not Evidence.objects.filter(complaint=complaint).exists() and not (media / stored).exists()
    )
    assert not Event.objects.filter(complaint=complaint, actor=alice).exists()
    assert not Event.objects.filter(complaint=complaint, reason__contains="身份证").exists()
    assert Event.objects.filter(complaint=complaint, kind=Event.Kind.ERASURE).count() == 1
    # The consumer still sees the page (through the session), now saying what happened.
    page = en.get(response["Location"]).content.decode()
    assert "Your personal data in this complaint was erased" in page and "13812345678" not in page


def test_erasure_needs_the_confirmation_box(en, app):
    complaint = make_complaint(app=app)
    response = post(with_access(en, complaint), complaint, "erase", {})
    assert response.status_code == 400 and "Tick the box to confirm." in response.content.decode()
    assert Complaint.objects.get().erased_at is None


def test_erasure_twice_is_refused(app):
    complaint = make_complaint(app=app)
    consumers.complaint_erase(complaint=complaint)
    with pytest.raises(Conflict, match="already been erased"):
        consumers.complaint_erase(complaint=complaint)


def test_erasure_of_a_closed_complaint_keeps_its_status(app, rita):
    complaint = make_complaint(app=app)
    triage.complaint_reject(complaint=complaint, actor=rita, reason="spam")
    consumers.complaint_erase(complaint=complaint)
    complaint.refresh_from_db()
    assert complaint.status == S.REJECTED and complaint.is_erased


def test_erasure_clears_the_classifier_explanation(app):
    from classifier.models import ModelVersion

    complaint = make_complaint(app=app)
    version = ModelVersion.objects.create(version="t1", status="retired")
    Classification.objects.create(
        complaint=complaint,
        model_version=version,
        labels=["fraud"],
        confidence=0.9,
        explanation={"fraud": ["盗刷", "13812345678"]},
    )
    consumers.complaint_erase(complaint=complaint)
    assert Classification.objects.get(complaint=complaint).explanation == {}


# --- token checks ----------------------------------------------------------------------------------


def test_token_check(app):
    complaint = make_complaint(app=app)
    assert (
        complaint_by_token(tracking_number=complaint.tracking_number, token=complaint.test_token)
        == complaint
    )
    assert (
        complaint_by_token(
            tracking_number=complaint.tracking_number.lower(), token=complaint.test_token
        )
        == complaint
    )
    assert complaint_by_token(tracking_number=complaint.tracking_number, token="") is None
    assert (
        complaint_by_token(
            tracking_number=complaint.tracking_number, token=complaint.test_token + "x"
        )
        is None
    )
    assert (
        complaint_by_token(tracking_number="AW-000000-XXXXXX", token=complaint.test_token) is None
    )


def test_timeline_shows_only_public_events_in_plain_words(app, rita):
    complaint = make_complaint(app=app)
    Event.objects.create(complaint=complaint, kind=Event.Kind.NOTE, reason="内部备注", public=False)
    triage.complaint_reject(
        complaint=complaint, actor=rita, reason="insufficient", note="信息不足，无法核实"
    )
    entries = consumer_timeline(complaint)
    assert [e.title for e in entries] == [
        "We received your complaint.",
        "Your complaint was not accepted.",
    ]
    assert entries[-1].detail == "信息不足，无法核实"
    assert all("内部备注" not in e.detail for e in entries)


def test_xss_in_an_answer_is_escaped(en, app, rita):
    complaint = make_complaint(app=app, description="<b>bold</b><script>x()</script>")
    triage.complaint_request_info(complaint=complaint, actor=rita, question="<script>q()</script>")
    page = detail(with_access(en, complaint), complaint).content.decode()
    assert "<script>q()" not in page and "<script>x()" not in page and "&lt;script&gt;q()" in page


def test_status_page_in_chinese_keeps_the_consumers_words(app):
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    complaint = make_complaint(app=app, description="应用强制获取位置权限")
    page = detail(with_access(client, complaint), complaint).content.decode()
    assert 'lang="zh-Hans"' in page and "应用强制获取位置权限" in page
    assert re.search(r"<time datetime=", page)
