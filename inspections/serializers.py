"""Input and output of the inspections API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.models import Case

from .models import AppInspection, SdkAttribution


class InspectionUploadInput(serializers.Serializer):
    apk = serializers.FileField(help_text="The Android package (APK).")
    case = serializers.IntegerField(
        required=False, min_value=1, help_text="A case about this app the report is evidence for."
    )


class PermissionSerializer(serializers.Serializer):
    name = serializers.CharField()
    protection_level = serializers.CharField()
    scope = serializers.CharField(
        help_text="necessary, optional, beyond_scope, not_personal or type_not_declared"
    )
    pi = serializers.ListField(child=serializers.CharField())
    explanation = serializers.CharField()


class SdkSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    vendor = serializers.CharField()
    category = serializers.CharField()
    personal_data = serializers.ListField(child=serializers.CharField())
    evidence = serializers.ListField(child=serializers.CharField())


class BeyondScopeSerializer(serializers.Serializer):
    permission = serializers.CharField()
    pi = serializers.ListField(child=serializers.CharField())


class ComponentSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()
    exported = serializers.BooleanField()


class InspectionSerializer(serializers.ModelSerializer):
    error = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    sdks = SdkSerializer(many=True)
    beyond_scope = BeyondScopeSerializer(many=True)
    exported_components = ComponentSerializer(many=True)

    class Meta:
        model = AppInspection
        fields = [
            "id", "app", "case", "response", "status", "error", "uploaded_at", "inspected_at",
            "file_sha256", "file_size", "package", "version_name", "version_code",
            "cert_sha256", "min_sdk", "target_sdk", "debuggable", "cleartext", "app_type",
            "permissions", "exported_components", "sdks", "beyond_scope",
        ]  # fmt: skip

    def get_error(self, inspection) -> str:
        return inspection.error_text()

    @extend_schema_field(PermissionSerializer(many=True))
    def get_permissions(self, inspection):
        from .selectors import inspection_permissions

        rows = inspection_permissions(inspection)
        keep = ("name", "protection_level", "scope", "pi", "explanation")
        return [{key: row.get(key, "") for key in keep} for row in rows]


class InspectionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppInspection
        fields = ["id", "package", "version_name", "version_code", "uploaded_at", "response"]


class VersionMatchSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="the version as the complaints give it")
    count = serializers.IntegerField(help_text="the case's complaints that name it")
    inspection = InspectionBriefSerializer(
        allow_null=True,
        help_text="the app's newest finished inspection of that version (name or code); "
        "null when none was inspected",
    )


class ComplaintVersionSerializer(serializers.Serializer):
    app_version = serializers.CharField(help_text="the version the consumer gave; may be empty")
    inspection = InspectionBriefSerializer(
        allow_null=True,
        help_text="the app's newest finished inspection of that version; null when the "
        "complaint names none or it was not inspected",
    )


class ComparisonSerializer(serializers.Serializer):
    older = InspectionBriefSerializer(source="from_inspection")
    newer = InspectionBriefSerializer(source="to_inspection")
    permissions_added = serializers.ListField(child=serializers.CharField())
    permissions_removed = serializers.ListField(child=serializers.CharField())
    sdks_added = serializers.ListField(child=serializers.CharField(), help_text="SDK names")
    sdks_removed = serializers.ListField(child=serializers.CharField(), help_text="SDK names")


class PackageInput(serializers.Serializer):
    apk = serializers.FileField(help_text="The Android package (APK) of the app.")


class SdkAttributionInput(serializers.Serializer):
    sdk = serializers.CharField(
        allow_blank=True,
        max_length=60,
        help_text="The id of an SDK an inspection of the app found (its `sdks[].id`); empty "
        "attributes it to the host app again.",
    )


class SdkAttributionSerializer(serializers.ModelSerializer):
    sdk = serializers.CharField(source="sdk_id")
    attributed_by = serializers.CharField(source="attributed_by.get_username", default="")

    class Meta:
        model = SdkAttribution
        fields = ["sdk", "sdk_name", "vendor", "inspection", "attributed_by", "attributed_at"]


class SdkAttributionStateSerializer(serializers.Serializer):
    attribution = SdkAttributionSerializer(
        allow_null=True, help_text="null: attributed to the host app"
    )


class SdkRankingSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    vendor = serializers.CharField()
    complaints = serializers.IntegerField(help_text="complaints attributed, directly or by case")
    apps = serializers.IntegerField(help_text="apps whose latest inspected package embeds it")


class InspectionRequestSerializer(serializers.ModelSerializer):
    app_name = serializers.CharField(source="app.name")

    class Meta:
        model = Case
        fields = ["id", "reference", "app", "app_name", "status", "inspection_requested_at"]
