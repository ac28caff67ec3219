"""Triage over the API, what goes in and out: the queue row, the complaint as the regulator sees
it with its history, and one input per decision."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..errors import NotFound
from ..lookups import case_by_reference, complaint_by_tracking_number
from ..models import App, Case, Complaint, Event
from ..selectors import triage as sel
from ..services import triage

# --- output ---------------------------------------------------------------------------------


def found_or_invalid(lookup, value):
    """A reference named in the body that matches nothing is bad input on that field (400)."""
    try:
        return lookup(value)
    except NotFound as error:
        raise serializers.ValidationError(error.message) from None


class AppRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SlaSerializer(serializers.Serializer):
    due_date = serializers.DateField(allow_null=True)
    remaining = serializers.IntegerField(
        allow_null=True, help_text="Working days left; negative when late."
    )
    paused = serializers.BooleanField(help_text="Waiting for the consumer: the clock is stopped.")
    breached = serializers.BooleanField()


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    # What the event says in the request's language: the system's message, then what a person
    # typed (as typed); `message` is the same message as an id and parameters.
    reason = serializers.CharField(source="text", read_only=True)

    class Meta:
        model = Event
        fields = [
            "created_at",
            "kind",
            "from_status",
            "to_status",
            "actor",
            "actor_role",
            "reason",
            "message",
            "data",
        ]

    def get_actor(self, event) -> str:
        return event.actor.get_username() if event.actor_id and event.actor else ""


class QueueItemSerializer(serializers.ModelSerializer):
    app = AppRefSerializer(allow_null=True)
    categories = serializers.SerializerMethodField()
    category_hint = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    sla = serializers.SerializerMethodField()
    snippet = serializers.SerializerMethodField(help_text="The start of the complaint's text.")

    class Meta:
        model = Complaint
        fields = [
            "id", "tracking_number", "app", "app_name", "status", "priority", "categories", "category_hint",
            "confidence", "amount", "currency", "channel", "submitted_at", "decided_at", "sla", "snippet",
        ]  # fmt: skip

    def get_snippet(self, complaint) -> str:
        # The queue reads only the start of the text (selectors.triage); a detail has it all.
        text = getattr(complaint, "snippet", None)
        return text if text is not None else complaint.description[: sel.SNIPPET_LENGTH]

    def get_categories(self, complaint) -> list[str]:
        return [c.code for c in complaint.categories.all()]

    @extend_schema_field(SlaSerializer)
    def get_sla(self, complaint) -> dict:
        return triage.sla_state(complaint, self.context.get("today") or timezone.localdate())


class ComplaintRegulatorSerializer(QueueItemSerializer):
    """Everything a regulator sees: the original text as well as the masked one."""

    case = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    duplicate_of = serializers.SlugRelatedField(
        slug_field="tracking_number", read_only=True, allow_null=True
    )
    history = serializers.SerializerMethodField()
    description_masked = serializers.CharField(
        source="masked_text", read_only=True, help_text="As the operator and the public see it."
    )

    class Meta(QueueItemSerializer.Meta):
        fields = [
            *QueueItemSerializer.Meta.fields,
            "description", "description_masked", "occurred_date", "app_version", "label_source",
            "reject_reason", "case", "duplicate_of", "operator_due_date", "closed_at", "history",
        ]  # fmt: skip

    @extend_schema_field(EventSerializer(many=True))
    def get_history(self, complaint) -> list:
        return EventSerializer(sel.complaint_timeline(complaint), many=True).data


# --- input ----------------------------------------------------------------------------------


class AcceptInput(serializers.Serializer):
    categories = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        help_text="Taxonomy codes confirming or correcting the labels; omit to keep the model's.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    relabel_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Required when a new category is not backed by the text (no keyword, low "
        "classifier probability): why the regulator labels it so anyway.",
    )
    app = serializers.PrimaryKeyRelatedField(
        queryset=App.objects.all(), required=False, allow_null=True
    )


class RejectInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Complaint.RejectReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["invalid_choice"] = _(
            "Choose a reason for the rejection."
        )
        self.fields["reason"].error_messages["required"] = _("Choose a reason for the rejection.")


class DuplicateInput(serializers.Serializer):
    original = serializers.CharField(
        max_length=24, help_text="Tracking number of the original complaint."
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=(
            "Why the two are one complaint. Required when the original is about a different "
            "app: the duplicate then counts on the original's app's record only."
        ),
    )

    def validate_original(self, value: str) -> Complaint:
        return found_or_invalid(complaint_by_tracking_number, value)


class RequestInfoInput(serializers.Serializer):
    question = serializers.CharField(allow_blank=True, max_length=4000)


class LinkInput(serializers.Serializer):
    case = serializers.CharField(max_length=24, help_text="Case reference, e.g. RC-2026-00042.")

    def validate_case(self, value: str) -> Case:
        return found_or_invalid(case_by_reference, value)


class CloseInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000)


class StatusLinkInput(serializers.Serializer):
    email = serializers.BooleanField(
        default=False, help_text="Also e-mail the link to the consumer's address."
    )


class StatusLinkSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    access_token = serializers.CharField(help_text="Shown once: only its hash is kept.")
    status_url = serializers.URLField(help_text="The consumer's private status page.")
    emailed = serializers.BooleanField()
