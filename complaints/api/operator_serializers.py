"""The operator portal and the consumer's reply over the API, what goes in and out: complaints and
cases as the operator sees them, and the answer, report, confirm and dispute inputs."""

from django.urls import reverse
from rest_framework import serializers

from .. import privacy
from ..models import Case, Complaint, Event, Evidence, OperatorResponse
from ..selectors.operators import operator_amount
from .case_serializers import NoticeSerializer, ReportSerializer
from .triage_serializers import AppRefSerializer

# --- output ---------------------------------------------------------------------------------


class PublicEventSerializer(serializers.ModelSerializer):
    """What an operator or consumer may read of a history: public events, without who did it."""

    # Consumers write some reasons (answers, disputes): personal data in them is masked.
    reason = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["created_at", "kind", "from_status", "to_status", "actor_role", "reason"]

    def get_reason(self, event: Event) -> str:
        return privacy.mask_text(event.text)


class OperatorComplaintSerializer(serializers.ModelSerializer):
    """A complaint as its app's operator sees it (the rule: selectors/operators.py)."""

    app = AppRefSerializer()
    categories = serializers.SerializerMethodField()
    description = serializers.CharField(source="masked_text", help_text="Personal data masked.")
    files_shared = serializers.BooleanField(
        source="consent_share_with_operator",
        help_text="Whether the consumer agreed to share their files and the amount.",
    )
    amount = serializers.SerializerMethodField(help_text="Null unless files_shared.")

    class Meta:
        model = Complaint
        fields = [
            "id", "tracking_number", "app", "categories", "status", "description", "app_version", "amount",
            "currency", "occurred_date", "submitted_at", "decided_at", "operator_due_date", "files_shared",
        ]  # fmt: skip

    def get_categories(self, complaint) -> list[str]:
        return [c.code for c in complaint.categories.all()]

    def get_amount(self, complaint) -> str | None:
        amount = operator_amount(complaint)
        return None if amount is None else f"{amount:.2f}"


class OperatorFileSerializer(serializers.ModelSerializer):
    """A consumer's file shared with the operator: never its original name, which may be the
    consumer's own (张三身份证.jpg)."""

    url = serializers.SerializerMethodField(help_text="Opens in the operator portal (signed in).")

    class Meta:
        model = Evidence
        fields = ["id", "content_type", "size", "url"]

    def get_url(self, evidence) -> str:
        return reverse("operator:evidence", args=[evidence.pk])


class OperatorComplaintDetailSerializer(OperatorComplaintSerializer):
    answers = ReportSerializer(many=True)
    history = PublicEventSerializer(many=True)
    files = OperatorFileSerializer(many=True, help_text="Empty unless files_shared.")

    class Meta(OperatorComplaintSerializer.Meta):
        fields = [*OperatorComplaintSerializer.Meta.fields, "answers", "history", "files"]


class OperatorCaseSerializer(serializers.ModelSerializer):
    app = AppRefSerializer()
    categories = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "app",
            "categories",
            "status",
            "deadline_date",
            "escalation",
            "opened_at",
        ]

    def get_categories(self, case) -> list[str]:
        return [c.code for c in case.categories.all()]


class OperatorCaseDetailSerializer(OperatorCaseSerializer):
    notices = NoticeSerializer(many=True)
    reports = ReportSerializer(many=True)

    class Meta(OperatorCaseSerializer.Meta):
        fields = [*OperatorCaseSerializer.Meta.fields, "notices", "reports"]


class ConsumerStatusSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    status = serializers.CharField()


# --- input ----------------------------------------------------------------------------------


class AnswerInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    closure_code = serializers.CharField(help_text=", ".join(OperatorResponse.ClosureCode.values))


class ReportInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ConfirmInput(serializers.Serializer):
    rating = serializers.IntegerField(
        required=False, allow_null=True, help_text="1 to 5, optional."
    )


class DisputeInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
