"""Filters of the public pages: the rectification board and published complaints (with its
page cursor, shared by the page and the API)."""

import datetime

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import App, Category, Company
from ..selectors import stats
from .stats import QuickSelect


class BoardForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All categories"),
        widget=QuickSelect,
    )
    operator = forms.ModelChoiceField(
        label=gettext_lazy("Operator"),
        queryset=Company.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All operators"),
        widget=QuickSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("All statuses")),
            *stats.public_status_labels().items(),
        ]
        self.fields["category"].label_from_instance = lambda c: c.name


class PublishedForm(forms.Form):
    app = forms.ModelChoiceField(
        label=gettext_lazy("App"),
        queryset=App.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All apps"),
        widget=QuickSelect,
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Kind of problem"),
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All kinds"),
        widget=QuickSelect,
    )
    before = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].label_from_instance = lambda c: c.name

    def clean_before(self) -> tuple[datetime.datetime, int] | None:
        return cursor_parse(self.cleaned_data["before"])


def cursor_parse(value: str) -> tuple[datetime.datetime, int] | None:
    """ "<microseconds since the epoch>.<id>" -> (submitted_at, id); ValidationError otherwise."""
    if not value:
        return None
    try:
        micros, pk = (int(part) for part in value.split(".", 1))
        at = datetime.datetime.fromtimestamp(micros / 1_000_000, tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        raise forms.ValidationError(_("That page link is not valid."), code="cursor") from None
    return at, pk


def cursor_format(cursor: tuple[datetime.datetime, int] | None) -> str:
    if cursor is None:
        return ""
    at, pk = cursor
    return f"{round(at.timestamp() * 1_000_000)}.{pk}"
