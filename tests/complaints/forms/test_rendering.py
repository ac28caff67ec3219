"""The consumer forms' renderer writes out Django's widget, label and error-list templates in
Python (complaints/forms/rendering.py): every step form of the web filing, empty, refused and
filled, in both languages, renders byte for byte as Django's own templates render it."""

import datetime

import pytest
from django.forms.renderers import DjangoTemplates
from django.utils import translation

from complaints.forms.details import DETAILS_FORMS
from complaints.forms.intake import AppStepForm, ContactStepForm, EvidenceStepForm, WhatStepForm
from complaints.forms.rendering import ConsumerFormRenderer
from complaints.models import Category
from complaints.selectors.intake import AppMatch

pytestmark = pytest.mark.django_db
DJANGO = DjangoTemplates()


def _page(form) -> str:
    """What the step templates show of a form: each field's group, the errors, hidden fields."""
    return "".join(
        [
            *(field.as_field_group() for field in form.visible_fields()),
            *(str(field) for field in form.hidden_fields()),
            str(form.non_field_errors()),
            *(str(field.errors) for field in form),
            *(field.label_tag() for field in form),
        ]
    )


def _cases(app, other_app):
    matches = [
        AppMatch(app=app, score=90, matched=app.name),
        AppMatch(app=other_app, score=80, matched=other_app.name),
    ]
    kind = Category.objects.get(code="price_discrimination")
    drafts = [
        {"key": "k1", "original_name": "截图 <1>.png"},
        {"key": "k2", "original_name": "b&c.pdf"},
    ]
    yield AppStepForm, {"matches": matches}, None
    yield AppStepForm, {"matches": matches}, {"app": str(app.pk)}
    yield AppStepForm, {"matches": matches}, {"app": "999999", "app_store": 'a "quoted" <store>'}
    yield AppStepForm, {"matches": []}, {"app_name": ""}
    yield WhatStepForm, {}, None
    yield WhatStepForm, {}, {"description": "", "kind": "nonsense"}
    yield (
        WhatStepForm,
        {},
        {
            "description": "第一行\n<b>第二行</b> & more",
            "kind": str(kind.pk),
            "occurred_date": "2026-11-01",
        },
    )
    yield WhatStepForm, {}, {"description": "x", "occurred_date": "2099-01-01"}
    yield EvidenceStepForm, {"drafts": drafts}, None
    yield EvidenceStepForm, {"drafts": drafts}, {"remove": ["k2"]}
    yield EvidenceStepForm, {"drafts": []}, {"remove": ["nope"]}
    yield ContactStepForm, {}, None
    yield ContactStepForm, {}, {"contact_phone": "12", "contact_email": "not-an-address"}
    yield (
        ContactStepForm,
        {},
        {
            "contact_name": "王 <小明>",
            "contact_phone": "13800138000",
            "contact_email": "a@example.com",
            "consent_share_with_operator": "on",
        },
    )
    for form_class in DETAILS_FORMS.values():
        yield form_class, {}, None
        yield form_class, {}, {"amount": "-3", "occurred_date": "not a date"}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_step_form_renders_as_djangos_templates_render_it(language, app, other_app):
    with translation.override(language):
        for form_class, kwargs, data in _cases(app, other_app):
            ours = form_class(data=data, **kwargs)
            django = form_class(data=data, renderer=DJANGO, **kwargs)
            assert isinstance(ours.renderer, ConsumerFormRenderer)
            if data is not None:
                ours.is_valid(), django.is_valid()
            assert _page(ours) == _page(django), (form_class.__name__, data)


def test_a_date_field_keeps_its_typed_value_and_format(app):
    data = {"description": "x", "occurred_date": datetime.date(2026, 11, 1).isoformat()}
    ours, django = WhatStepForm(data=data), WhatStepForm(data=data, renderer=DJANGO)
    assert str(ours["occurred_date"]) == str(django["occurred_date"])
    assert 'value="2026-11-01"' in str(ours["occurred_date"])
