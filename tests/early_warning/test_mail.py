"""Early-warning e-mails: each regulator as they chose (off, as they come, a daily digest), in
their language, with links; nothing dismissed, nothing twice, small clusters left out."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from complaints.errors import DomainError
from complaints.models import Preference
from early_warning.clustering import complaints_cluster
from early_warning.mail import early_warning_mail_send, mail_mode, mail_mode_set
from early_warning.models import Cluster, MailedItem
from early_warning.reasons import reason
from early_warning.services import alert_dismiss, alert_raise, cluster_dismiss
from early_warning.tasks import early_warning_mail
from tests.conftest import _user

from .conftest import BURST_TEXTS, at_day, file_burst

pytestmark = pytest.mark.django_db


@pytest.fixture
def noon(today):
    return at_day(today, 12)


def spike(app, day, at, n=1):
    return alert_raise(
        kind="spike",
        key=f"spike:app:{app.pk}:{day}:{n}",
        day=day,
        reason=reason(
            "spike_app",
            observed=12,
            app=app.name,
            date=day.isoformat(),
            expected=0.5,
            days=28,
            chance="1e-9",
            alpha="0.0001",
        ),
        figures={"observed": 12},
        app=app,
        at=at,
    )


def test_one_email_with_new_alerts_and_big_clusters_never_twice(app, rita, today, noon):
    yesterday = today - datetime.timedelta(days=1)
    mail_mode_set(actor=rita, mode="immediate")
    Preference.objects.create(user=rita, language="en")
    complaints_cluster(complaint_ids=[c.pk for c in file_burst(app, yesterday)])  # 12
    small = file_burst(app, yesterday, BURST_TEXTS[:4], code="illegal_collection")
    complaints_cluster(complaint_ids=[c.pk for c in small])  # 4: below the size
    raised = spike(app, yesterday, noon - datetime.timedelta(hours=1))
    dismissed = spike(app, yesterday, noon - datetime.timedelta(hours=1), n=2)
    alert_dismiss(alert=dismissed, actor=rita, reason="known outage")

    assert early_warning_mail_send(mode="immediate", now=noon) == 1
    [message] = mail.outbox
    assert message.to == ["rita@example.com"]
    assert message.subject == "[AppWatch early warning] 2 new: 1 alert, 1 collective complaint"
    big = Cluster.objects.get(size=12)
    assert f"http://127.0.0.1:8000/early-warning/alerts/{raised.pk}/" in message.body
    assert f"http://127.0.0.1:8000/early-warning/clusters/{big.pk}/" in message.body
    assert "12 complaints about 快送外卖 on" in message.body  # why, in her language
    assert f"/alerts/{dismissed.pk}/" not in message.body
    small_cluster = Cluster.objects.get(size=4)
    assert f"/clusters/{small_cluster.pk}/" not in message.body

    # Again, and later: nothing twice; a new alert goes alone.
    assert early_warning_mail_send(mode="immediate", now=noon) == 0
    later = spike(app, yesterday, noon + datetime.timedelta(minutes=3), n=3)
    assert early_warning_mail_send(mode="immediate", now=noon + datetime.timedelta(minutes=5)) == 1
    assert len(mail.outbox) == 2
    assert f"/alerts/{later.pk}/" in mail.outbox[1].body
    assert f"/alerts/{raised.pk}/" not in mail.outbox[1].body
    assert MailedItem.objects.filter(user=rita).count() == 3


def test_each_regulator_as_chosen_and_in_their_language(app, rita, today):
    rhea = _user("rhea", "regulator")  # never chose: the default, a daily digest
    ruth = _user("ruth", "regulator")
    mail_mode_set(actor=ruth, mode="off")
    mail_mode_set(actor=rita, mode="immediate")
    assert (mail_mode(rhea), mail_mode(ruth), mail_mode(rita)) == ("daily", "off", "immediate")
    # The task sends as of now (the suite's clock).
    spike(app, today - datetime.timedelta(days=1), timezone.now() - datetime.timedelta(hours=2))
    early_warning_mail.delay("daily")
    [digest] = mail.outbox
    assert digest.to == ["rhea@example.com"]
    assert digest.subject.startswith("【AppWatch 预警】新增 1 项")  # the site's language
    assert "快送外卖收到 12 条投诉" in digest.body
    early_warning_mail.delay("immediate")
    assert [m.to for m in mail.outbox] == [["rhea@example.com"], ["rita@example.com"]]
    early_warning_mail.delay("daily")
    early_warning_mail.delay("immediate")
    assert len(mail.outbox) == 2


def test_nothing_old_nothing_dismissed_and_no_cluster_with_a_case(app, rita, today, noon):
    mail_mode_set(actor=rita, mode="daily")
    long_ago = today - datetime.timedelta(days=10)
    spike(app, long_ago, at_day(long_ago, 9))  # before the look-back
    complaints_cluster(
        complaint_ids=[c.pk for c in file_burst(app, today - datetime.timedelta(days=1))]
    )
    cluster_dismiss(cluster=Cluster.objects.get(), actor=rita, reason="a test run of theirs")
    assert early_warning_mail_send(mode="daily", now=noon) == 0
    assert mail.outbox == []


def test_a_refused_message_is_sent_again_later(app, rita, today, noon, settings):
    mail_mode_set(actor=rita, mode="immediate")
    spike(app, today - datetime.timedelta(days=1), noon - datetime.timedelta(hours=1))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    with pytest.raises(OSError):
        early_warning_mail_send(mode="immediate", now=noon)
    assert not MailedItem.objects.exists()  # rolled back with the refusal
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert early_warning_mail_send(mode="immediate", now=noon) == 1


def test_only_regulators_choose_and_only_the_offered_ways(rita, olivia, english):
    with pytest.raises(DomainError, match="Choose one of the offered ways"):
        mail_mode_set(actor=rita, mode="hourly")
    with pytest.raises(DomainError):
        mail_mode_set(actor=olivia, mode="immediate")
    with pytest.raises(ValueError, match="sends nothing"):
        early_warning_mail_send(mode="off")
