"""Statistics over the API, what goes out: tables with their columns and filters, and figures."""

from rest_framework import serializers


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField(help_text="key, text, int, rate (0–1), float or date")


class FilterSerializer(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    category = serializers.CharField(required=False)
    app = serializers.CharField(required=False)
    operator = serializers.CharField(required=False)


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    note = serializers.CharField()
    filter = FilterSerializer()
    columns = ColumnSerializer(many=True)
    results = serializers.ListField(
        child=serializers.DictField(), help_text="One object per row, keyed by column."
    )


class FiguresSerializer(serializers.Serializer):
    filter = FilterSerializer()
    computed_at = serializers.DateTimeField(
        required=False,
        help_text="When the figures were counted (the dashboard's are shared for a few seconds).",
    )
    figures = serializers.DictField()
    tables = serializers.ListField(
        child=serializers.CharField(), help_text="Keys of the tables for the same filter."
    )
