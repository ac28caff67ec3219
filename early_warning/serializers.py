"""Early warning's API output: clusters with their members and growth."""

from rest_framework import serializers


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


class ClusterSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="cluster.pk")
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

    def get_daily(self, view) -> list[dict]:
        return ClusterDaySerializer(
            [{"date": d, "complaints": n} for d, n in view.daily], many=True
        ).data
