"""Early warning in the admin: every model listed, searched and opened, none editable there."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from complaints.models import Complaint
from complaints.services import triage
from early_warning.clustering import complaints_cluster
from early_warning.daily import early_warning_run
from early_warning.mail import early_warning_mail_send, mail_mode_set
from early_warning.models import Alert, Cluster
from early_warning.response_quality import response_quality_measure
from early_warning.services import alert_dismiss

from .conftest import at_day, file_burst

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    model._meta.model_name
    for model in admin.site._registry
    if model._meta.app_label == "early_warning"
)


@pytest.fixture
def rows(app, rita, today):
    day = today - datetime.timedelta(days=1)
    complaints = file_burst(app, day)
    complaints_cluster(complaint_ids=[c.pk for c in complaints])
    [alert] = early_warning_run(day=day)
    alert_dismiss(alert=alert, actor=rita, reason="seen")
    triage.complaint_accept(complaint=complaints[0], actor=rita, category_codes=["over_permission"])
    Complaint.objects.filter(pk=complaints[0].pk).update(operator_due_date=day)
    response_quality_measure(day=today)
    mail_mode_set(actor=rita, mode="immediate")
    early_warning_mail_send(mode="immediate", now=at_day(today, 12))


def test_every_model_is_registered():
    # Memberships are shown on their cluster's page.
    assert REGISTERED == [
        "alert",
        "cluster",
        "dismissal",
        "maileditem",
        "mailsetting",
        "responsequality",
    ]


@pytest.mark.parametrize("model_name", REGISTERED)
def test_lists_and_opens_but_never_edits(client, ada, rows, model_name):
    model = next(
        m
        for m in admin.site._registry
        if m._meta.model_name == model_name and m._meta.app_label == "early_warning"
    )
    client.force_login(ada)
    changelist = reverse(f"admin:early_warning_{model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "快送"}).status_code == 200
    obj = model.objects.first()
    page = client.get(reverse(f"admin:early_warning_{model_name}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert client.get(reverse(f"admin:early_warning_{model_name}_add")).status_code == 403
    assert (
        client.post(
            reverse(f"admin:early_warning_{model_name}_delete", args=[obj.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert model.objects.filter(pk=obj.pk).exists()


def test_a_cluster_page_shows_why_and_members(client, ada, rows):
    client.force_login(ada)
    cluster = Cluster.objects.get()
    page = client.get(
        reverse("admin:early_warning_cluster_change", args=[cluster.pk])
    ).content.decode()
    assert "内容相近" in page  # why, in the admin's language (the site's default here)
    assert cluster.memberships.first().complaint.tracking_number in page
    alert = Alert.objects.get()
    page = client.get(reverse("admin:early_warning_alert_change", args=[alert.pk])).content.decode()
    assert "泊松检验" in page
