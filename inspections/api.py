"""Inspections over the API: regulators upload an app's package, list and compare its
inspections, attribute cases and complaints to SDKs and read the SDK ranking and pending
requests; the operator sends its package with its rectification report."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.api.parsers import JSONParser
from complaints.api.permissions import IsOperator, IsRegulator
from complaints.api.query import id_param, query_check
from complaints.models import App, Case, Complaint
from complaints.selectors.operators import operator_case

from . import selectors, services
from .serializers import (
    ComparisonSerializer,
    ComplaintVersionSerializer,
    InspectionRequestSerializer,
    InspectionSerializer,
    InspectionUploadInput,
    PackageInput,
    SdkAttributionInput,
    SdkAttributionStateSerializer,
    SdkRankingSerializer,
    VersionMatchSerializer,
)

TAGS = ["inspections"]


class RegulatorAPIView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]


class AppInspectionsView(RegulatorAPIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="app_inspections",
        summary="An app's package inspections, newest first",
        responses=InspectionSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request, pk: int):
        app = get_object_or_404(App, pk=pk)
        rows = selectors.inspections_for_app(app)
        return Response(InspectionSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="app_inspection_upload",
        summary="Upload an Android package (APK) for inspection",
        description="The package is checked (size, zip bomb, path traversal, manifest) before "
        "it is stored; a worker parses it. Answers 202 with the queued inspection.",
        request={"multipart/form-data": InspectionUploadInput},
        responses={202: InspectionSerializer},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        app = get_object_or_404(App, pk=pk)
        serializer = InspectionUploadInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        case_id = serializer.validated_data.get("case")
        case = get_object_or_404(Case, pk=case_id) if case_id else None
        inspection = services.inspection_upload(
            app=app, actor=request.user, upload=serializer.validated_data["apk"], case=case
        )
        inspection.refresh_from_db()
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_202_ACCEPTED)


COMPARE_PARAMETERS = [
    id_param("from", "The older inspection's id (finished, of this app)."),
    id_param("to", "The newer inspection's id (finished, of this app)."),
]
for _parameter in COMPARE_PARAMETERS:
    _parameter.required = True


class AppInspectionCompareView(RegulatorAPIView):
    @extend_schema(
        operation_id="app_inspection_compare",
        summary="Permissions and SDKs added and removed between two inspections of an app",
        description="Verification by version: `from` and `to` are ids of finished inspections "
        "of this app. A missing, malformed or foreign id answers 400 naming the parameter.",
        parameters=COMPARE_PARAMETERS,
        responses=ComparisonSerializer,
        tags=TAGS,
    )
    def get(self, request, pk: int):
        app = get_object_or_404(App, pk=pk)
        query_check(request.query_params, COMPARE_PARAMETERS)
        missing = {
            name: [_("Give the id of a finished inspection of this app.")]
            for name in ("from", "to")
            if not request.query_params.get(name, "").strip()
        }
        if missing:
            raise ValidationError(missing)
        older, newer = selectors.inspection_pair(
            app, int(request.query_params["from"]), int(request.query_params["to"])
        )
        comparison = {
            "from_inspection": older,
            "to_inspection": newer,
            **selectors.inspections_compare(older, newer),
        }
        return Response(ComparisonSerializer(comparison).data)


class CaseVersionsView(RegulatorAPIView):
    @extend_schema(
        operation_id="case_versions",
        summary="The app versions a case's complaints name, each with its inspection",
        description="Verification by version: each version the case's complaints give "
        '("3.0", "v3.0" or a version code), how many complaints give it, and the app\'s '
        "newest finished inspection of that version, or null. Complaints that name no version "
        "are left out.",
        responses=VersionMatchSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request, pk: int):
        case = get_object_or_404(Case, pk=pk)
        return Response(VersionMatchSerializer(selectors.case_versions(case), many=True).data)


class ComplaintVersionView(RegulatorAPIView):
    @extend_schema(
        operation_id="complaint_version_inspection",
        summary="The inspection of the app version a complaint names",
        responses=ComplaintVersionSerializer,
        tags=TAGS,
    )
    def get(self, request, pk: int):
        complaint = get_object_or_404(Complaint, pk=pk)
        match = {
            "app_version": complaint.app_version,
            "inspection": selectors.version_inspection(complaint.app_id, complaint.app_version),
        }
        return Response(ComplaintVersionSerializer(match).data)


class OperatorPackageView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsOperator]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="operator_package",
        summary="Send the app's package (APK) with the rectification report",
        description="Attached to the latest rectification report while it awaits verification, "
        "or sent because a trigger rule asked for it. Checked before it is stored; answers 202 "
        "with the queued inspection, 400 with the reason when the file is refused.",
        request={"multipart/form-data": PackageInput},
        responses={202: InspectionSerializer},
        tags=["operator"],
    )
    def post(self, request, pk: int):
        try:
            case = operator_case(request.user, pk)
        except Case.DoesNotExist:
            raise Http404 from None
        serializer = PackageInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        inspection = services.package_submit(
            case=case, actor=request.user, upload=serializer.validated_data["apk"]
        )
        inspection.refresh_from_db()
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_202_ACCEPTED)


class SdkAttributionView(RegulatorAPIView):
    """A case's or a complaint's attribution to an embedded SDK (subclasses name the target)."""

    parser_classes = [JSONParser, FormParser]
    model: type = Case
    target = "case"

    def _target(self, pk: int):
        return get_object_or_404(self.model.objects.select_related("app"), pk=pk)

    def _state(self, target) -> Response:
        target.refresh_from_db()
        attribution = getattr(target, "sdk_attribution", None)
        return Response(SdkAttributionStateSerializer({"attribution": attribution}).data)

    def get(self, request, pk: int):
        return self._state(self._target(pk))

    def put(self, request, pk: int):
        target = self._target(pk)
        serializer = SdkAttributionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.sdk_attribute(
            actor=request.user, sdk_id=serializer.validated_data["sdk"], **{self.target: target}
        )
        return self._state(target)


def _attribution_schema(target: str) -> dict:
    return {
        "get": extend_schema(
            operation_id=f"{target}_sdk_attribution",
            summary=f"The SDK this {target} is attributed to (null: the host app)",
            responses=SdkAttributionStateSerializer,
            tags=TAGS,
        ),
        "put": extend_schema(
            operation_id=f"{target}_sdk_attribute",
            summary=f"Attribute the {target} to an SDK the app embeds, or back to the host app",
            description="400 when no finished inspection of the app found the SDK.",
            request=SdkAttributionInput,
            responses=SdkAttributionStateSerializer,
            tags=TAGS,
        ),
    }


@extend_schema_view(**_attribution_schema("case"))
class CaseSdkAttributionView(SdkAttributionView):
    model = Case
    target = "case"


@extend_schema_view(**_attribution_schema("complaint"))
class ComplaintSdkAttributionView(SdkAttributionView):
    model = Complaint
    target = "complaint"


class SdkRankingView(RegulatorAPIView):
    @extend_schema(
        operation_id="sdk_ranking",
        summary="Third-party SDKs by complaints attributed to them, then by apps embedding them",
        responses=SdkRankingSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request):
        return Response(SdkRankingSerializer(selectors.sdk_ranking(), many=True).data)


class InspectionRequestsView(RegulatorAPIView):
    @extend_schema(
        operation_id="inspection_requests",
        summary="Cases whose trigger rule asked for the app's package, still without one",
        responses=InspectionRequestSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request):
        rows = selectors.inspection_requests_pending()
        return Response(InspectionRequestSerializer(rows, many=True).data)
