"""The filing's serializers copy and bind their declared fields once per class
(DeclaredFieldsOnce): each serializer still owns its fields, bound to it, and validation
reads as before."""

import threading

import pytest
from django.utils import translation
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from complaints.api.complaint_serializers import (
    ComplaintSubmitInput,
    ComplaintSubmitJSONInput,
    DeclaredFieldsOnce,
    TimelineEntryOutput,
)

pytestmark = pytest.mark.django_db


def test_each_serializer_owns_its_fields_and_the_fields_inside_them():
    first, second = ComplaintSubmitInput().fields, ComplaintSubmitInput().fields
    for name in first:
        assert first[name] is not second[name], name
    assert first["evidence"].child is not second["evidence"].child
    assert first["description"].parent is not second["description"].parent
    assert first["evidence"].child.parent is first["evidence"]
    assert "evidence" not in ComplaintSubmitJSONInput().fields  # a subclass keeps its own


def test_validation_is_unchanged_and_does_not_leak_between_serializers(app):
    bad = ComplaintSubmitInput(data={"app": app.pk, "description": "  "})
    good = ComplaintSubmitInput(data={"app": app.pk, "description": "闪退", "amount": "9.50"})
    with translation.override("en"):
        assert not bad.is_valid()
        assert bad.errors == {"description": ["Describe what happened."]}
    with translation.override("zh-hans"):  # the message is translated when it is used
        again = ComplaintSubmitInput(data={"app": app.pk, "description": ""})
        assert not again.is_valid()
        assert again.errors == {"description": ["请描述事情经过。"]}
    assert good.is_valid(), good.errors
    assert str(good.validated_data["amount"]) == "9.50"
    assert not ComplaintSubmitInput(data={"app": "x", "description": "a"}).is_valid()


def test_serializers_made_in_threads_at_once_validate_their_own_data(app):
    results: dict[int, object] = {}

    def run(index: int):
        serializer = ComplaintSubmitInput(data={"app_name": f"应用{index}", "description": "x"})
        results[index] = serializer.is_valid() and serializer.validated_data["app_name"]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: f"应用{i}" for i in range(8)}


def test_each_copy_answers_to_its_own_serializer_and_context():
    serializer = ComplaintSubmitInput(context={"who": "alice"})
    field = serializer.fields["app_name"]
    assert field.root is serializer and field.context == {"who": "alice"}
    assert (field.field_name, field.source_attrs) == ("app_name", ["app_name"])
    assert serializer.fields["evidence"].child.root is serializer
    # The copies made once per class hold no serializer, nor the data it was given.
    assert all(template.parent is None for _, template, _ in ComplaintSubmitInput._bound_once)


def test_a_field_holding_a_serializer_is_copied_whole_for_each():
    class WithTimeline(DeclaredFieldsOnce, serializers.Serializer):
        timeline = TimelineEntryOutput(many=True)
        title = serializers.CharField()

    first, second = WithTimeline(), WithTimeline()
    assert first.fields["timeline"] is not second.fields["timeline"]
    assert first.fields["timeline"].child is not second.fields["timeline"].child
    assert first.fields["timeline"].child.fields["at"].root is first
    assert second.fields["timeline"].child.fields["at"].root is second


@pytest.mark.parametrize("field", ["description", "app_name", "contact_name"])
def test_a_lone_surrogate_in_text_is_refused_as_drf_refuses_it(app, field):
    data = {"app": app.pk, "description": "闪退", field: "扣款\udc9f了\ud800"}
    with translation.override("en"):
        serializer = ComplaintSubmitInput(data=data)
        assert not serializer.is_valid()
        assert serializer.errors == {field: ["Surrogate characters are not allowed: U+DC9F."]}
    with translation.override("zh-hans"):
        serializer = ComplaintSubmitInput(data=data)
        assert not serializer.is_valid()
        with pytest.raises(serializers.ValidationError) as drf:
            ProhibitSurrogateCharactersValidator()(data[field])
        assert serializer.errors == {field: drf.value.detail}
        assert serializer.errors[field][0].code == "surrogate_characters_not_allowed"
