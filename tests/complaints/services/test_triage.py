"""Regulator decisions on complaints: accept, reject, duplicate, ask for information, link,
close; supervision (trigger rules, recurrence) and priority scoring."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from stdnum.cn import ric

from complaints.errors import DomainError, PermissionDenied, TransitionNotAllowed
from complaints.models import Case, Complaint, Event, Preference, TriggerRule
from complaints.selectors.stats.scorecards import app_scorecard
from complaints.services import cases as case_services
from complaints.services import triage
from complaints.services.statistics import statistics_refresh
from tests.factories import AppFactory, category, make_complaint

pytestmark = pytest.mark.usefixtures("english")

S = Complaint.Status
TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


def resident_id() -> str:
    body = "11010519491231002"
    return body + ric.calc_check_digit(body + "0")  # the function reads the first 17 digits


@pytest.fixture
def complaint(app):
    return make_complaint(app=app, contact_email="alice@example.com")


def test_accept_sets_labels_from_codes_and_records_who(complaint, rita):
    triage.complaint_accept(
        complaint=complaint,
        actor=rita,
        category_codes=["over_permission", "illegal_collection"],
        note="ok",
    )
    complaint.refresh_from_db()
    assert complaint.status == S.ACCEPTED
    assert complaint.label_source == Complaint.LabelSource.REGULATOR
    assert sorted(complaint.categories.values_list("code", flat=True)) == [
        "illegal_collection",
        "over_permission",
    ]
    assert complaint.decided_at is not None
    move = complaint.events.get(to_status=S.ACCEPTED)
    assert (move.actor, move.actor_role, move.reason) == (rita, "regulator", "ok")
    labels = complaint.events.get(kind=Event.Kind.LABELS)
    assert labels.data == {"from": [], "to": ["illegal_collection", "over_permission"]}
    assert labels.public is False


def test_accept_gives_operator_fifteen_days(complaint, rita, settings):
    settings.OPERATOR_RESPONSE_DAYS = 15
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"], at=MONDAY)
    complaint.refresh_from_db()
    assert complaint.operator_due_date == datetime.date(2026, 3, 17)


def test_accept_backdated_with_at(complaint, rita):
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"], at=MONDAY)
    complaint.refresh_from_db()
    assert complaint.decided_at == MONDAY
    assert complaint.events.get(to_status=S.ACCEPTED).created_at == MONDAY


def test_accept_without_codes_keeps_model_labels(complaint, rita):
    complaint.categories.set([category("fraud")])
    complaint.label_source = Complaint.LabelSource.MODEL
    complaint.save()
    triage.complaint_accept(complaint=complaint, actor=rita)
    complaint.refresh_from_db()
    assert complaint.label_source == Complaint.LabelSource.MODEL
    assert not complaint.events.filter(kind=Event.Kind.LABELS).exists()


def test_accept_without_any_category_is_refused(complaint, rita):
    with pytest.raises(DomainError, match="Choose at least one category.") as error:
        triage.complaint_accept(complaint=complaint, actor=rita)
    assert error.value.field == "categories"


def test_accept_unknown_code(complaint, rita):
    with pytest.raises(DomainError, match="Unknown category: bogus."):
        triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud", "bogus"])
    complaint.refresh_from_db()
    assert complaint.status == S.SUBMITTED


def test_accept_needs_an_app(rita):
    complaint = make_complaint(app_name="某个不认识的应用")
    with pytest.raises(
        DomainError, match="Say which app this complaint is about before accepting it."
    ):
        triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])


def test_accept_can_resolve_the_app(rita, app):
    complaint = make_complaint(app_name="快送")
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"], app=app)
    complaint.refresh_from_db()
    assert complaint.app == app


@pytest.mark.parametrize("persona", ["alice", "olivia"])
def test_only_regulators_decide(complaint, persona, request):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied, match="Only regulators can do this."):
        triage.complaint_accept(complaint=complaint, actor=user, category_codes=["fraud"])


def test_admin_counts_as_regulator(complaint, ada):
    triage.complaint_accept(complaint=complaint, actor=ada, category_codes=["fraud"])
    assert complaint.status == S.ACCEPTED


def test_accept_twice_is_a_transition_error(complaint, rita):
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    with pytest.raises(TransitionNotAllowed, match="cannot go from"):
        triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])


def test_accept_emails_consumer_and_operator(
    complaint, rita, olivia, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    recipients = sorted(address for message in mailoutbox for address in message.to)
    assert "alice@example.com" in recipients
    assert "olivia@example.com" in recipients
    consumer_mail = next(m for m in mailoutbox if m.to == ["alice@example.com"])
    assert complaint.tracking_number in consumer_mail.subject


@pytest.mark.parametrize(
    ("consent", "says"),
    [
        (True, "agreed to share their files and the amount involved with you"),
        (False, "did not agree to share their files or the amount with you"),
    ],
)
def test_operator_email_says_what_the_consumer_shared_and_never_their_contact(
    app, rita, olivia, consent, says, mailoutbox, django_capture_on_commit_callbacks
):
    complaint = make_complaint(
        app=app,
        contact_name="Alice Wang",
        contact_phone="13912345678",
        contact_email="alice.wang@example.com",
        consent_share_with_operator=consent,
    )
    Preference.objects.update_or_create(user=olivia, defaults={"language": "en"})
    with django_capture_on_commit_callbacks(execute=True):
        triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    mail = next(m for m in mailoutbox if m.to == ["olivia@example.com"])
    assert says in mail.body and f"/operator/complaints/{complaint.pk}/" in mail.body
    assert not any(
        detail in mail.body for detail in ("Alice Wang", "13912345678", "alice.wang@example.com")
    )


def test_reject_with_reason(complaint, rita):
    triage.complaint_reject(complaint=complaint, actor=rita, reason="spam")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.reject_reason) == (S.REJECTED, "spam")
    event = complaint.events.get(to_status=S.REJECTED)
    # The reason's name is a message, put into words in the reader's language.
    assert (event.reason, event.message) == (
        "",
        {"id": "rejected", "params": {"reject_reason": "spam"}},
    )
    assert event.text == "Reason: spam or abuse."


def test_reject_needs_a_known_reason(complaint, rita):
    with pytest.raises(DomainError, match="Choose a reason for the rejection.") as error:
        triage.complaint_reject(complaint=complaint, actor=rita, reason="boring")
    assert error.value.field == "reason"


def test_duplicate_points_at_the_root(app, rita):
    first = make_complaint(app=app)
    second = make_complaint(app=app)
    third = make_complaint(app=app)
    triage.complaint_mark_duplicate(complaint=second, original=first, actor=rita)
    triage.complaint_mark_duplicate(complaint=third, original=second, actor=rita)
    third.refresh_from_db()
    assert third.status == S.DUPLICATE
    assert third.duplicate_of == first
    assert third.events.get(to_status=S.DUPLICATE).data == {"original": first.tracking_number}


def test_duplicate_of_itself_is_refused(complaint, rita):
    with pytest.raises(DomainError, match="A complaint cannot be a duplicate of itself."):
        triage.complaint_mark_duplicate(complaint=complaint, original=complaint, actor=rita)


def test_duplicate_of_a_complaint_about_another_app_needs_a_reason(app, other_app, rita):
    original = make_complaint(app=other_app)
    complaint = make_complaint(app=app)
    with pytest.raises(DomainError) as error:
        triage.complaint_mark_duplicate(complaint=complaint, original=original, actor=rita)
    assert error.value.message == (
        f"{original.tracking_number} is about 云途出行 and this complaint about 快送外卖. To "
        "merge complaints about different apps, give the reason: this one will then count on "
        "云途出行's record only."
    )
    assert error.value.field == "note"
    complaint.refresh_from_db()
    assert (complaint.status, complaint.duplicate_of) == (S.SUBMITTED, None)
    assert not complaint.events.filter(to_status=S.DUPLICATE).exists()


def test_duplicate_across_apps_keeps_the_reason_in_the_event(app, other_app, rita):
    original = make_complaint(app=other_app)
    complaint = make_complaint(app=app)
    reason = "Same order number: the consumer picked the wrong app."
    triage.complaint_mark_duplicate(
        complaint=complaint, original=original, actor=rita, note=f"  {reason} "
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.duplicate_of, complaint.app) == (
        S.DUPLICATE,
        original,
        app,
    )
    merged = complaint.events.get(to_status=S.DUPLICATE)
    assert (merged.actor, merged.reason) == (rita, reason)
    assert merged.data == {
        "original": original.tracking_number,
        "app": "快送外卖",
        "original_app": "云途出行",
    }


def test_a_duplicate_counts_as_received_not_accepted_on_its_own_app(app, other_app, rita):
    original = make_complaint(app=other_app)
    triage.complaint_accept(complaint=original, actor=rita, category_codes=["fraud"])
    complaint = make_complaint(app=app)
    triage.complaint_mark_duplicate(
        complaint=complaint, original=original, actor=rita, note="The wrong app was named."
    )
    statistics_refresh()
    own = app_scorecard(app).figures
    assert (own["received"], own["accepted"]) == (1, 0)
    other = app_scorecard(other_app).figures
    assert (other["received"], other["accepted"]) == (1, 1)


def test_request_info_pauses_the_clock(app, rita):
    complaint = make_complaint(app=app, submitted_at=MONDAY)
    assert complaint.decision_due_date == datetime.date(2026, 3, 11)
    triage.complaint_request_info(
        complaint=complaint, actor=rita, question="Which version?", at=MONDAY
    )
    assert triage.sla_state(complaint, datetime.date(2026, 3, 20))["paused"] is True
    assert triage.sla_state(complaint, datetime.date(2026, 3, 20))["breached"] is False
    # Answered on Friday 6 March: four working days waited, so the deadline moves four on.
    triage.complaint_info_provide(
        complaint=complaint, text="Version 8.1", at=MONDAY + datetime.timedelta(days=4)
    )
    complaint.refresh_from_db()
    assert complaint.status == S.NEEDS_REVIEW
    assert complaint.decision_due_date == datetime.date(2026, 3, 17)
    answer = complaint.events.get(to_status=S.NEEDS_REVIEW)
    assert (answer.actor_role, answer.reason, answer.data) == (
        "consumer",
        "Version 8.1",
        {"paused_working_days": 4},
    )


def test_request_info_needs_a_question(complaint, rita):
    with pytest.raises(DomainError, match="Write the question for the consumer."):
        triage.complaint_request_info(complaint=complaint, actor=rita, question="  ")


def test_sla_breach(app):
    complaint = make_complaint(app=app, submitted_at=MONDAY)
    assert triage.sla_state(complaint, datetime.date(2026, 3, 11)) == {
        "due_date": datetime.date(2026, 3, 11),
        "remaining": 0,
        "paused": False,
        "breached": False,
    }
    late = triage.sla_state(complaint, datetime.date(2026, 3, 12))
    assert late["breached"] is True and late["remaining"] == -1


def test_link_to_case(complaint, rita, app):
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    case = case_services.case_open(app=app, categories=["over_permission"], actor=rita)
    triage.complaint_link_case(complaint=complaint, case=case, actor=rita)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.case) == (S.LINKED, case)


def test_link_to_other_apps_case_is_refused(complaint, rita, other_app):
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    case = case_services.case_open(app=other_app, categories=["fraud"], actor=rita)
    with pytest.raises(DomainError, match="This complaint is about a different app from the case."):
        triage.complaint_link_case(complaint=complaint, case=case, actor=rita)


def test_link_before_accepting_is_refused(complaint, rita, app):
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita)
    with pytest.raises(DomainError, match="Accept the complaint before linking it to a case."):
        triage.complaint_link_case(complaint=complaint, case=case, actor=rita)


def test_accepting_joins_the_open_case_for_app_and_category(complaint, rita, app):
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    complaint.refresh_from_db()
    assert (complaint.status, complaint.case) == (S.LINKED, case)


def test_trigger_rule_opens_a_case_and_alerts(
    app, rita, mailoutbox, django_capture_on_commit_callbacks
):
    TriggerRule.objects.filter(category__code="fraud").update(threshold=3, window_days=30)
    complaints = [make_complaint(app=app) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for n, complaint in enumerate(complaints):
            triage.complaint_accept(
                complaint=complaint,
                actor=rita,
                category_codes=["fraud"],
                at=MONDAY + datetime.timedelta(days=n),
            )
    case = Case.objects.get(app=app)
    assert case.origin == Case.Origin.TRIGGER
    assert case.trigger_rule.category.code == "fraud"
    assert set(case.complaints.all()) == set(complaints)
    assert all(c.status == S.LINKED for c in case.complaints.all())
    alert = case.events.get(kind=Event.Kind.ALERT)
    assert alert.data["alert"] == "trigger" and alert.data["count"] == 3
    assert (
        case.summary
        == alert.text
        == "3 accepted complaints about 快送外卖 in “Online fraud” within 30 days."
    )
    assert any(m.to == ["rita@example.com"] and case.reference in m.subject for m in mailoutbox)


def test_trigger_rule_counts_only_within_its_window(app, rita):
    TriggerRule.objects.filter(category__code="fraud").update(threshold=2, window_days=10)
    old, new = make_complaint(app=app), make_complaint(app=app)
    triage.complaint_accept(complaint=old, actor=rita, category_codes=["fraud"], at=MONDAY)
    triage.complaint_accept(
        complaint=new, actor=rita, category_codes=["fraud"], at=MONDAY + datetime.timedelta(days=11)
    )
    assert not Case.objects.exists()


def test_inactive_trigger_rule_does_nothing(app, rita):
    TriggerRule.objects.filter(category__code="fraud").update(threshold=1, is_active=False)
    triage.complaint_accept(complaint=make_complaint(app=app), actor=rita, category_codes=["fraud"])
    assert not Case.objects.exists()


def test_recurrence_reopens_a_recently_closed_case(app, rita, settings):
    settings.RECURRENCE_WINDOW_DAYS = 90
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita, at=MONDAY)
    case_services.case_close(
        case=case, actor=rita, reason="fixed", at=MONDAY + datetime.timedelta(days=1)
    )
    complaint = make_complaint(app=app)
    triage.complaint_accept(
        complaint=complaint,
        actor=rita,
        category_codes=["fraud"],
        at=MONDAY + datetime.timedelta(days=30),
    )
    case.refresh_from_db()
    complaint.refresh_from_db()
    assert (case.status, case.recurrence_count) == (Case.Status.OPEN, 1)
    assert complaint.case == case
    assert case.case_categories.get().is_open is True
    assert case.events.filter(kind=Event.Kind.ALERT, data__alert="recurrence").count() == 1


def test_no_recurrence_after_the_window(app, rita, settings):
    settings.RECURRENCE_WINDOW_DAYS = 90
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita, at=MONDAY)
    case_services.case_close(case=case, actor=rita, reason="fixed", at=MONDAY)
    triage.complaint_accept(
        complaint=make_complaint(app=app),
        actor=rita,
        category_codes=["fraud"],
        at=MONDAY + datetime.timedelta(days=91),
    )
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED


def test_recurrence_of_a_rectified_case(app, rita, olivia):
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita, at=MONDAY)
    case_services.notice_issue(case=case, actor=rita, problems="fake refunds", at=MONDAY)
    case_services.rectification_verify(
        case=case, actor=rita, rectified=True, notes="checked", at=MONDAY
    )
    triage.complaint_accept(
        complaint=make_complaint(app=app),
        actor=rita,
        category_codes=["fraud"],
        at=MONDAY + datetime.timedelta(days=5),
    )
    case.refresh_from_db()
    assert (case.status, case.recurrence_count) == (Case.Status.OPEN, 1)


def test_close_a_disputed_complaint_needs_reason(complaint, rita):
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    with pytest.raises(DomainError, match="Give a reason for closing the complaint."):
        triage.complaint_close(complaint=complaint, actor=rita, reason="")
    triage.complaint_close(complaint=complaint, actor=rita, reason="resolved by phone")
    assert complaint.status == S.CLOSED and complaint.closed_at is not None


def test_bulk_reports_each_failure(app, rita):
    good = make_complaint(app=app)
    done_before = make_complaint(app=app)
    triage.complaint_reject(complaint=done_before, actor=rita, reason="spam")
    done, failed = triage.complaints_bulk(
        action="accept", complaints=[good, done_before], actor=rita, category_codes=["fraud"]
    )
    assert done == [good]
    assert failed[0][0] == done_before and "cannot go from" in failed[0][1]
    good.refresh_from_db()
    assert good.status == S.ACCEPTED


def test_bulk_unknown_action(rita):
    with pytest.raises(DomainError, match="Unknown action."):
        triage.complaints_bulk(action="explode", complaints=[], actor=rita)


def test_second_app_has_its_own_case(rita, app):
    other = AppFactory()
    case_services.case_open(app=app, categories=["fraud"], actor=rita)
    case = case_services.case_open(app=other, categories=["fraud"], actor=rita)
    assert case.reference.endswith("00002")
