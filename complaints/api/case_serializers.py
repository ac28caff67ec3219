"""Cases over the API, what goes in and out: the case with its notices, reports and history, and
one input per action."""

from django.utils import timezone
from rest_framework import serializers

from ..lookups import complaints_by_tracking_numbers
from ..models import App, Case, Complaint, Notice, OperatorResponse
from ..selectors import cases as sel
from ..services.deadlines import calendar_warning
from .triage_serializers import AppRefSerializer, EventSerializer, found_or_invalid

# --- output ---------------------------------------------------------------------------------


class NoticeSerializer(serializers.ModelSerializer):
    calendar_warning = serializers.SerializerMethodField(
        help_text="Set when the deadline reaches a year the holiday calendar does not cover "
        "(working days there were counted Monday to Friday); empty otherwise."
    )

    class Meta:
        model = Notice
        fields = [
            "id",
            "number",
            "issued_at",
            "deadline_date",
            "calendar_warning",
            "legal_basis",
            "text",
            "acknowledged_at",
        ]

    def get_calendar_warning(self, notice: Notice) -> str:
        return calendar_warning(
            issued_date=timezone.localdate(notice.issued_at), deadline_date=notice.deadline_date
        )


class ReportSerializer(serializers.ModelSerializer):
    notice = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = OperatorResponse
        fields = ["id", "kind", "text", "closure_code", "notice", "created_at", "evidence"]

    def get_evidence(self, response) -> list[str]:
        return [item.sha256 for item in response.evidence.all()]


class CaseSerializer(serializers.ModelSerializer):
    app = AppRefSerializer()
    categories = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id", "reference", "app", "categories", "status", "origin", "title", "summary", "assignee",
            "deadline_date", "escalation", "recurrence_count", "language", "opened_at", "rectified_at", "closed_at",
        ]  # fmt: skip

    def get_categories(self, case) -> list[str]:
        return [c.code for c in case.categories.all()]

    def get_assignee(self, case) -> str:
        return case.assignee.get_username() if case.assignee_id else ""


class CaseDetailSerializer(CaseSerializer):
    verification_notes = serializers.CharField()
    notices = NoticeSerializer(many=True)
    reports = ReportSerializer(many=True)
    complaints = serializers.ListField(
        child=serializers.CharField(), help_text="Tracking numbers (newest 100)."
    )
    complaint_count = serializers.IntegerField()
    history = EventSerializer(many=True)

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "verification_notes", "notices", "reports", "complaints", "complaint_count", "history",
        ]  # fmt: skip


def case_payload(case: Case) -> dict:
    """The case with everything the detail shows, in a fixed number of queries."""
    detail = sel.case_detail(case)
    data = CaseSerializer(case).data
    data.update(
        verification_notes=case.verification_notes,
        notices=NoticeSerializer(detail["notices"], many=True).data,
        reports=ReportSerializer(detail["responses"], many=True).data,
        complaints=[c.tracking_number for c in detail["complaints"]],
        complaint_count=detail["complaint_total"],
        history=EventSerializer(detail["timeline"], many=True).data,
    )
    return data


# --- input ----------------------------------------------------------------------------------


class CaseOpenInput(serializers.Serializer):
    app = serializers.PrimaryKeyRelatedField(queryset=App.objects.all())
    categories = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=True)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(
        choices=[("zh-hans", "zh-hans"), ("en", "en")], default="zh-hans"
    )
    complaints = serializers.ListField(
        child=serializers.CharField(max_length=24),
        required=False,
        default=list,
        help_text="Tracking numbers.",
    )

    def validate_complaints(self, value: list[str]) -> list[Complaint]:
        return found_or_invalid(complaints_by_tracking_numbers, value)


class AssignInput(serializers.Serializer):
    assignee = serializers.IntegerField(
        allow_null=True, help_text="A regulator's user id, or null."
    )


class NoteInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)


class NoticeInput(serializers.Serializer):
    problems = serializers.CharField(allow_blank=True)
    deadline_date = serializers.DateField(
        required=False, allow_null=True, help_text="Default: the categories' working days."
    )
    legal_basis = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class VerifyInput(serializers.Serializer):
    rectified = serializers.BooleanField()
    notes = serializers.CharField(allow_blank=True)
    new_deadline_date = serializers.DateField(required=False, allow_null=True)
    escalate_measure = serializers.CharField(required=False, allow_blank=True, default="")


class EscalateInput(serializers.Serializer):
    measure = serializers.CharField(help_text="public_notice, store_removal or referral")
    reason = serializers.CharField(allow_blank=True)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
