"""SQL queries per page do not grow with the data: each page is measured with a little data
and with much more (more complaints, categories, events, evidence, cases), and pinned."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from rest_framework.test import APIClient

from complaints.models import Case
from complaints.services import cases as case_services
from complaints.services import operators, triage
from tests.factories import AppFactory, make_complaint

CODES = ["over_permission", "illegal_collection", "fraud", "unauthorized_charges"]


def png(n: int) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (n % 255, 0, 0)).save(buffer, format="PNG")
    return SimpleUploadedFile(f"p{n}.png", buffer.getvalue(), content_type="image/png")


def grow(*, app, rita, olivia, case: Case, n: int) -> None:
    """Add n complaints in every state the pages show, linked to the case, with answers."""
    for i in range(n):
        complaint = make_complaint(app=app, description=f"第{i}次：强制索取通讯录权限，不给就闪退")
        complaint.categories.set(
            [c for c in case.categories.all()] if i % 2 else list(case.categories.all())[:1]
        )
        if i % 3 == 0:
            continue  # stays in the queue
        triage.complaint_accept(
            complaint=complaint,
            actor=rita,
            category_codes=CODES[: 1 + i % 4],
            # Labels spread over the categories for volume, not what the text says.
            relabel_reason="Volume for the query count.",
        )
        complaint.refresh_from_db()
        if complaint.case_id is None:
            triage.complaint_link_case(complaint=complaint, case=case, actor=rita)
        if i % 3 == 2:
            operators.complaint_answer(
                complaint=complaint, actor=olivia, text=f"answer {i}", closure_code="fixed"
            )
        case_services.case_note_add(case=case, actor=rita, text=f"note {i}")
        AppFactory()  # more apps in the database


@pytest.fixture
def setup(app, rita, olivia):
    case = case_services.case_open(app=app, categories=["over_permission", "fraud"], actor=rita)
    case_services.notice_issue(case=case, actor=rita, problems="x")
    case_services.rectification_report_submit(case=case, actor=olivia, text="fixed", files=[png(1)])
    case.refresh_from_db()
    return {"app": app, "rita": rita, "olivia": olivia, "case": case}


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


PAGES = [
    # (who, url builder, pinned maximum: the count measured when the pin was set). A
    # regulator's web pages load the device that verified the session (django-otp), one query.
    # The whole queue is counted once, for the header and the pages alike.
    ("rita", lambda s: "/triage/", 10),
    # +2: the SDKs the app's inspections found and the complaint's attribution (issue 17).
    ("rita", lambda s: f"/triage/{s['probe'].pk}/", 18),
    ("rita", lambda s: "/cases/", 9),
    # +1: the app's inspections; +4: versions named, SDKs found, the case's attribution, the
    # package to verify (issue 17).
    ("rita", lambda s: f"/cases/{s['case'].pk}/", 20),
    ("olivia", lambda s: "/operator/", 11),
    ("olivia", lambda s: f"/operator/cases/{s['case'].pk}/", 11),  # +1: its packages (issue 17)
    ("olivia", lambda s: f"/operator/complaints/{s['answered'].pk}/", 8),
    ("rita", lambda s: "/api/v1/triage/", 3),
    ("rita", lambda s: f"/api/v1/triage/{s['probe'].pk}/", 5),
    ("rita", lambda s: "/api/v1/cases/", 3),
    ("rita", lambda s: f"/api/v1/cases/{s['case'].pk}/", 10),
    ("olivia", lambda s: "/api/v1/operator/complaints/", 3),
    ("olivia", lambda s: f"/api/v1/operator/cases/{s['case'].pk}/", 6),
]


@pytest.mark.parametrize(
    ("who", "url", "pinned"), PAGES, ids=[f"{p[0]}-{i}" for i, p in enumerate(PAGES)]
)
def test_queries_do_not_grow_with_data(
    setup, client, django_assert_max_num_queries, who, url, pinned
):
    user = setup[who]
    if url(dict(setup, probe=setup["case"], answered=setup["case"])).startswith("/api/"):
        client = APIClient()
        client.force_authenticate(user)
    else:
        client.force_login(user)

    grow(**{k: setup[k] for k in ("app", "rita", "olivia", "case")}, n=3)
    probe = make_complaint(app=setup["app"], description="强制索取通讯录权限，不给就闪退")
    answered = setup["case"].complaints.filter(status="answered").first()
    state = dict(setup, probe=probe, answered=answered)
    client.get(url(state))  # warm caches (content types, sessions) before measuring
    small = _count(client, url(state))

    grow(**{k: setup[k] for k in ("app", "rita", "olivia", "case")}, n=24)
    large = _count(client, url(state))
    assert large == small, f"{url(state)}: {small} queries with little data, {large} with more"
    with django_assert_max_num_queries(pinned):
        client.get(url(state))
