"""The apps consumers named most lately (selectors.intake.apps_named_most), which the one-page
form offers before anything is typed: counted from complaints through the summary table as a
refresh leaves it, over the last 90 days, each complaint once however many labels it carries,
with every other registry app of a listed app's exact name after it."""

import datetime

import pytest
from django.utils import timezone

from complaints.models import Category
from complaints.selectors.intake import apps_named_most
from complaints.services import consumers, triage
from complaints.services.statistics import statistics_refresh
from tests.factories import AppFactory, make_complaint

# Day counts: run at each of the dates in tests/clock.py.
pytestmark = [pytest.mark.django_db, pytest.mark.every_date]


def days_ago(days: int) -> datetime.datetime:
    local = timezone.localtime() - datetime.timedelta(days=days)
    return local.replace(hour=10, minute=0, second=0, microsecond=0)


def named(app, times: int, *, days: int = 1, **kwargs) -> None:
    for _ in range(times):
        make_complaint(app=app, submitted_at=days_ago(days), **kwargs)


def test_the_apps_named_most_over_the_last_90_days_come_first():
    often, sometimes, once, long_ago = (AppFactory() for _ in range(4))
    named(often, 3, days=89)
    named(sometimes, 2, days=0)
    named(once, 1, days=30)
    named(long_ago, 4, days=90)  # the last 90 days are today and the 89 before
    make_complaint(app_name="没有登记的应用", submitted_at=days_ago(1))  # no registry app
    statistics_refresh()

    assert apps_named_most() == [often, sometimes, once]
    assert apps_named_most(days=91) == [long_ago, often, sometimes, once]


def test_a_complaint_with_many_labels_counts_once():
    labelled, plain = AppFactory(), AppFactory()
    codes = ["over_permission", "unauthorized_charges"]
    for _ in range(2):
        complaint = make_complaint(app=labelled, submitted_at=days_ago(3))
        complaint.categories.set(Category.objects.filter(code__in=codes))
    assert Category.objects.filter(code__in=codes).count() == 2
    named(plain, 3)
    statistics_refresh()

    assert apps_named_most() == [plain, labelled]


def test_complaints_turned_down_or_taken_back_do_not_count(rita):
    flooded, plain = AppFactory(), AppFactory()
    named(plain, 1)
    spam = [make_complaint(app=flooded, submitted_at=days_ago(2)) for _ in range(4)]
    for complaint in spam[:2]:
        triage.complaint_reject(complaint=complaint, actor=rita, reason="spam")
    triage.complaint_mark_duplicate(complaint=spam[2], original=spam[3], actor=rita)
    consumers.complaint_withdraw(complaint=spam[3])
    statistics_refresh()
    assert apps_named_most() == [plain]

    named(flooded, 2)
    statistics_refresh()
    assert apps_named_most() == [flooded, plain]


def test_as_many_as_asked_ties_by_registry_order():
    apps = [AppFactory() for _ in range(5)]
    for app in reversed(apps):
        named(app, 1)
    named(apps[3], 1)
    statistics_refresh()

    assert apps_named_most(limit=3) == [apps[3], apps[0], apps[1]]


def test_as_of_the_last_refresh():
    app = AppFactory()
    named(app, 1)
    assert apps_named_most() == []  # never counted
    statistics_refresh()
    other = AppFactory()
    named(other, 2)
    assert apps_named_most() == [app]
    statistics_refresh()
    assert apps_named_most() == [other, app]


def test_every_app_of_a_listed_name_follows_it():
    """Two registry apps of one name: the form must not choose one by the name alone."""
    listed = AppFactory(name="快送外卖")
    namesake = AppFactory(name="快送外卖", package_name="com.other.kuaisong")
    AppFactory(name="快送外卖 Lite")  # alike, not the same name
    next_one = AppFactory()
    named(listed, 2)
    named(next_one, 1)
    statistics_refresh()

    assert apps_named_most() == [listed, namesake, next_one]
    assert apps_named_most(limit=1) == [listed, namesake]
