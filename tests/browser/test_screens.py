"""End-to-end in headless Chromium: a consumer files a complaint and sees its status; a
regulator's dashboard draws every chart and a filter changes the numbers; the public board
search; an app scorecard; an operator answers a complaint. Each screen is photographed."""

import datetime
import re

import pytest
from django.utils import timezone

from benchmarks.generation import complaints_generate
from complaints.models import Complaint
from complaints.services import triage
from complaints.services.statistics import statistics_refresh
from tests.complaints.selectors.stats.test_summary import days_ago, model_labels
from tests.complaints.views.test_public import public_world
from tests.factories import make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def world(app, other_app, rita, olivia):
    return public_world(app=app, other_app=other_app, rita=rita, olivia=olivia)


def wait_for_charts(page) -> int:
    """Every chart on the page drawn as SVG; returns how many."""
    charts = page.locator("[data-chart]")
    count = charts.count()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-chart][data-rendered=true] svg').length === n",
        arg=count,
    )
    return count


def test_consumer_files_a_complaint_and_sees_its_status(screen, app):
    page = screen.go("/file/")
    page.fill("input[name=q][type=search]", "快送")
    page.get_by_role("button", name="Search").click()
    page.locator(f"input[name=app][value='{app.pk}']").check()
    screen.shot("file-1-app")
    page.get_by_role("button", name="Continue").click()
    page.fill(
        "textarea[name=description]", "这个应用不给通讯录权限就闪退，拒绝以后每次启动都弹窗要权限。"
    )
    page.locator("input[name=kind][value=over_permission]").check()
    screen.shot("file-2-what")
    page.get_by_role("button", name="Continue").click()
    page.locator("input[name=permissions][value=contacts]").check()
    page.locator("input[name=refused_without][value=yes]").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # no evidence
    page.locator("input[name=consent_share_with_operator]").check()
    page.get_by_role("button", name="Continue").click()
    screen.shot("file-5-review")
    page.get_by_role("button", name="Send the complaint").click()
    page.get_by_text("We received your complaint").wait_for()
    screen.shot("file-6-done", readme=True)
    complaint = Complaint.objects.get()
    assert complaint.app == app and "通讯录" in complaint.description
    assert complaint.tracking_number in page.content()
    page.locator(f"a[href*='/track/{complaint.tracking_number}/?t=']").first.click()
    page.wait_for_url(re.compile(rf"/track/{complaint.tracking_number}/"))
    assert complaint.tracking_number in page.content()
    screen.shot("track-status", readme=True)
    assert screen.errors == []


def received_since(start: str, **filters) -> int:
    since = datetime.datetime.combine(
        datetime.date.fromisoformat(start),
        datetime.time.min,
        tzinfo=timezone.get_current_timezone(),
    )
    return Complaint.objects.filter(submitted_at__gte=since, **filters).distinct().count()


def test_regulator_dashboard_draws_every_chart_and_filters(screen, world, rita):
    complaints_generate(count=2500, days=150, seed=3)  # enough to fill the charts
    statistics_refresh()
    screen.login("rita", "pw-rita")
    page = screen.go("/dashboard/")
    assert wait_for_charts(page) == 10
    start = page.locator("input[name=start_date]").input_value()
    assert page.locator('[data-figure="received"]').inner_text() == f"{received_since(start):,}"
    screen.shot("dashboard", readme=True)
    page.select_option("select[name=category]", "fraud")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"category=fraud"))
    wait_for_charts(page)
    fraud = received_since(start, categories__code="fraud")
    assert page.locator('[data-figure="received"]').inner_text() == f"{fraud:,}"
    assert fraud < received_since(start)
    screen.shot("dashboard-fraud")
    assert screen.errors == []


def test_public_board_search(screen, world):
    page = screen.go("/board/")
    rows = page.locator("#board tbody tr[data-case]")
    assert rows.count() == 2
    screen.shot("board", readme=True)
    page.fill("input[name=q]", "云途")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q="))
    assert rows.count() == 1
    assert (
        page.locator("#board tbody tr[data-case]").get_attribute("data-case")
        == world.overdue.reference
    )
    assert page.locator('[data-status="escalated"]').count() == 1
    assert screen.errors == []


def test_app_scorecard_warns_and_draws(screen, world, other_app):
    complaints_generate(count=1500, days=330, seed=5)  # a year of history to chart
    statistics_refresh()
    page = screen.go(f"/apps/{other_app.pk}/")
    assert page.locator("#warning").is_visible()
    assert wait_for_charts(page) == 2
    screen.shot("app-scorecard", readme=True)
    assert screen.errors == []


def test_public_statistics_and_published_complaints(screen, world):
    complaints_generate(count=2500, days=330, seed=4)
    Complaint.objects.filter(source="generated").update(consent_publish=False)
    statistics_refresh()
    page = screen.go("/statistics/")
    assert wait_for_charts(page) == 5
    screen.shot("statistics", readme=True)
    page = screen.go("/published/")
    assert page.locator("[data-complaint]").count() == 1
    assert "138****5678" in page.content()
    screen.shot("published")
    assert screen.errors == []


def test_operator_answers_a_complaint(screen, world, app, rita, olivia):
    waiting = make_complaint(app=app, submitted_at=days_ago(3), consent_share_with_operator=True)
    model_labels(waiting, ["over_permission"], 0.9)
    triage.complaint_accept(complaint=waiting, actor=rita)
    statistics_refresh()
    screen.login("olivia", "pw-olivia")
    page = screen.go("/operator/dashboard/")
    assert waiting.tracking_number in page.content()
    screen.shot("operator-dashboard", readme=True)
    page.get_by_role("link", name=waiting.tracking_number).click()
    page.wait_for_url(re.compile(rf"/operator/complaints/{waiting.pk}/"))
    page.fill("textarea[name=text]", "已在新版本中改为使用时再申请通讯录权限。")
    page.select_option("select[name=closure_code]", "fixed")
    screen.shot("operator-answer")
    page.get_by_role("button", name="Send answer").click()
    page.get_by_text("Answer sent.").wait_for()
    waiting.refresh_from_db()
    assert waiting.status == Complaint.Status.ANSWERED
    assert waiting.responses.get().text.startswith("已在新版本")
    assert screen.errors == []


@pytest.mark.parametrize(
    ("path", "drawn"),
    [("/api/schema/swagger/", ".opblock"), ("/api/schema/redoc/", "[data-section-id]")],
)
def test_the_api_browsers_draw_the_schema_without_the_internet(screen, path, drawn):
    # Code, styles, fonts and data must come from this site. (ReDoc's footer shows its maker's
    # logo from their server if it can, and hides it when it cannot: decoration only.)
    elsewhere, pictures = [], []
    screen.page.on(
        "request",
        lambda request: (
            request.url.startswith((screen.base_url, "blob:", "data:"))
            or (pictures if request.resource_type == "image" else elsewhere).append(request.url)
        ),
    )
    page = screen.go(path)
    page.locator(drawn).first.wait_for()
    assert page.locator(drawn).count() > 10
    assert elsewhere == []
    # ReDoc's footer logo from its maker's server: blocked by the page's policy, or
    # unreachable with no internet here; decoration either way.
    decorative = "cdn.redoc.ly/redoc/logo-mini.svg"
    unreachable = "net::ERR_NAME_NOT_RESOLVED"
    assert [
        e for e in screen.errors if decorative not in e and not (pictures and unreachable in e)
    ] == []
