"""Early warning's API output: clusters with their members and growth."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .sdk_scope import sdk_facts


class ClusterMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    tracking_number = serializers.CharField()
    app = serializers.IntegerField(source="app_id")
    submitted_at = serializers.DateTimeField()
    status = serializers.CharField()
    similarity = serializers.FloatField(source="cluster_membership.score")


class ClusterDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    complaints = serializers.IntegerField()


class ClusterSdkSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The SDK's id in the SDK catalogue.")
    name = serializers.CharField()
    vendor = serializers.CharField(help_text="Its maker, as the catalogue names it.")


class ClusterSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="cluster.pk")
    kind = serializers.ChoiceField(
        source="cluster.kind",
        choices=["app", "company", "sdk"],
        help_text="Grouped by one app, one company's apps, or one SDK across companies.",
    )
    sdk = serializers.SerializerMethodField()
    apps = serializers.ListField(
        source="cluster.app_ids", child=serializers.IntegerField(), help_text="Members' apps."
    )
    companies = serializers.ListField(
        source="cluster.company_ids",
        child=serializers.IntegerField(),
        help_text="Companies operating the members' apps.",
    )
    app = serializers.IntegerField(source="cluster.app_id")
    app_name = serializers.CharField(source="cluster.app.name")
    company = serializers.IntegerField(source="cluster.company_id", allow_null=True)
    category = serializers.CharField(source="cluster.category.code")
    size = serializers.IntegerField(source="cluster.size")
    first_at = serializers.DateTimeField(source="cluster.first_at")
    last_at = serializers.DateTimeField(source="cluster.last_at")
    growth_per_day = serializers.FloatField(
        help_text="Complaints that joined per day, averaged over the last 7 days."
    )
    daily = serializers.SerializerMethodField()
    why = serializers.CharField(
        source="cluster.why", help_text="Why it is one cluster, in the request's language."
    )
    case = serializers.CharField(source="cluster.case.reference", allow_null=True, default=None)
    dismissed = serializers.BooleanField(source="dismissed_flag")
    members = ClusterMemberSerializer(many=True)

    @extend_schema_field(ClusterSdkSerializer(allow_null=True))
    def get_sdk(self, view) -> dict | None:
        """The SDK of an SDK cluster (null for the other kinds)."""
        if not view.cluster.sdk_id:
            return None
        return ClusterSdkSerializer(sdk_facts(view.cluster.sdk_id)).data

    def get_daily(self, view) -> list[dict]:
        return ClusterDaySerializer(
            [{"date": d, "complaints": n} for d, n in view.daily], many=True
        ).data
