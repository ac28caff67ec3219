"""Regulator triage over the API: the queue, one complaint with its status history, and one
POST per decision. Inputs and outputs are separate serializers; rules stay in services."""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import roles
from ..errors import DomainError
from ..models import App, Case, Complaint, Event
from ..selectors import triage as sel
from ..services import consumers, triage

TAGS = ["triage"]


class IsRegulator(permissions.BasePermission):
    def has_permission(self, request, view):
        return roles.is_regulator(request.user)


class IsOperator(permissions.BasePermission):
    def has_permission(self, request, view):
        return roles.is_operator(request.user)


# --- output ---------------------------------------------------------------------------------


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
            "data",
        ]

    def get_actor(self, event) -> str:
        return event.actor.get_username() if event.actor_id and event.actor else ""


class QueueItemSerializer(serializers.ModelSerializer):
    app = AppRefSerializer(allow_null=True)
    categories = serializers.SerializerMethodField()
    category_hint = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id", "tracking_number", "app", "app_name", "status", "priority", "categories", "category_hint",
            "confidence", "amount", "currency", "channel", "submitted_at", "decided_at", "sla",
        ]  # fmt: skip

    def get_categories(self, complaint) -> list[str]:
        return [c.code for c in complaint.categories.all()]

    @extend_schema_field(SlaSerializer)
    def get_sla(self, complaint) -> dict:
        return triage.sla_state(complaint, self.context.get("today") or timezone.localdate())


class ComplaintRegulatorSerializer(QueueItemSerializer):
    """Everything a regulator sees: the original text as well as the masked one."""

    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    duplicate_of = serializers.SlugRelatedField(slug_field="tracking_number", read_only=True)
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
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RequestInfoInput(serializers.Serializer):
    question = serializers.CharField(allow_blank=True, max_length=4000)


class LinkInput(serializers.Serializer):
    case = serializers.CharField(max_length=24, help_text="Case reference, e.g. RC-2026-00042.")


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


# --- views ----------------------------------------------------------------------------------

QUEUE_PARAMETERS = [
    OpenApiParameter(
        "status", OpenApiTypes.STR, description="One of " + ", ".join(sel.QUEUE_STATUSES)
    ),
    OpenApiParameter("app", OpenApiTypes.INT),
    OpenApiParameter("category", OpenApiTypes.STR, description="Taxonomy code."),
    OpenApiParameter("channel", OpenApiTypes.STR),
    OpenApiParameter("q", OpenApiTypes.STR, description="Tracking number, app name or words."),
    OpenApiParameter("money", OpenApiTypes.BOOL, description="1: money involved only."),
    OpenApiParameter(
        "breached", OpenApiTypes.BOOL, description="1: past the decision deadline only."
    ),
    OpenApiParameter(
        "low_confidence", OpenApiTypes.BOOL, description="1: classifier unsure or not run."
    ),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=list(sel.QUEUE_SORTS)),
]


class TriageQueueView(generics.ListAPIView):
    """Complaints that need a regulator, most urgent first (severity, then age)."""

    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    serializer_class = QueueItemSerializer

    def get_queryset(self):
        return sel.triage_queue(sel.QueueFilters.from_query(self.request.query_params))

    @extend_schema(operation_id="triage_queue", parameters=QUEUE_PARAMETERS, tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _complaint(pk: int) -> Complaint:
    try:
        return sel.complaint_for_regulator(pk)
    except Complaint.DoesNotExist:
        raise Http404 from None


def _detail(request, complaint: Complaint) -> Response:
    complaint = _complaint(complaint.pk)
    return Response(ComplaintRegulatorSerializer(complaint, context={"request": request}).data)


class TriageComplaintView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]

    @extend_schema(
        operation_id="triage_complaint", responses=ComplaintRegulatorSerializer, tags=TAGS
    )
    def get(self, request, pk: int):
        """One complaint as the regulator sees it, with its full status history."""
        return _detail(request, _complaint(pk))


class TriageHistoryView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]

    @extend_schema(
        operation_id="triage_complaint_history", responses=EventSerializer(many=True), tags=TAGS
    )
    def get(self, request, pk: int):
        """Every recorded event on the complaint, oldest first."""
        return Response(EventSerializer(sel.complaint_timeline(_complaint(pk)), many=True).data)


class _DecisionView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    input_serializer: type[serializers.Serializer]

    def decide(self, request, complaint: Complaint, data: dict) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        complaint = _complaint(pk)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.decide(request, complaint, serializer.validated_data)
        return _detail(request, complaint)


def _decision_schema(operation_id: str, input_serializer, summary: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=input_serializer,
        responses=ComplaintRegulatorSerializer,
        tags=TAGS,
    )


class AcceptView(_DecisionView):
    input_serializer = AcceptInput

    @_decision_schema("triage_accept", AcceptInput, "Accept, confirming or correcting the labels")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        triage.complaint_accept(
            complaint=complaint,
            actor=request.user,
            category_codes=data.get("categories"),
            note=data["note"],
            app=data.get("app"),
        )


class RejectView(_DecisionView):
    input_serializer = RejectInput

    @_decision_schema("triage_reject", RejectInput, "Reject with a reason")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        triage.complaint_reject(
            complaint=complaint, actor=request.user, reason=data["reason"], note=data["note"]
        )


class DuplicateView(_DecisionView):
    input_serializer = DuplicateInput

    @_decision_schema(
        "triage_duplicate", DuplicateInput, "Mark as a duplicate of another complaint"
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        original = Complaint.objects.filter(
            tracking_number__iexact=data["original"].strip()
        ).first()
        if original is None:
            raise DomainError(
                _("No complaint with tracking number “%(number)s”.") % {"number": data["original"]},
                field="original",
            )
        triage.complaint_mark_duplicate(
            complaint=complaint, original=original, actor=request.user, note=data["note"]
        )


class RequestInfoView(_DecisionView):
    input_serializer = RequestInfoInput

    @_decision_schema(
        "triage_request_info", RequestInfoInput, "Ask the consumer for more information"
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        triage.complaint_request_info(
            complaint=complaint, actor=request.user, question=data["question"]
        )


class LinkView(_DecisionView):
    input_serializer = LinkInput

    @_decision_schema("triage_link_case", LinkInput, "Link to a rectification case")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        case = Case.objects.filter(reference__iexact=data["case"].strip()).first()
        if case is None:
            raise DomainError(
                _("No case with reference “%(reference)s”.") % {"reference": data["case"]},
                field="case",
            )
        triage.complaint_link_case(complaint=complaint, case=case, actor=request.user)


class CloseView(_DecisionView):
    input_serializer = CloseInput

    @_decision_schema(
        "triage_close", CloseInput, "Close (typically a dispute needing nothing more)"
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        triage.complaint_close(complaint=complaint, actor=request.user, reason=data["reason"])


class StatusLinkView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]

    @extend_schema(
        operation_id="triage_status_link",
        summary="Issue a new status link for the consumer (earlier links stop working)",
        request=StatusLinkInput,
        responses={201: StatusLinkSerializer},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        """For a consumer who lost their link or filed through a hotline: a new access token,
        returned once (and e-mailed to the consumer if asked)."""
        complaint = _complaint(pk)
        serializer = StatusLinkInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        emailed = serializer.validated_data["email"]
        token = consumers.complaint_status_link_issue(
            complaint=complaint, actor=request.user, email=emailed
        )
        response = Response(
            {
                "tracking_number": complaint.tracking_number,
                "access_token": token,
                "status_url": request.build_absolute_uri(
                    consumers.status_link_path(complaint, token)
                ),
                "emailed": emailed,
            },
            status=201,
        )
        response["Cache-Control"] = "no-store"
        return response
