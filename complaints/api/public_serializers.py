"""Open data over the API, what goes out: board cases and published (redacted) complaints."""

from rest_framework import serializers

from ..selectors import stats


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BoardCaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    app = NamedRefSerializer()
    operator = NamedRefSerializer(allow_null=True)
    categories = serializers.ListField(child=serializers.CharField())
    problems = serializers.CharField()
    notice_date = serializers.DateField(allow_null=True)
    deadline_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=stats.PUBLIC_STATUSES)
    escalation = serializers.CharField(allow_blank=True)
    rectified_date = serializers.DateField(allow_null=True)
    recurrences = serializers.IntegerField()


class PublishedComplaintSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    submitted_date = serializers.DateField()
    app = NamedRefSerializer(allow_null=True)
    app_name = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())
    text = serializers.CharField(help_text="The complaint with personal data masked.")
