"""The rectification loop over /api/v1/: triage, cases, operators and consumer replies.

Each endpoint: happy path with its side effects, anonymous, someone else's object, bad input
with the exact message, wrong method, unknown id. (Every role on every endpoint is in
test_permissions_matrix.py.)
"""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from complaints.calendar import add_working_days
from complaints.models import Case, Complaint, Event, OperatorResponse
from complaints.services import cases as case_services
from complaints.services import operators, triage
from tests import clock
from tests.factories import make_complaint

S = Complaint.Status
K = Case.Status


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # messages are asserted in English
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def complaint(app):
    return make_complaint(app=app, description="不给通讯录权限就闪退，电话13812345678")


@pytest.fixture
def case(app, rita):
    return case_services.case_open(app=app, categories=["over_permission"], actor=rita)


# --- triage ---------------------------------------------------------------------------------


def test_queue(rita, complaint):
    response = api(rita).get("/api/v1/triage/")
    assert response.status_code == 200
    item = response.json()["results"][0]
    assert item["tracking_number"] == complaint.tracking_number
    assert item["sla"]["due_date"] == complaint.decision_due_date.isoformat()
    assert item["app"]["name"] == "快送外卖"


def test_queue_filters(rita, complaint, other_app):
    make_complaint(app=other_app)
    response = api(rita).get("/api/v1/triage/", {"app": complaint.app_id})
    assert [r["id"] for r in response.json()["results"]] == [complaint.pk]


def test_queue_page_size(rita, app):
    for _ in range(3):
        make_complaint(app=app)
    two = api(rita).get("/api/v1/triage/", {"page_size": "2"}).json()
    assert (two["count"], len(two["results"])) == (3, 2)
    assert "page_size=2" in two["next"] and "page=2" in two["next"]
    # Nonsense falls back to the fifty a page; more than a hundred is a hundred.
    assert len(api(rita).get("/api/v1/triage/", {"page_size": "x"}).json()["results"]) == 3
    assert api(rita).get("/api/v1/triage/", {"page_size": "500"}).status_code == 200


def test_queue_anonymous_and_consumer(alice):
    assert api().get("/api/v1/triage/").status_code == 403
    response = api(alice).get("/api/v1/triage/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_detail_with_history(rita, complaint):
    response = api(rita).get(f"/api/v1/triage/{complaint.pk}/")
    body = response.json()
    assert body["description"].endswith("13812345678")
    assert "138****5678" in body["description_masked"]
    assert body["history"][0]["kind"] == "created"
    history = api(rita).get(f"/api/v1/triage/{complaint.pk}/history/").json()
    assert history == body["history"]


def test_unknown_complaint(rita):
    response = api(rita).get("/api/v1/triage/999999/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert (
        api(rita)
        .post("/api/v1/triage/999999/accept/", {"categories": ["fraud"]}, format="json")
        .status_code
        == 404
    )


def test_accept(rita, complaint):
    response = api(rita).post(
        f"/api/v1/triage/{complaint.pk}/accept/",
        {"categories": ["over_permission"], "note": "ok"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted" and body["categories"] == ["over_permission"]
    assert body["label_source"] == "regulator"
    assert body["history"][-1]["to_status"] == "accepted" and body["history"][-1]["actor"] == "rita"


def test_accept_bad_input(rita, complaint):
    response = api(rita).post(
        f"/api/v1/triage/{complaint.pk}/accept/", {"categories": ["nope"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Unknown category: nope.",
        "fields": {"categories": ["Unknown category: nope."]},
    }
    response = api(rita).post(
        f"/api/v1/triage/{complaint.pk}/accept/", {"categories": "fraud"}, format="json"
    )
    assert response.status_code == 400 and "categories" in response.json()["error"]["fields"]


def test_accept_twice_is_409(rita, complaint):
    api(rita).post(
        f"/api/v1/triage/{complaint.pk}/accept/", {"categories": ["fraud"]}, format="json"
    )
    response = api(rita).post(
        f"/api/v1/triage/{complaint.pk}/accept/", {"categories": ["fraud"]}, format="json"
    )
    assert response.status_code == 409
    assert (
        response.json()["error"]["message"]
        == "A complaint cannot go from “accepted” to “accepted”."
    )


def test_reject(rita, complaint):
    response = api(rita).post(
        f"/api/v1/triage/{complaint.pk}/reject/", {"reason": "spam"}, format="json"
    )
    assert response.status_code == 200 and response.json()["reject_reason"] == "spam"
    bad = api(rita).post(
        f"/api/v1/triage/{make_complaint().pk}/reject/", {"reason": "x"}, format="json"
    )
    assert (
        bad.status_code == 400
        and bad.json()["error"]["message"] == "Choose a reason for the rejection."
    )


def test_duplicate(rita, complaint, app):
    other = make_complaint(app=app)
    response = api(rita).post(
        f"/api/v1/triage/{other.pk}/duplicate/",
        {"original": complaint.tracking_number},
        format="json",
    )
    assert (
        response.status_code == 200 and response.json()["duplicate_of"] == complaint.tracking_number
    )
    bad = api(rita).post(
        f"/api/v1/triage/{complaint.pk}/duplicate/", {"original": "AW-X"}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {
        "original": ["No complaint with tracking number “AW-X”."]
    }


def test_duplicate_across_apps_needs_a_reason(rita, complaint, other_app):
    other = make_complaint(app=other_app)
    url = f"/api/v1/triage/{other.pk}/duplicate/"
    refused = api(rita).post(url, {"original": complaint.tracking_number}, format="json")
    message = (
        f"{complaint.tracking_number} is about 快送外卖 and this complaint about 云途出行. To "
        "merge complaints about different apps, give the reason: this one will then count on "
        "快送外卖's record only."
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"note": [message]}
    other.refresh_from_db()
    assert other.status == Complaint.Status.SUBMITTED
    merged = api(rita).post(
        url,
        {"original": complaint.tracking_number, "note": "One order, two apps named."},
        format="json",
    )
    assert merged.status_code == 200
    assert merged.json()["duplicate_of"] == complaint.tracking_number
    event = Event.objects.get(complaint=other, to_status=Complaint.Status.DUPLICATE)
    assert (event.reason, event.data["original_app"]) == ("One order, two apps named.", "快送外卖")


def test_request_info(rita, complaint):
    bad = api(rita).post(
        f"/api/v1/triage/{complaint.pk}/request-info/", {"question": ""}, format="json"
    )
    assert (
        bad.status_code == 400
        and bad.json()["error"]["message"] == "Write the question for the consumer."
    )
    response = api(rita).post(
        f"/api/v1/triage/{complaint.pk}/request-info/",
        {"question": "Which version?"},
        format="json",
    )
    assert (
        response.json()["status"] == "info_requested" and response.json()["sla"]["paused"] is True
    )


def test_link_and_close(rita, complaint, case):
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    bad = api(rita).post(f"/api/v1/triage/{complaint.pk}/link/", {"case": "RC-0"}, format="json")
    assert bad.json()["error"]["message"] == "No case with reference “RC-0”."
    response = api(rita).post(
        f"/api/v1/triage/{complaint.pk}/link/", {"case": case.reference}, format="json"
    )
    assert response.json()["case"] == case.reference and response.json()["status"] == "linked"
    closed = api(rita).post(
        f"/api/v1/triage/{complaint.pk}/close/", {"reason": "done"}, format="json"
    )
    assert closed.json()["status"] == "closed"


def test_triage_wrong_methods(rita, complaint):
    assert api(rita).get(f"/api/v1/triage/{complaint.pk}/accept/").status_code == 405
    assert api(rita).post(f"/api/v1/triage/{complaint.pk}/", {}).status_code == 405
    assert api(rita).delete("/api/v1/triage/").status_code == 405


# --- cases ----------------------------------------------------------------------------------


def test_open_case(rita, app, complaint):
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    response = api(rita).post(
        "/api/v1/cases/",
        {"app": app.pk, "categories": ["fraud"], "complaints": [complaint.tracking_number]},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["reference"].startswith("RC-") and body["complaints"] == [complaint.tracking_number]
    assert body["history"][0]["to_status"] == "open"


def test_open_case_conflict_and_bad_input(rita, app, case):
    response = api(rita).post(
        "/api/v1/cases/", {"app": app.pk, "categories": ["over_permission"]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"].endswith(f": {case.reference}.")
    response = api(rita).post("/api/v1/cases/", {"app": app.pk, "categories": []}, format="json")
    assert (
        response.status_code == 400
        and response.json()["error"]["message"] == "Choose at least one category."
    )
    response = api(rita).post(
        "/api/v1/cases/", {"app": 999999, "categories": ["fraud"]}, format="json"
    )
    assert response.status_code == 400 and "app" in response.json()["error"]["fields"]
    response = api(rita).post(
        "/api/v1/cases/",
        {"app": app.pk, "categories": ["fraud"], "complaints": ["AW-NO"]},
        format="json",
    )
    assert response.json()["error"]["message"] == "No complaint with tracking number “AW-NO”."


def test_case_list_and_detail(rita, case):
    listing = api(rita).get("/api/v1/cases/").json()
    assert [c["reference"] for c in listing["results"]] == [case.reference]
    detail = api(rita).get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["categories"] == ["over_permission"] and detail["notices"] == []
    assert api(rita).get(f"/api/v1/cases/{case.pk}/history/").json() == detail["history"]
    assert api(rita).get("/api/v1/cases/999999/").status_code == 404


def test_case_loop_over_the_api(rita, olivia, case):
    deadline = add_working_days(timezone.localdate(), 10)
    response = api(rita).post(
        f"/api/v1/cases/{case.pk}/notices/",
        {"problems": "Contacts at launch.", "deadline_date": deadline.isoformat()},
        format="json",
    )
    assert response.status_code == 201
    assert (
        response.json()["status"] == "notice_issued"
        and response.json()["notices"][0]["deadline_date"] == deadline.isoformat()
    )

    operator_view = api(olivia).get(f"/api/v1/operator/cases/{case.pk}/").json()
    assert operator_view["notices"][0]["number"].startswith(case.reference)
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, format="PNG")
    upload = SimpleUploadedFile("proof.png", buffer.getvalue(), content_type="image/png")
    response = api(olivia).post(
        f"/api/v1/operator/cases/{case.pk}/report/",
        {"text": "Now optional.", "files": [upload]},
        format="multipart",
    )
    assert response.status_code == 201
    assert (
        response.json()["status"] == "response_received"
        and len(response.json()["reports"][0]["evidence"]) == 1
    )

    response = api(rita).post(
        f"/api/v1/cases/{case.pk}/verify/",
        {"rectified": False, "notes": "Still asks.", "escalate_measure": "public_notice"},
        format="json",
    )
    assert (
        response.json()["status"] == "escalated"
        and response.json()["escalation"] == "public_notice"
    )
    response = api(rita).post(
        f"/api/v1/cases/{case.pk}/close/", {"reason": "Referred."}, format="json"
    )
    assert response.json()["status"] == "closed"


def test_case_action_errors(rita, olivia, case):
    r = api(rita).post(f"/api/v1/cases/{case.pk}/notices/", {"problems": ""}, format="json")
    assert r.status_code == 400 and r.json()["error"]["message"] == "Describe the problems found."
    r = api(rita).post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": olivia.pk}, format="json")
    assert (
        r.status_code == 400
        and r.json()["error"]["message"] == "Cases can only be assigned to regulators."
    )
    r = api(rita).post(
        f"/api/v1/cases/{case.pk}/escalate/",
        {"measure": "public_notice", "reason": "x"},
        format="json",
    )
    assert r.status_code == 409
    r = api(rita).post(f"/api/v1/cases/{case.pk}/verify/", {"notes": "x"}, format="json")
    assert r.status_code == 400 and "rectified" in r.json()["error"]["fields"]
    r = api(rita).post(f"/api/v1/cases/{case.pk}/notes/", {"text": "Call."}, format="json")
    assert r.status_code == 201 and r.json()["history"][-1]["kind"] == "note"
    r = api(rita).post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": rita.pk}, format="json")
    assert r.json()["assignee"] == "rita"
    assert api(rita).get(f"/api/v1/cases/{case.pk}/close/").status_code == 405


# --- operators ------------------------------------------------------------------------------


@pytest.fixture
def accepted(rita, complaint):
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
    return complaint


def test_operator_lists_only_its_own_accepted_complaints(olivia, oscar, accepted, app):
    make_complaint(app=app)  # not yet accepted: invisible
    listing = api(olivia).get("/api/v1/operator/complaints/").json()
    assert [c["tracking_number"] for c in listing["results"]] == [accepted.tracking_number]
    assert (
        "13812345678" not in str(listing) and "138****5678" in listing["results"][0]["description"]
    )
    assert api(oscar).get("/api/v1/operator/complaints/").json()["results"] == []
    assert api(oscar).get(f"/api/v1/operator/complaints/{accepted.pk}/").status_code == 404


def test_operator_answers(olivia, oscar, accepted):
    bad = api(olivia).post(
        f"/api/v1/operator/complaints/{accepted.pk}/answer/",
        {"text": "x", "closure_code": "whatever"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "Choose a closure code."
    assert not OperatorResponse.objects.exists()
    other = api(oscar).post(
        f"/api/v1/operator/complaints/{accepted.pk}/answer/",
        {"text": "x", "closure_code": "fixed"},
        format="json",
    )
    assert other.status_code == 404
    response = api(olivia).post(
        f"/api/v1/operator/complaints/{accepted.pk}/answer/",
        {"text": "Made optional.", "closure_code": "fixed"},
        format="json",
    )
    assert response.status_code == 201
    assert (
        response.json()["status"] == "answered"
        and response.json()["answers"][0]["text"] == "Made optional."
    )
    assert api(olivia).get(f"/api/v1/operator/complaints/{accepted.pk}/answer/").status_code == 405


def test_operator_cases_only_after_notice(olivia, oscar, rita, case):
    assert api(olivia).get("/api/v1/operator/cases/").json()["results"] == []
    assert api(olivia).get(f"/api/v1/operator/cases/{case.pk}/").status_code == 404
    case_services.notice_issue(case=case, actor=rita, problems="x")
    assert [c["id"] for c in api(olivia).get("/api/v1/operator/cases/").json()["results"]] == [
        case.pk
    ]
    assert api(oscar).get(f"/api/v1/operator/cases/{case.pk}/").status_code == 404
    bad = api(olivia).post(
        f"/api/v1/operator/cases/{case.pk}/report/", {"text": ""}, format="multipart"
    )
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "Describe what you changed."


# --- consumer replies -----------------------------------------------------------------------


@pytest.fixture
def answered(olivia, accepted):
    operators.complaint_answer(
        complaint=accepted, actor=olivia, text="Fixed.", closure_code="fixed"
    )
    return accepted


def test_confirm_with_token(answered):
    client = api()
    client.credentials(HTTP_X_TRACKING_TOKEN=answered.test_token)
    response = client.post(
        f"/api/v1/track/{answered.tracking_number}/confirm/", {"rating": 5}, format="json"
    )
    assert response.status_code == 200 and response.json() == {
        "tracking_number": answered.tracking_number,
        "status": "closed",
    }
    answered.refresh_from_db()
    assert answered.rating == 5


def test_dispute_with_token(answered):
    client = api()
    client.credentials(HTTP_X_TRACKING_TOKEN=answered.test_token)
    bad = client.post(
        f"/api/v1/track/{answered.tracking_number}/dispute/", {"reason": ""}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "Say why the answer does not resolve your complaint."
    response = client.post(
        f"/api/v1/track/{answered.tracking_number}/dispute/",
        {"reason": "Still crashes."},
        format="json",
    )
    assert response.json()["status"] == "disputed"
    assert Event.objects.filter(complaint=answered, kind="alert", data__alert="dispute").exists()


def test_confirm_by_the_signed_in_owner_only(alice, bob, rita, olivia, app):
    complaint = make_complaint(app=app, submitter=alice)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    operators.complaint_answer(complaint=complaint, actor=olivia, text="x", closure_code="fixed")
    assert (
        api(bob)
        .post(f"/api/v1/track/{complaint.tracking_number}/confirm/", {}, format="json")
        .status_code
        == 404
    )
    assert (
        api(alice)
        .post(f"/api/v1/track/{complaint.tracking_number}/confirm/", {}, format="json")
        .status_code
        == 200
    )


def test_reply_needs_the_right_token(answered):
    client = api()
    client.credentials(HTTP_X_TRACKING_TOKEN="wrong")
    assert (
        client.post(
            f"/api/v1/track/{answered.tracking_number}/confirm/", {}, format="json"
        ).status_code
        == 404
    )
    assert (
        api()
        .post(f"/api/v1/track/{answered.tracking_number}/confirm/", {}, format="json")
        .status_code
        == 404
    )
    assert (
        api().post("/api/v1/track/AW-NONE/dispute/", {"reason": "x"}, format="json").status_code
        == 404
    )


def test_confirm_before_an_answer_is_409(accepted):
    client = api()
    client.credentials(HTTP_X_TRACKING_TOKEN=accepted.test_token)
    response = client.post(f"/api/v1/track/{accepted.tracking_number}/confirm/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "There is no answer to confirm."
    assert client.get(f"/api/v1/track/{accepted.tracking_number}/confirm/").status_code == 405


def test_schema_lists_the_loop(client):
    schema = client.get("/api/schema/").content.decode()
    for operation in (
        "triage_queue",
        "triage_accept",
        "cases_open",
        "cases_notice",
        "operator_answer",
        "operator_report",
        "track_dispute",
    ):
        assert f"operationId: {operation}" in schema


def test_auto_close_is_backdatable(answered):
    closed = operators.complaints_auto_close(now=timezone.now() + datetime.timedelta(days=30))
    assert [c.pk for c in closed] == [answered.pk]


def test_operator_history_masks_personal_data_the_consumer_wrote(client, app, olivia, rita):
    from complaints.services.events import event_record
    from tests.factories import make_complaint

    complaint = make_complaint(app=app, consent_share_with_operator=True)
    event_record(
        actor_role="consumer", complaint=complaint, kind="message", reason="打我电话 13812345678"
    )
    from complaints.api.operator_serializers import PublicEventSerializer

    reasons = [
        row["reason"] for row in PublicEventSerializer(complaint.events.all(), many=True).data
    ]
    assert any("138****5678" in r for r in reasons)
    assert not any("13812345678" in r for r in reasons)


# --- deadlines --------------------------------------------------------------------------------


def test_a_notice_deadline_on_a_day_off_is_refused_with_the_next_working_day(rita, case):
    response = api(rita).post(
        f"/api/v1/cases/{case.pk}/notices/",
        {"problems": "Contacts at launch.", "deadline_date": "2026-11-21"},
        format="json",
    )
    message = (
        "2026-11-21 is not a working day (a weekend or a public holiday). The nearest working "
        "day after it is 2026-11-23: choose that date or another working day."
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"deadline_date": [message]}
    chinese = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_authenticate(rita)
    response = chinese.post(
        f"/api/v1/cases/{case.pk}/notices/",
        {"problems": "Contacts at launch.", "deadline_date": "2026-11-21"},
        format="json",
    )
    assert response.json()["error"]["message"].startswith("2026-11-21 不是工作日")


def test_not_rectified_over_the_api_needs_its_next_step(rita, olivia, case):
    case_services.notice_issue(case=case, actor=rita, problems="x")
    case_services.rectification_report_submit(case=case, actor=olivia, text="Done.")
    response = api(rita).post(
        f"/api/v1/cases/{case.pk}/verify/", {"rectified": False, "notes": "No."}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "new_deadline_date": ["Not rectified: give a new deadline (a new notice) or an escalation."]
    }
    response = api(rita).post(
        f"/api/v1/cases/{case.pk}/verify/",
        {"rectified": False, "notes": "No.", "new_deadline_date": "2026-11-23"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "notice_issued"
    assert response.json()["deadline_date"] == "2026-11-23"


@pytest.mark.parametrize("test_now", [clock._at("2026-12-24T10:00")], indirect=True)
def test_a_notice_past_the_calendar_carries_a_warning(rita, case):
    response = api(rita).post(
        f"/api/v1/cases/{case.pk}/notices/", {"problems": "Contacts at launch."}, format="json"
    )
    assert response.status_code == 201
    notice = response.json()["notices"][0]
    assert notice["deadline_date"] == "2027-01-07"  # 10 working days, 1 January among them
    assert notice["calendar_warning"].startswith("The holiday calendar does not cover 2027 yet")
    assert "2027年的节假日安排尚未收录" in notice["text"]
