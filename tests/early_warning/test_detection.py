"""Spikes against each app's and category's own baseline (Poisson), and new vocabulary among
"other" complaints; quiet background raises nothing."""

import datetime

import pytest
from django.utils import translation

from complaints.models import Complaint, Event
from early_warning.daily import early_warning_run
from early_warning.detection import new_vocabulary_detect, poisson_chance, spikes_detect
from tests.factories import AppFactory, category, make_complaint

from .conftest import at_day, file_background, file_burst

pytestmark = pytest.mark.django_db


def test_poisson_chance_by_hand():
    # P(X >= 2 | λ=1) = 1 - e^-1 (1 + 1) = 0.26424...
    assert poisson_chance(2, 1.0) == pytest.approx(0.2642411, abs=1e-6)
    assert poisson_chance(12, 0.5) == pytest.approx(3.2e-13, rel=0.05)


def test_a_burst_of_twelve_is_one_alert_with_its_complaints(app, today, corpus_texts):
    day = today - datetime.timedelta(days=1)
    file_background(corpus_texts, last_day=day + datetime.timedelta(days=1))
    burst = file_burst(app, day)
    raised = early_warning_run(day=day)
    assert len(raised) == 1
    [alert] = raised
    assert (alert.kind, alert.app, alert.category, alert.day_date) == ("spike", app, None, day)
    assert set(alert.complaints.values_list("pk", flat=True)) == {c.pk for c in burst}
    assert alert.figures["observed"] == 12 and alert.figures["expected"] == 0.5
    with translation.override("en"):
        assert alert.why == (
            f"12 complaints about 快送外卖 on {day.isoformat()}, against 0.50 a day on average "
            "over the previous 28 days. Were nothing new happening, a day this high would come "
            "by chance with probability 3.2e-13 (Poisson test; alerts fire below 1e-04)."
        )
    with translation.override("zh-hans"):
        assert alert.why.startswith(f"{day.isoformat()}，快送外卖收到 12 条投诉")
    event = Event.objects.get(data__early_warning="alert_raised")
    assert (event.kind, event.actor_role, event.public) == (Event.Kind.NOTE, "system", False)
    assert event.data == {"early_warning": "alert_raised", "alert": alert.pk, "alert_kind": "spike"}
    # Run again: nothing new.
    assert early_warning_run(day=day) == []


def test_an_app_with_a_busy_baseline_needs_more(app, today):
    day = today - datetime.timedelta(days=1)
    for offset in range(1, 29):  # about 10 a day for four weeks
        file_burst(app, day - datetime.timedelta(days=offset), ["通讯录权限"] * 10)
    file_burst(app, day, ["通讯录权限"] * 14)
    assert spikes_detect(day=day) == []
    file_burst(app, day, ["通讯录权限"] * 16)  # 30 against 10: P ≈ 7e-8
    [alert] = spikes_detect(day=day)
    assert alert.figures["observed"] == 30 and alert.figures["expected"] == 10.0


def test_a_category_spike_spread_over_apps_is_a_category_alert(today):
    day = today - datetime.timedelta(days=1)
    for n in range(10):  # ten apps, one complaint each: no app stands out, the kind does
        make_complaint(
            app=AppFactory(),
            description=f"冒充客服打电话说要退款，骗走验证码，第{n}个。",
            category_hint=category("fraud"),
            submitted_at=at_day(day, 10, n),
            classify=False,
        )
    # The consumer's hint is not a label: a category counts once the complaint carries it.
    for complaint in Complaint.objects.all():
        complaint.categories.add(category("fraud"))
    [alert] = spikes_detect(day=day)
    assert (alert.kind, alert.app, alert.category.code) == ("spike", None, "fraud")
    assert alert.complaints.count() == 10


def test_new_words_among_other_complaints_are_a_possible_new_category(today, corpus_texts):
    day = today - datetime.timedelta(days=1)
    other = category("other")

    def other_complaint(text, when):
        complaint = make_complaint(
            app=AppFactory(),
            description=text,
            category_hint=other,
            submitted_at=when,
            classify=False,
        )
        complaint.categories.add(other)
        return complaint

    for offset in range(8, 60, 2):
        other_complaint(corpus_texts[offset], at_day(day - datetime.timedelta(days=offset)))
    surge = [
        other_complaint(
            f"有人用AI换脸冒充我朋友视频通话借钱，换脸太逼真了，第{n}次听说。", at_day(day, 9, n)
        )
        for n in range(6)
    ]
    alert = new_vocabulary_detect(day=day)
    assert alert is not None and alert.kind == "new_vocabulary"
    assert {"逼真", "借钱", "通话"} <= set(alert.figures["words"])
    assert set(alert.complaints.values_list("pk", flat=True)) == {c.pk for c in surge}
    assert Complaint.objects.count() == 26 + 6
    # The next day it is the same surge: no second alert.
    assert new_vocabulary_detect(day=day + datetime.timedelta(days=1)) is None


def test_quiet_background_raises_nothing_over_a_month(today, corpus_texts):
    file_background(corpus_texts, last_day=today, days=60, apps=4, per_day=2, seed=7)
    for offset in range(1, 31):
        assert early_warning_run(day=today - datetime.timedelta(days=offset)) == []


def test_a_common_word_in_a_small_week_is_not_new(today, corpus_texts):
    """Five of eleven recent complaints using a word that one in twelve used before: five times
    as often, but with so few complaints it happens by chance (binomial tail ≈ 2e-3)."""
    day = today - datetime.timedelta(days=1)
    other = category("other")

    def other_complaint(text, when):
        complaint = make_complaint(app=AppFactory(), description=text, classify=False)
        complaint.categories.add(other)
        complaint.submitted_at = when
        complaint.save(update_fields=["submitted_at"])

    for n in range(108):
        text = corpus_texts[n] + (" 客服回访" if n % 12 == 0 else "")
        other_complaint(text, at_day(day - datetime.timedelta(days=8 + n % 50), 9, n % 60))
    for n in range(11):
        text = corpus_texts[200 + n] + (" 客服回访" if n < 5 else "")
        other_complaint(text, at_day(day, 9, n))
    assert new_vocabulary_detect(day=day) is None
