"""Every kind of page keeps to the Content-Security-Policy in Chromium: the public pages, the
regulator's charts and queue, and Django's admin show no violation, and the check itself sees
one when an inline style is added."""

import pytest

from complaints.models import Complaint
from complaints.services.statistics import statistics_refresh
from tests.browser.test_screens import wait_for_charts
from tests.complaints.views.test_public import public_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHARTED = {"/statistics/", "/dashboard/"}


def visit(screen, path: str) -> None:
    response = screen.page.goto(screen.base_url + path)
    assert response.status == 200, path
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
    if path in CHARTED:
        assert wait_for_charts(screen.page) > 0
    screen.page.wait_for_load_state("load")


def test_pages_show_no_policy_violation(open_screen, app, other_app, rita, olivia, ada):
    public_world(app=app, other_app=other_app, rita=rita, olivia=olivia)
    statistics_refresh()
    complaint = Complaint.objects.order_by("pk").first()
    visitor, regulator, admin = open_screen("visitor"), open_screen("rita"), open_screen("ada")
    regulator.login("rita", "pw-rita")
    admin.login("ada", "pw-ada")
    pages = {
        visitor: [
            "/",
            "/file/",
            "/file/quick/",
            "/track/",
            "/board/",
            "/statistics/",
            "/accounts/signup/",
        ],
        regulator: ["/dashboard/", "/triage/", f"/triage/{complaint.pk}/", "/cases/"],
        admin: [
            "/admin/",
            "/admin/complaints/complaint/",
            f"/admin/complaints/complaint/{complaint.pk}/change/",
            "/admin/auth/user/add/",
        ],
    }
    for screen, paths in pages.items():
        for path in paths:
            visit(screen, path)
        assert screen.csp_violations == []
        assert screen.errors == []

    # The check sees a violation when there is one: an inline style attribute is refused.
    page = visitor.page
    with page.expect_console_message(lambda message: message.text.startswith("CSP violation")):
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')"
        )
    assert visitor.csp_violations and "style-src" in visitor.csp_violations[0]
