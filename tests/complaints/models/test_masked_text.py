"""A complaint stores its masked text only when masking changed something (most texts hold no
personal data); every page and endpoint that shows the masked text reads it through
Complaint.masked_text, so both kinds look the same to their readers and no raw personal data
leaks through the fallback."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from complaints.models import Complaint
from complaints.services import cases as case_services
from complaints.services import triage
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db

PLAIN = "这个应用一直索取通讯录权限，不给就闪退，卸载重装也一样。"
PERSONAL = "客服让我把验证码发到 13812345678 才肯退款，结果被扣了钱。"
MASKED = "客服让我把验证码发到 138****5678 才肯退款，结果被扣了钱。"


@pytest.fixture
def pair(app, rita):
    """One accepted, publishable complaint of each kind, both in one case."""
    plain, personal = (
        make_complaint(
            app=app, description=text, consent_publish=True, consent_share_with_operator=True
        )
        for text in (PLAIN, PERSONAL)
    )
    for complaint in (plain, personal):
        triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    case = case_services.case_open(
        app=app, categories=["fraud"], actor=rita, complaints=[plain, personal]
    )
    for complaint in (plain, personal):
        complaint.refresh_from_db()
    return plain, personal, case


def test_the_text_is_stored_once_unless_masking_changed_it(pair):
    plain, personal, _case = pair
    assert plain.description_masked is None and plain.masked_text == PLAIN
    assert personal.description_masked == MASKED and personal.masked_text == MASKED


def _shows_both(body: str) -> None:
    assert PLAIN in body
    assert MASKED in body
    assert "13812345678" not in body


def test_operator_sees_the_masked_text_of_each(client, pair, olivia):
    plain, personal, _case = pair
    client.force_login(olivia)
    for complaint, masked in ((plain, PLAIN), (personal, MASKED)):
        body = client.get(reverse("operator:complaint", args=[complaint.pk])).content.decode()
        assert masked in body and "13812345678" not in body
        data = client.get(f"/api/v1/operator/complaints/{complaint.pk}/").json()
        assert data["description"] == masked


def test_operator_portal_lists_both(client, pair, olivia):
    client.force_login(olivia)
    body = client.get(reverse("operator:portal")).content.decode()
    # The portal shortens each text to 80 characters; both are shorter.
    _shows_both(body)


def test_published_page_and_api_show_both(client, pair):
    _shows_both(client.get(reverse("published")).content.decode())
    texts = [row["text"] for row in client.get("/api/v1/public/complaints/").json()["results"]]
    assert sorted(texts) == sorted([PLAIN, MASKED])


def test_regulator_pages_show_the_masked_form_beside_the_original(client, pair, rita):
    plain, personal, case = pair
    client.force_login(rita)
    body = client.get(reverse("triage:detail", args=[personal.pk])).content.decode()
    assert MASKED in body and "13812345678" in body  # regulators see both
    body = client.get(reverse("triage:detail", args=[plain.pk])).content.decode()
    assert body.count(PLAIN) == 2  # the original and "as the operator and public see it"
    for complaint, masked in ((plain, PLAIN), (personal, MASKED)):
        data = client.get(f"/api/v1/triage/{complaint.pk}/").json()
        assert data["description_masked"] == masked
        assert data["description"] == complaint.description
    _shows_both(client.get(reverse("cases:detail", args=[case.pk])).content.decode())


def test_admin_masks_an_edited_text_again(client, ada, pair):
    plain, _personal, _case = pair
    client.force_login(ada)
    url = reverse("admin:complaints_complaint_change", args=[plain.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The same: the text holds no personal data." in page
    form = page_form_data(client, url)
    form["description"] = PERSONAL
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    plain.refresh_from_db()
    assert plain.description == PERSONAL and plain.masked_text == MASKED
    form["description"] = PLAIN
    client.post(url, form)
    plain.refresh_from_db()
    assert plain.description_masked is None


def page_form_data(client, url) -> dict:
    """The admin change form's current values, as a browser would post them back."""
    response = client.get(url)
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        value = field.prepare_value(value) if hasattr(field, "prepare_value") else value
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
        for index, inline_form in enumerate(formset.formset.initial_forms):
            data[f"{formset.formset.prefix}-{index}-id"] = inline_form.instance.pk
            data[f"{formset.formset.prefix}-{index}-{formset.formset.fk.name}"] = (
                inline_form.instance.pk
                and getattr(inline_form.instance, formset.formset.fk.attname)
            )
    return data


_MIGRATION = importlib.import_module("complaints.migrations.0014_masked_text_stored_once")


def test_migration_clears_the_copies_and_going_back_restores_them(pair):
    plain, personal, _case = pair
    Complaint.objects.filter(pk=plain.pk).update(description_masked=PLAIN)  # as stored before
    _MIGRATION.clear_copies(django_apps, None)
    assert Complaint.objects.get(pk=plain.pk).description_masked is None
    assert Complaint.objects.get(pk=personal.pk).description_masked == MASKED
    _MIGRATION.restore_copies(django_apps, None)
    assert Complaint.objects.get(pk=plain.pk).description_masked == PLAIN
    assert Complaint.objects.get(pk=personal.pk).description_masked == MASKED
