"""Trigger rules: a case a rule opens holds every complaint the rule counted, so its summary
("N accepted complaints…") and its list of complaints never disagree."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Case, Complaint, Event, TriggerRule
from complaints.services import cases as case_services
from complaints.services import triage
from tests.factories import make_complaint

pytestmark = pytest.mark.usefixtures("english")

S = Complaint.Status
TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


def accept(complaint, rita, codes, day):
    triage.complaint_accept(
        complaint=complaint,
        actor=rita,
        category_codes=codes,
        at=MONDAY + datetime.timedelta(days=day),
    )
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def fraud_rule():
    TriggerRule.objects.filter(category__code="fraud").update(threshold=3, window_days=30)


@pytest.fixture
def charges_case(app, rita):
    """An older case about auto-renewal charges, open before any of the fraud complaints."""
    return case_services.case_open(
        app=app, categories=["unauthorized_charges"], actor=rita, at=MONDAY
    )


@pytest.mark.parametrize(
    "codes", [["unauthorized_charges", "fraud"], ["fraud", "unauthorized_charges"]]
)
def test_complaints_on_another_case_do_not_open_an_empty_one(
    app, rita, fraud_rule, charges_case, codes
):
    # Three complaints relabelled as fraud and charges: each joins the open charges case.
    complaints = [accept(make_complaint(app=app), rita, codes, day) for day in range(3)]
    assert {c.case for c in complaints} == {charges_case}
    # The fraud rule's threshold is met by accepted complaints, but none is free to hold.
    assert not Case.objects.filter(origin=Case.Origin.TRIGGER).exists()
    assert not Event.objects.filter(kind=Event.Kind.ALERT, data__alert="trigger").exists()


def assert_trigger_cases_hold_their_count():
    for case in Case.objects.filter(origin=Case.Origin.TRIGGER):
        alert = case.events.get(kind=Event.Kind.ALERT)
        assert case.complaints.count() == alert.data["count"] >= case.trigger_rule.threshold


def test_a_triggered_case_holds_exactly_the_complaints_it_counted(
    app, rita, fraud_rule, charges_case
):
    on_charges_case = [
        accept(make_complaint(app=app), rita, ["unauthorized_charges", "fraud"], day)
        for day in range(2)
    ]
    free = []
    for day in range(2, 5):
        free.append(accept(make_complaint(app=app), rita, ["fraud"], day))
        assert_trigger_cases_hold_their_count()
        # Only the third free complaint makes three the new case can hold.
        assert Case.objects.filter(origin=Case.Origin.TRIGGER).exists() == (len(free) == 3)
    case = Case.objects.get(origin=Case.Origin.TRIGGER)
    assert sorted(c.pk for c in case.complaints.all()) == sorted(c.pk for c in free)
    assert case.summary == "3 accepted complaints about 快送外卖 in “Online fraud” within 30 days."
    for complaint in on_charges_case:
        complaint.refresh_from_db()
        assert complaint.case == charges_case
