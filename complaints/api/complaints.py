"""Filing and tracking over the API.

POST /api/v1/complaints/ files (anonymous or signed in; anonymous clients are throttled);
GET /api/v1/complaints/ lists the signed-in consumer's own; GET /api/v1/track/{number}/ with
X-Tracking-Token reads one. A wrong or missing token is a 404, like an unknown number.
"""

from dataclasses import asdict

from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import consumers
from ..services.intake import complaint_submit
from ..throttling import AnonymousSubmitThrottle, EvidenceUploadThrottle, TrackThrottle
from .complaint_serializers import (
    ComplaintCreatedOutput,
    ComplaintSubmitInput,
    ComplaintSubmitJSONInput,
    MyComplaintOutput,
    TrackOutput,
)
from .parsers import JSONParser

TAGS = ["filing"]
IDEMPOTENCY_KEY_MAX = 100


class FileOrListOwn(permissions.BasePermission):
    """Anyone may file; only a signed-in consumer may list (their own)."""

    anonymous_methods = ("POST",)  # read by the schema (schema.py)

    def has_permission(self, request, view) -> bool:
        return request.method in self.anonymous_methods or bool(
            request.user and request.user.is_authenticated
        )


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string up to 100 characters. A retry with the same key and body returns the same "
    "complaint and token; the same key with another body answers 409.",
)
TOKEN_PARAMETER = OpenApiParameter(
    "X-Tracking-Token",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The access_token given at filing.",
)


def _idempotency_key(request) -> str:
    # From META: request.headers would copy every header of the request to read one.
    key = request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX or (key and not key.isprintable()):
        raise ValidationError({"Idempotency-Key": [_("Use at most 100 printable characters.")]})
    return key


class ComplaintListCreateView(generics.GenericAPIView):
    permission_classes = [FileOrListOwn]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = MyComplaintOutput

    def get_throttles(self):
        if self.request.method != "POST":
            return []
        uploads = self.request.content_type.startswith("multipart/")
        return [AnonymousSubmitThrottle()] + ([EvidenceUploadThrottle()] if uploads else [])

    def get_queryset(self):
        return consumers.complaints_of_consumer(self.request.user)

    @extend_schema(
        operation_id="complaints_list_own",
        summary="The signed-in consumer's own complaints, newest first",
        responses=MyComplaintOutput(many=True),
        tags=TAGS,
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            MyComplaintOutput(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="complaints_file",
        summary="File a complaint (JSON, or multipart with evidence files)",
        parameters=[IDEMPOTENCY_PARAMETER],
        request={
            "application/json": ComplaintSubmitJSONInput,
            "multipart/form-data": ComplaintSubmitInput,
        },
        responses={
            201: ComplaintCreatedOutput,
            400: OpenApiResponse(description="Field errors in the common error shape."),
            409: OpenApiResponse(description="Idempotency-Key reused with a different body."),
            429: OpenApiResponse(description="Too many anonymous filings; see Retry-After."),
        },
        tags=TAGS,
    )
    def post(self, request):
        key = _idempotency_key(request)
        serializer = ComplaintSubmitInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        details_form = data["details_form"]
        complaint, token = complaint_submit(
            description=data["description"],
            app=data.get("app"),
            app_name=data["app_name"],
            app_version=data["app_version"],
            app_store=data["app_store"],
            occurred_date=data.get("occurred_date")
            or (details_form.occurred_date() if details_form else None),
            amount=data.get("amount")
            if data.get("amount") is not None
            else (details_form.amount() if details_form else None),
            category_hint=data.get("category_hint"),
            details=details_form.details() if details_form else {},
            channel=data["channel"],
            language=getattr(request, "LANGUAGE_CODE", "zh-hans"),
            consent_share_with_operator=data["consent_share_with_operator"],
            consent_publish=data["consent_publish"],
            submitter=request.user,
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            idempotency_key=key,
            evidence=data["evidence"],
        )
        status_url = request.build_absolute_uri(
            reverse("track_detail", args=[complaint.tracking_number]) + f"?t={token}"
        )
        # ComplaintCreatedOutput's fields (it documents them), written here as it would write
        # them: text as text, the date in ISO 8601 by the renderer. Every filing answers this,
        # and making the serializer was a fifth of the view's own CPU (RESULTS.md, lean2).
        body = {
            "tracking_number": complaint.tracking_number,
            "access_token": token,
            "status": str(complaint.status),
            "status_url": status_url,
            "decision_due_date": complaint.decision_due_date,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class TrackView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TrackThrottle]

    @extend_schema(
        operation_id="track_read",
        summary="A complaint's status, categories and timeline",
        parameters=[TOKEN_PARAMETER],
        responses={
            200: TrackOutput,
            404: OpenApiResponse(description="Unknown number, or a wrong or missing token."),
        },
        tags=["tracking"],
    )
    def get(self, request, tracking_number: str):
        complaint = consumers.complaint_by_token(
            tracking_number=tracking_number, token=request.headers.get("X-Tracking-Token", "")
        )
        if complaint is None:
            raise Http404
        body = {
            "tracking_number": complaint.tracking_number,
            "status": complaint.status,
            "status_display": complaint.get_status_display(),
            "status_explained": consumers.status_explained(complaint),
            "categories": sorted(category.code for category in complaint.categories.all()),
            "app_name": complaint.app_name,
            "submitted_at": complaint.submitted_at,
            "updated_at": complaint.updated_at,
            "erased": complaint.is_erased,
            "timeline": [asdict(entry) for entry in consumers.consumer_timeline(complaint)],
        }
        return Response(TrackOutput(body).data)


urlpatterns = [
    path("complaints/", ComplaintListCreateView.as_view(), name="complaints"),
    path("track/<str:tracking_number>/", TrackView.as_view(), name="track"),
]
