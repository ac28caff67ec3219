"""The filters every statistics page and endpoint understands: a date range, a category, an
app and an operator. Parses query strings only; the selectors do the counting."""

import datetime

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from ..models import App, Category, Company
from ..selectors.stats import StatsFilter

MAX_RANGE_DAYS = 3 * 366


class QuickSelect(forms.Select):
    """A <select> rendered in Python. Django renders each option through a template, which
    for a list of every app and operator costs more than the statistics behind the page."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(v), mark_safe(" selected") if str(v) in selected else "", label)
                for v, label in self.choices
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)


class StatsFilterForm(forms.Form):
    start_date = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        empty_label=_("All categories"),
        widget=QuickSelect,
    )
    app = forms.ModelChoiceField(
        label=_("App"),
        queryset=App.objects.order_by("name"),
        required=False,
        empty_label=_("All apps"),
        widget=QuickSelect,
    )
    operator = forms.ModelChoiceField(
        label=_("Operator"),
        queryset=Company.objects.order_by("name"),
        required=False,
        empty_label=_("All operators"),
        widget=QuickSelect,
    )

    def __init__(self, data=None, *, default_days: int = 90, **kwargs):
        super().__init__(data, **kwargs)
        self.default_days = default_days
        self.fields["category"].label_from_instance = lambda c: c.name

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        end = cleaned.get("end_date") or today
        start = cleaned.get("start_date") or end - datetime.timedelta(days=self.default_days - 1)
        if "start_date" in self.errors or "end_date" in self.errors:
            return cleaned
        # Each error names the field to change, so the API's `fields` says which one.
        if start > end:
            self.add_error(
                "start_date",
                forms.ValidationError(
                    _("The start date must not be after the end date."), code="range"
                ),
            )
            return cleaned
        if (end - start).days >= MAX_RANGE_DAYS:
            self.add_error(
                "start_date",
                forms.ValidationError(
                    _("Choose a range of at most %(days)s days.") % {"days": MAX_RANGE_DAYS},
                    code="range",
                ),
            )
            return cleaned
        app, operator = cleaned.get("app"), cleaned.get("operator")
        if app is not None and operator is not None and app.operator_id != operator.pk:
            self.add_error(
                "app",
                forms.ValidationError(_("That app is not run by that operator."), code="mismatch"),
            )
            return cleaned
        cleaned["start_date"], cleaned["end_date"] = start, end
        # Show the dates actually used when the visitor left them empty.
        self.data = self.data.copy()
        self.data["start_date"], self.data["end_date"] = start.isoformat(), end.isoformat()
        return cleaned

    def stats_filter(self) -> StatsFilter:
        """The validated filter (call after is_valid())."""
        data = self.cleaned_data
        return StatsFilter(
            start_date=data["start_date"],
            end_date=data["end_date"],
            category=data.get("category"),
            app=data.get("app"),
            operator=data.get("operator"),
        )

    def first_error(self) -> str:
        for messages in self.errors.values():
            return str(messages[0])
        return ""
