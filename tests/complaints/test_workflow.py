"""The lifecycles, written out by hand: the tables in complaints/workflow.py must match the grids
below cell by cell; every allowed move works through the services and writes one event; every
forbidden move is refused by the services and by each web page and API endpoint that offers
it, and leaves no trace.

The grids are the expectation. Change one only together with the table, on purpose.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from complaints import workflow
from complaints.errors import TransitionNotAllowed
from complaints.models import Case, CaseCategory, Complaint, Event, Notice, OperatorResponse
from complaints.services.events import case_move, complaint_move
from tests.factories import AppFactory, category, make_complaint
from tests.otp import VerifiedClient as Client

C = Complaint.Status
K = Case.Status

# --- the intended lifecycles ------------------------------------------------------------------
# One row per status a move starts from, one column per status it goes to: x allowed, . not.

COMPLAINT_COLUMNS = {
    "SUB": "submitted",
    "CLA": "classified",
    "REV": "needs_review",
    "INF": "info_requested",
    "ACC": "accepted",
    "REJ": "rejected",
    "DUP": "duplicate",
    "LNK": "linked",
    "ANS": "answered",
    "DIS": "disputed",
    "CLO": "closed",
    "WDR": "withdrawn",
}
COMPLAINT_GRID = """
from/to         SUB CLA REV INF ACC REJ DUP LNK ANS DIS CLO WDR
submitted        .   x   x   x   x   x   x   .   .   .   .   x
classified       .   .   x   x   x   x   x   .   .   .   .   x
needs_review     .   x   .   x   x   x   x   .   .   .   .   x
info_requested   .   .   x   .   x   x   .   .   .   .   .   x
accepted         .   .   x   .   .   .   .   x   x   .   x   x
rejected         .   .   x   .   .   .   .   .   .   .   .   .
duplicate        .   .   x   .   .   .   .   .   .   .   .   .
linked           .   .   x   .   .   .   .   .   x   .   x   x
answered         .   .   x   .   .   .   .   .   .   x   x   x
disputed         .   .   .   .   x   .   .   x   x   .   x   x
closed           .   .   .   .   .   .   .   .   .   .   .   .
withdrawn        .   .   .   .   .   .   .   .   .   .   .   .
"""

CASE_COLUMNS = {
    "OPN": "open",
    "NTC": "notice_issued",
    "RSP": "response_received",
    "RCT": "rectified",
    "NRC": "not_rectified",
    "OVD": "overdue",
    "ESC": "escalated",
    "CLS": "closed",
}
CASE_GRID = """
from/to            OPN NTC RSP RCT NRC OVD ESC CLS
open                .   x   .   .   .   .   .   x
notice_issued       .   .   x   x   x   x   .   x
response_received   .   .   .   x   x   .   .   .
rectified           x   .   .   .   .   .   .   x
not_rectified       .   x   .   .   .   .   x   x
overdue             .   x   x   x   .   .   x   .
escalated           .   .   x   x   .   .   .   x
closed              x   .   .   .   .   .   .   .
"""


def parse_grid(text: str, columns: dict[str, str]) -> dict[tuple[str, str], bool]:
    """{(from, to): allowed} for every cell of a grid above."""
    header, *rows = text.strip().splitlines()
    targets = [columns[code] for code in header.split()[1:]]
    cells = {}
    for row in rows:
        source, *marks = row.split()
        assert len(marks) == len(targets), f"row {source!r}: {len(marks)} marks"
        for target, mark in zip(targets, marks, strict=True):
            assert mark in ("x", "."), f"row {source!r}: unknown mark {mark!r}"
            cells[(source, target)] = mark == "x"
    return cells


COMPLAINT_MOVES = parse_grid(COMPLAINT_GRID, COMPLAINT_COLUMNS)
CASE_MOVES = parse_grid(CASE_GRID, CASE_COLUMNS)


def _cells(grid: dict[tuple[str, str], bool], allowed: bool) -> list:
    return [
        pytest.param(src, dst, id=f"{src}->{dst}")
        for (src, dst), ok in grid.items()
        if ok is allowed
    ]


def _forbidden_from(grid: dict[tuple[str, str], bool], target: str) -> list[str]:
    sources = dict.fromkeys(src for src, _ in grid)
    return [src for src in sources if not grid[(src, target)]]


def test_the_grids_cover_every_status_once():
    for grid, statuses in ((COMPLAINT_MOVES, C), (CASE_MOVES, K)):
        assert set(grid) == {(src, dst) for src in statuses for dst in statuses}
    assert sum(COMPLAINT_MOVES.values()) == 43
    assert sum(CASE_MOVES.values()) == 22


@pytest.mark.parametrize(
    ("grid", "table"),
    [(COMPLAINT_MOVES, workflow.COMPLAINT_TRANSITIONS), (CASE_MOVES, workflow.CASE_TRANSITIONS)],
    ids=["complaint", "case"],
)
def test_the_workflow_table_matches_the_grid(grid, table):
    statuses = {src for src, _ in grid}
    assert set(table) == statuses, "the table's rows are not the statuses"
    unknown = {dst for targets in table.values() for dst in targets} - statuses
    assert not unknown, f"the table moves to unknown statuses: {sorted(unknown)}"
    word = {True: "allowed", False: "forbidden"}
    differences = [
        f"  {src} -> {dst}: {word[ok]} in the grid, {word[dst in table[src]]} in the table"
        for (src, dst), ok in grid.items()
        if (dst in table[src]) is not ok
    ]
    assert not differences, "workflow table and hand grid disagree:\n" + "\n".join(differences)


# --- the services -----------------------------------------------------------------------------


def _case(app, status, code="fraud"):
    case = Case.objects.create(reference=f"RC-T-{Case.objects.count() + 1}", app=app, status=status)
    CaseCategory.objects.create(
        case=case, category=category(code), app=app, is_open=status != K.CLOSED
    )
    return case


def _complaint(status, **kwargs):
    complaint = make_complaint(**kwargs)
    Complaint.objects.filter(pk=complaint.pk).update(status=status)
    complaint.refresh_from_db()
    return complaint


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), _cells(COMPLAINT_MOVES, allowed=True))
def test_every_allowed_complaint_move_writes_one_event(src, dst, rita):
    complaint = _complaint(src)
    before = Event.objects.filter(complaint=complaint).count()

    complaint_move(complaint=complaint, to_status=dst, actor=rita, reason="test")

    complaint.refresh_from_db()
    assert complaint.status == dst
    event = Event.objects.filter(complaint=complaint).latest("id")
    assert Event.objects.filter(complaint=complaint).count() == before + 1
    assert (event.from_status, event.to_status, event.actor, event.actor_role, event.reason) == (
        src,
        dst,
        rita,
        "regulator",
        "test",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), _cells(CASE_MOVES, allowed=True))
def test_every_allowed_case_move_writes_one_event(src, dst, rita):
    case = _case(AppFactory(), src)

    case_move(case=case, to_status=dst, actor=rita, reason="test")

    case.refresh_from_db()
    assert case.status == dst
    assert Event.objects.filter(case=case).count() == 1
    event = Event.objects.get(case=case)
    assert (event.from_status, event.to_status, event.actor) == (src, dst, rita)
    # The open flag that backs the one-open-case constraint follows the status.
    assert CaseCategory.objects.get(case=case).is_open is (dst != K.CLOSED)


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), _cells(COMPLAINT_MOVES, allowed=False))
def test_every_forbidden_complaint_move_is_refused_without_trace(src, dst, rita):
    complaint = _complaint(src)
    row = Complaint.objects.filter(pk=complaint.pk).values().get()
    events = Event.objects.count()

    with pytest.raises(TransitionNotAllowed) as excinfo:
        complaint_move(complaint=complaint, to_status=dst, actor=rita)

    assert str(C(src).label) in excinfo.value.message
    assert str(C(dst).label) in excinfo.value.message
    assert Complaint.objects.filter(pk=complaint.pk).values().get() == row
    assert Event.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), _cells(CASE_MOVES, allowed=False))
def test_every_forbidden_case_move_is_refused_without_trace(src, dst, rita):
    case = _case(AppFactory(), src)
    row = Case.objects.filter(pk=case.pk).values().get()

    with pytest.raises(TransitionNotAllowed) as excinfo:
        case_move(case=case, to_status=dst, actor=rita)

    assert str(K(src).label) in excinfo.value.message
    assert str(K(dst).label) in excinfo.value.message
    assert Case.objects.filter(pk=case.pk).values().get() == row
    assert CaseCategory.objects.get(case=case).is_open is (src != K.CLOSED)
    assert not Event.objects.filter(case=case).exists()


def test_error_message_is_translated():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(TransitionNotAllowed) as excinfo:
        workflow.check_complaint_move("closed", "accepted")
    assert "投诉" in excinfo.value.message
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as excinfo:
        workflow.check_complaint_move("closed", "accepted")
    assert excinfo.value.message.startswith("A complaint cannot go")


# --- the pages and endpoints ------------------------------------------------------------------
# Every action a person can take that moves a status, with where they take it. For each status
# the grid forbids the action's target from, every channel must refuse and leave no trace; a
# control from one allowed status proves the same request goes through when it may.


@dataclass(frozen=True)
class Action:
    target: str
    persona: str  # fixture name of the person who takes it
    allowed_from: str  # for the control: a status the grid lets this action leave
    data: Callable[[SimpleNamespace], dict]
    web: str  # {pk} is the object's id, {number} a complaint's tracking number
    api: str | None = None
    api_data: Callable[[SimpleNamespace], dict] | None = None
    bulk: str | None = None  # the triage queue's bulk action of the same name
    # Statuses the action leaves as they are on purpose, instead of refusing.
    keeps_status_from: tuple[str, ...] = ()


COMPLAINT_ACTIONS = {
    "accept": Action(
        target=C.ACCEPTED,
        persona="rita",
        allowed_from=C.NEEDS_REVIEW,
        data=lambda w: {"categories": ["fraud"]},
        web="/triage/{pk}/accept/",
        api="/api/v1/triage/{pk}/accept/",
        bulk="accept",
    ),
    "reject": Action(
        target=C.REJECTED,
        persona="rita",
        allowed_from=C.NEEDS_REVIEW,
        data=lambda w: {"reason": "spam"},
        web="/triage/{pk}/reject/",
        api="/api/v1/triage/{pk}/reject/",
        bulk="reject",
    ),
    "duplicate": Action(
        target=C.DUPLICATE,
        persona="rita",
        allowed_from=C.NEEDS_REVIEW,
        data=lambda w: {"original": w.original.tracking_number},
        web="/triage/{pk}/duplicate/",
        api="/api/v1/triage/{pk}/duplicate/",
    ),
    "request-info": Action(
        target=C.INFO_REQUESTED,
        persona="rita",
        allowed_from=C.NEEDS_REVIEW,
        data=lambda w: {"question": "Which version of the app?"},
        web="/triage/{pk}/request-info/",
        api="/api/v1/triage/{pk}/request-info/",
        bulk="request_info",
    ),
    "link": Action(
        target=C.LINKED,
        persona="rita",
        allowed_from=C.ACCEPTED,
        data=lambda w: {"case": w.case.reference},
        web="/triage/{pk}/link/",
        api="/api/v1/triage/{pk}/link/",
        bulk="link_case",
        # Already answered or linked: the complaint only gains the link (cases.complaint_case_attach).
        keeps_status_from=(C.LINKED, C.ANSWERED),
    ),
    "close": Action(
        target=C.CLOSED,
        persona="rita",
        allowed_from=C.DISPUTED,
        data=lambda w: {"reason": "Nothing more to do."},
        web="/triage/{pk}/close/",
        api="/api/v1/triage/{pk}/close/",
    ),
    "answer": Action(
        target=C.ANSWERED,
        persona="olivia",
        allowed_from=C.ACCEPTED,
        data=lambda w: {"text": "Fixed in 2.1.", "closure_code": "fixed"},
        web="/operator/complaints/{pk}/answer/",
        api="/api/v1/operator/complaints/{pk}/answer/",
    ),
    "not-our-app": Action(
        target=C.NEEDS_REVIEW,
        persona="olivia",
        allowed_from=C.ACCEPTED,
        data=lambda w: {"text": "Not our app.", "closure_code": "not_our_app"},
        web="/operator/complaints/{pk}/answer/",
        api="/api/v1/operator/complaints/{pk}/answer/",
    ),
    "withdraw": Action(
        target=C.WITHDRAWN,
        persona="alice",
        allowed_from=C.SUBMITTED,
        data=lambda w: {"reason": "Sorted out."},
        web="/track/{number}/withdraw/",
    ),
    "confirm": Action(
        target=C.CLOSED,
        persona="alice",
        allowed_from=C.ANSWERED,
        data=lambda w: {},
        web="/track/{number}/confirm/",
        api="/api/v1/track/{number}/confirm/",
    ),
    "dispute": Action(
        target=C.DISPUTED,
        persona="alice",
        allowed_from=C.ANSWERED,
        data=lambda w: {"reason": "Still broken."},
        web="/track/{number}/dispute/",
        api="/api/v1/track/{number}/dispute/",
    ),
    "give-info": Action(
        target=C.NEEDS_REVIEW,
        persona="alice",
        allowed_from=C.INFO_REQUESTED,
        data=lambda w: {"text": "Version 2.0."},
        web="/track/{number}/info/",
    ),
}

CASE_ACTIONS = {
    "notice": Action(
        target=K.NOTICE_ISSUED,
        persona="rita",
        allowed_from=K.OPEN,
        data=lambda w: {"problems": "Asks for the contact list."},
        web="/cases/{pk}/notice/",
        api="/api/v1/cases/{pk}/notices/",
    ),
    "verify-rectified": Action(
        target=K.RECTIFIED,
        persona="rita",
        allowed_from=K.RESPONSE_RECEIVED,
        data=lambda w: {"rectified": "yes", "notes": "Checked 2.1."},
        web="/cases/{pk}/verify/",
        api="/api/v1/cases/{pk}/verify/",
        api_data=lambda w: {"rectified": True, "notes": "Checked 2.1."},
    ),
    "verify-not-rectified": Action(
        target=K.NOT_RECTIFIED,
        persona="rita",
        allowed_from=K.RESPONSE_RECEIVED,
        # Not rectified takes its next step at once (here an escalation): see test_deadlines.
        data=lambda w: {"rectified": "no", "notes": "Still asks.", "escalate_measure": "referral"},
        web="/cases/{pk}/verify/",
        api="/api/v1/cases/{pk}/verify/",
        api_data=lambda w: {
            "rectified": False,
            "notes": "Still asks.",
            "escalate_measure": "referral",
        },
    ),
    "escalate": Action(
        target=K.ESCALATED,
        persona="rita",
        allowed_from=K.NOT_RECTIFIED,
        data=lambda w: {"measure": "public_notice", "reason": "No fix."},
        web="/cases/{pk}/escalate/",
        api="/api/v1/cases/{pk}/escalate/",
    ),
    "close": Action(
        target=K.CLOSED,
        persona="rita",
        allowed_from=K.OPEN,
        data=lambda w: {"reason": "Fixed."},
        web="/cases/{pk}/close/",
        api="/api/v1/cases/{pk}/close/",
    ),
    "report": Action(
        target=K.RESPONSE_RECEIVED,
        persona="olivia",
        allowed_from=K.NOTICE_ISSUED,
        data=lambda w: {"text": "Removed the permission."},
        web="/operator/cases/{pk}/report/",
        api="/api/v1/operator/cases/{pk}/report/",
    ),
}


def _channels(action: Action) -> list[str]:
    return ["web"] + (["api"] if action.api else []) + (["bulk"] if action.bulk else [])


def _refusals(actions: dict[str, Action], grid) -> list:
    return [
        pytest.param(name, src, id=f"{name}-from-{src}")
        for name, action in actions.items()
        for src in _forbidden_from(grid, action.target)
        if src not in action.keeps_status_from
    ]


def _controls(actions: dict[str, Action]) -> list:
    return [
        pytest.param(name, channel, id=f"{name}-{channel}")
        for name, action in actions.items()
        for channel in _channels(action)
    ]


@pytest.fixture(scope="module")
def clients():
    """A web and an API client shared by the module's tests: each new test client loads the
    middleware again, and WhiteNoise then rescans every static file (a third of the time)."""
    return {"web": Client(), "api": APIClient()}


@pytest.fixture
def world(app, alice, olivia, rita, clients):
    """Alice's complaint about olivia's app, another complaint to be a duplicate of, and an
    open case about the same app (in another category than the one accept labels with, so
    accepting does not join it)."""
    return SimpleNamespace(
        complaint=make_complaint(app=app, submitter=alice),
        original=make_complaint(app=app),
        case=_case(app, K.OPEN, "over_permission"),
        people={"rita": rita, "olivia": olivia, "alice": alice},
        clients=clients,
        signed_in={},
    )


def _client(world, kind: str, persona: str):
    """The shared web or API client, signed in as `persona` (afresh in each test)."""
    client = world.clients[kind]
    if world.signed_in.get(kind) != persona:
        user = world.people[persona]
        client.cookies.clear()
        if kind == "api":
            client.force_authenticate(user)
        else:
            client.force_login(user)
        world.signed_in[kind] = persona
    return client


def _send(channel: str, action: Action, world, obj):
    url = {"web": action.web, "api": action.api, "bulk": "/triage/"}[channel].format(
        pk=obj.pk, number=getattr(obj, "tracking_number", "")
    )
    data = action.data(world)
    if channel == "api":
        data = action.api_data(world) if action.api_data else data
        return _client(world, "api", action.persona).post(url, data, format="json")
    if channel == "bulk":
        data = {"action": action.bulk, "ids": [obj.pk], **data}
    return _client(world, "web", action.persona).post(url, data)


def _messages(response, level: str) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level_tag == level]


def _refusal(channel: str, response) -> str | None:
    """What the person was told when the request was refused; None when it went through."""
    if 400 <= response.status_code < 500:
        if channel == "api":
            return response.json()["error"]["message"]
        return (response.context or {}).get("error") or f"HTTP {response.status_code}"
    if response.status_code == 302 and not _messages(response, "success"):
        return next(iter(_messages(response, "error")), None)
    return None


def _trace(obj) -> tuple:
    """Everything a refused request must leave as it was."""
    model = type(obj)
    links = (
        sorted(obj.categories.values_list("code", flat=True))
        if model is Complaint
        else sorted(CaseCategory.objects.filter(case=obj).values_list("is_open", flat=True))
    )
    return (
        model.objects.filter(pk=obj.pk).values().get(),
        links,
        Event.objects.count(),
        OperatorResponse.objects.count(),
        Notice.objects.count(),
    )


def _refused_everywhere(action: Action, world, obj, src: str) -> None:
    for channel in _channels(action):
        before = _trace(obj)
        response = _send(channel, action, world, obj)
        assert _refusal(channel, response), (
            f"{channel} let {src} -> {action.target} through (HTTP {response.status_code})"
        )
        assert _trace(obj) == before, f"{channel} refused {src} -> {action.target} with a trace"
        assert type(obj).objects.get(pk=obj.pk).status == src


def _went_through(action: Action, channel: str, world, obj, src: str) -> None:
    events = Event.objects.count()
    response = _send(channel, action, world, obj)
    assert _refusal(channel, response) is None, response.content[:500]
    assert response.status_code in (200, 201, 302)
    kind = "complaint" if type(obj) is Complaint else "case"
    moves = Event.objects.filter(
        **{kind: obj}, kind=Event.Kind.TRANSITION, from_status=src, to_status=action.target
    )
    assert moves.count() == 1
    assert Event.objects.count() > events


@pytest.mark.parametrize(("name", "src"), _refusals(COMPLAINT_ACTIONS, COMPLAINT_MOVES))
def test_complaint_actions_refuse_every_forbidden_move(name, src, world):
    action = COMPLAINT_ACTIONS[name]
    complaint = world.complaint
    Complaint.objects.filter(pk=complaint.pk).update(status=src)
    complaint.refresh_from_db()
    _refused_everywhere(action, world, complaint, src)


@pytest.mark.parametrize(("name", "channel"), _controls(COMPLAINT_ACTIONS))
def test_complaint_actions_work_from_an_allowed_status(name, channel, world):
    action = COMPLAINT_ACTIONS[name]
    assert COMPLAINT_MOVES[(action.allowed_from, action.target)]
    complaint = world.complaint
    Complaint.objects.filter(pk=complaint.pk).update(status=action.allowed_from)
    complaint.refresh_from_db()
    _went_through(action, channel, world, complaint, action.allowed_from)


@pytest.mark.parametrize("src", [C.LINKED, C.ANSWERED])
def test_linking_an_answered_or_linked_complaint_only_adds_the_link(src, world):
    """The one action that may meet a status the grid forbids it to reach: it keeps it."""
    action = COMPLAINT_ACTIONS["link"]
    assert src in action.keeps_status_from and not COMPLAINT_MOVES[(src, C.LINKED)]
    complaint = world.complaint
    for channel in _channels(action):
        Complaint.objects.filter(pk=complaint.pk).update(status=src, case=None)
        response = _send(channel, action, world, complaint)
        assert _refusal(channel, response) is None, channel
        complaint.refresh_from_db()
        assert (complaint.status, complaint.case) == (src, world.case)
    assert not Event.objects.filter(complaint=complaint, kind=Event.Kind.TRANSITION).exists()


@pytest.mark.parametrize(("name", "src"), _refusals(CASE_ACTIONS, CASE_MOVES))
def test_case_actions_refuse_every_forbidden_move(name, src, world, app):
    _refused_everywhere(CASE_ACTIONS[name], world, _case(app, src), src)


@pytest.mark.parametrize(("name", "channel"), _controls(CASE_ACTIONS))
def test_case_actions_work_from_an_allowed_status(name, channel, world, app):
    action = CASE_ACTIONS[name]
    assert CASE_MOVES[(action.allowed_from, action.target)]
    _went_through(action, channel, world, _case(app, action.allowed_from), action.allowed_from)


# When the operator may send the app's package (issue 17), typed out: with its report awaiting
# verification; or, when a trigger rule asked for it, until the case ends.
#                       status             no request  requested
PACKAGE_GRID = {
    K.OPEN: (False, True),
    K.NOTICE_ISSUED: (False, True),
    K.RESPONSE_RECEIVED: (True, True),
    K.RECTIFIED: (False, False),
    K.NOT_RECTIFIED: (False, True),
    K.OVERDUE: (False, True),
    K.ESCALATED: (False, True),
    K.CLOSED: (False, False),
}


def test_the_package_grid_covers_every_case_status():
    assert set(PACKAGE_GRID) == set(K)


@pytest.mark.parametrize("status", list(PACKAGE_GRID))
def test_when_the_operator_may_send_the_package(status):
    for requested, expected in zip(
        (None, datetime.datetime(2026, 11, 18)), PACKAGE_GRID[status], strict=True
    ):
        case = SimpleNamespace(status=status, inspection_requested_at=requested)
        assert workflow.can_submit_package(case) is expected, (status, requested)
    assert workflow.package_goes_with_report(SimpleNamespace(status=status)) is (
        status == K.RESPONSE_RECEIVED
    )
