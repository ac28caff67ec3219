"""What each person is offered, status by status, written out by hand; the pages offer exactly
that; the groups of statuses live only in complaints/workflow.py, and every page that counts
"accepted" complaints counts the same ones.

The grids are the expectation, like those in test_workflow.py: change one only on purpose.
"""

import ast
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import workflow
from complaints.errors import TransitionNotAllowed
from complaints.models import Case, Complaint, OperatorResponse
from complaints.selectors.operators import operator_complaints
from complaints.selectors.stats import StatsFilter, dashboard, home_figures
from complaints.services import operators
from complaints.services.statistics import statistics_refresh
from tests.complaints.test_workflow import _case, _complaint, parse_grid

C = Complaint.Status
K = Case.Status
ROOT = Path(__file__).resolve().parents[2]

# --- offers, by hand --------------------------------------------------------------------------
# One row per status, one column per action: x offered (and allowed), . not.

COMPLAINT_ACTIONS = {
    "acc": "accept",
    "rej": "reject",
    "dup": "mark_duplicate",
    "ask": "request_info",
    "lnk": "link_case",
    "cls": "close",
    "ans": "answer",
    "not": "disown",
    "inf": "provide_info",
    "cnf": "confirm_answer",
    "dsp": "dispute",
    "wdr": "withdraw",
    "rat": "rate",
    "lbl": "classify",
}
COMPLAINT_OFFERS = """
status          acc rej dup ask lnk cls ans not inf cnf dsp wdr rat lbl
submitted        x   x   x   x   .   .   .   .   .   .   .   x   .   x
classified       x   x   x   x   .   .   .   .   .   .   .   x   .   x
needs_review     x   x   x   x   .   .   .   .   .   .   .   x   .   x
info_requested   x   x   .   .   .   .   .   .   x   .   .   x   .   .
accepted         .   .   .   .   x   x   x   x   .   .   .   x   .   .
linked           .   .   .   .   x   x   x   x   .   .   .   x   .   .
answered         .   .   .   .   x   x   .   x   .   x   x   x   .   .
disputed         x   .   .   .   x   x   x   .   .   .   .   x   .   .
rejected         .   .   .   .   .   .   .   .   .   .   .   .   x   .
duplicate        .   .   .   .   .   .   .   .   .   .   .   .   x   .
closed           .   .   .   .   .   .   .   .   .   .   .   .   x   .
withdrawn        .   .   .   .   .   .   .   .   .   .   .   .   .   .
"""

CASE_ACTIONS = {
    "ntc": "issue_notice",
    "rep": "report",
    "ver": "verify",
    "esc": "escalate",
    "cls": "close_case",
}
CASE_OFFERS = """
status             ntc rep ver esc cls
open                x   .   .   .   x
notice_issued       .   x   x   .   x
response_received   .   .   x   .   .
not_rectified       x   .   .   x   x
overdue             x   x   x   x   .
escalated           .   x   x   .   x
rectified           .   .   .   .   x
closed              .   .   .   .   .
"""

COMPLAINT_GRID = parse_grid(COMPLAINT_OFFERS, COMPLAINT_ACTIONS)
CASE_GRID = parse_grid(CASE_OFFERS, CASE_ACTIONS)


class _Unrated:
    """Stands for a complaint with no rating yet (the rate check also reads the rating)."""

    rating = None

    def __init__(self, status):
        self.status = status


def test_the_offer_grids_cover_every_status_and_action_once():
    assert set(COMPLAINT_GRID) == {(s, a) for s in C for a in COMPLAINT_ACTIONS.values()}
    assert set(CASE_GRID) == {(s, a) for s in K for a in CASE_ACTIONS.values()}


@pytest.mark.parametrize("status", list(C))
def test_complaint_checks_match_the_offers_grid(status):
    for action in COMPLAINT_ACTIONS.values():
        check = getattr(workflow, f"can_{action}")
        assert check(_Unrated(status)) is COMPLAINT_GRID[(status, action)], (status, action)


@pytest.mark.parametrize("status", list(K))
def test_case_checks_match_the_offers_grid(status):
    for action in CASE_ACTIONS.values():
        check = getattr(workflow, f"can_{action}")
        assert check(_Unrated(status)) is CASE_GRID[(status, action)], (status, action)


def test_a_rated_complaint_is_not_offered_rating_again():
    rated = _Unrated(C.CLOSED)
    rated.rating = 4
    assert not workflow.can_rate(rated)


# --- the pages offer what the checks allow ---------------------------------------------------

TRIAGE_FORMS = {
    "accept": "form-accept",
    "reject": "form-reject",
    "mark_duplicate": "form-duplicate",
    "request_info": "form-info",
    "link_case": "form-link",
    "close": "form-close",
}
TRACKING_FORMS = {
    "confirm_answer": "track_confirm",
    "dispute": "track_dispute",
    "withdraw": "track_withdraw",
    "rate": "track_rate",
}


@pytest.mark.django_db
@pytest.mark.parametrize("status", list(C))
def test_the_triage_page_offers_each_decision_exactly_when_allowed(client, rita, app, status):
    complaint = _complaint(status, app=app)
    client.force_login(rita)
    page = client.get(f"/triage/{complaint.pk}/").content.decode()
    for action, form_id in TRIAGE_FORMS.items():
        assert (f'id="{form_id}"' in page) is COMPLAINT_GRID[(status, action)], (status, action)


@pytest.mark.django_db
@pytest.mark.parametrize("status", list(C))
def test_the_status_page_offers_each_consumer_action_exactly_when_allowed(
    client, alice, app, status
):
    complaint = _complaint(status, app=app, submitter=alice)
    client.force_login(alice)
    page = client.get(reverse("track_detail", args=[complaint.tracking_number])).content.decode()
    for action, url_name in TRACKING_FORMS.items():
        url = reverse(url_name, args=[complaint.tracking_number])
        assert (f'action="{url}"' in page) is COMPLAINT_GRID[(status, action)], (status, action)


@pytest.mark.django_db
@pytest.mark.parametrize("status", list(workflow.CONFIRMED))
def test_the_operator_page_offers_an_answer_and_not_our_app_exactly_when_allowed(
    client, olivia, app, status
):
    complaint = _complaint(status, app=app)
    client.force_login(olivia)
    page = client.get(f"/operator/complaints/{complaint.pk}/").content.decode()
    assert ('name="closure_code"' in page) is COMPLAINT_GRID[(status, "answer")], status
    offers_disown = f'value="{OperatorResponse.ClosureCode.NOT_OUR_APP}"' in page
    assert offers_disown is (
        COMPLAINT_GRID[(status, "answer")] and COMPLAINT_GRID[(status, "disown")]
    ), status


@pytest.mark.django_db
def test_not_our_app_after_a_dispute_is_refused_with_a_reason_and_leaves_no_answer(
    olivia, app, english
):
    complaint = _complaint(C.DISPUTED, app=app)
    with pytest.raises(TransitionNotAllowed, match="still waiting for your answer"):
        operators.complaint_answer(
            complaint=complaint,
            actor=olivia,
            text="Not ours.",
            closure_code=OperatorResponse.ClosureCode.NOT_OUR_APP,
        )
    assert not OperatorResponse.objects.filter(complaint=complaint).exists()
    complaint.refresh_from_db()
    assert complaint.status == C.DISPUTED


@pytest.mark.django_db
@pytest.mark.parametrize("status", list(K))
def test_the_case_page_offers_each_step_exactly_when_allowed(client, rita, app, status):
    case = _case(app, status)
    client.force_login(rita)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    for action, name in (
        ("issue_notice", "notice"),
        ("verify", "verify"),
        ("escalate", "escalate"),
        ("close_case", "close"),
    ):
        url = reverse("cases:action", args=[case.pk, name])
        assert (f'action="{url}"' in page) is CASE_GRID[(status, action)], (status, action)


# --- one meaning of "accepted" ----------------------------------------------------------------


@pytest.mark.django_db
def test_home_page_dashboard_and_operator_count_the_same_accepted_complaints(app, olivia):
    for status in C:
        _complaint(status, app=app)
    statistics_refresh()
    # Accepted, linked, answered, disputed and closed: five of the twelve.
    assert home_figures()["accepted"] == 5
    today = timezone.localdate()
    f = StatsFilter(start_date=today.replace(year=today.year - 1), end_date=today)
    assert dashboard(f).figures["accepted"] == 5
    assert operator_complaints(olivia).count() == 5


# --- no status list outside workflow.py -------------------------------------------------------

STATUS_NAMES = {s.name for s in C} | {s.name for s in K}
STATUS_VALUES = {s.value for s in C} | {s.value for s in K}


def _is_member(node) -> bool:
    """`S.X`, `K.X`, `C.X` or `<anything>.Status.X` for a status name X."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr in STATUS_NAMES
        and (
            (isinstance(node.value, ast.Name) and node.value.id in {"S", "K", "C"})
            or (isinstance(node.value, ast.Attribute) and node.value.attr == "Status")
        )
    )


def _status_literals(path: Path, root: Path = ROOT) -> list[str]:
    """Tuple, list and set literals in a module that name two statuses or more: as members
    anywhere, or as their string values given to a keyword argument about status
    (`status__in=["accepted", "linked"]`)."""
    found = []
    tree = ast.parse(path.read_text(), str(path))
    by_keyword = {
        id(k.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for k in node.keywords
        if k.arg and "status" in k.arg
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Tuple | ast.List | ast.Set):
            continue
        members = sum(_is_member(e) for e in node.elts)
        values = sum(
            isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value in STATUS_VALUES
            for e in node.elts
        )
        if members >= 2 or (id(node) in by_keyword and values >= 2):
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_no_module_lists_statuses_but_workflow():
    modules = [
        path
        for folder in ("complaints", "classifier", "benchmarks")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts and path.name != "workflow.py"
    ]
    found = [hit for path in modules for hit in _status_literals(path)]
    assert found == []


def test_the_status_list_finder_finds_lists(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "A = (S.ACCEPTED, Case.Status.CLOSED)\n"
        'B = Case.objects.filter(status__in=["notice_issued", "overdue"])\n'
        "C = (S.ACCEPTED,)\n"
        'D = stage in ("closed", "overdue")\n'
    )
    assert _status_literals(sample, tmp_path) == ["sample.py:1", "sample.py:2"]
