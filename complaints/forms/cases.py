"""Rectification cases: opening one, issuing a notice, recording a verification."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import App, Case, Category


class CaseOpenForm(forms.Form):
    app = forms.ModelChoiceField(queryset=App.objects.all(), label=gettext_lazy("App"))
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        label=gettext_lazy("Categories"),
        widget=forms.CheckboxSelectMultiple,
    )
    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("Problems found"), required=False, widget=forms.Textarea
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of notices"),
        choices=[("zh-hans", "简体中文"), ("en", "English")],
    )
    complaints = forms.CharField(
        label=gettext_lazy("Complaints to link (tracking numbers)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["app"].error_messages["required"] = _("Choose the app.")
        self.fields["categories"].error_messages["required"] = _("Choose at least one category.")

    def tracking_numbers(self) -> list[str]:
        """The tracking numbers typed, split on commas, spaces and new lines."""
        return [n for n in self.cleaned_data.get("complaints", "").replace(",", " ").split() if n]


class NoticeForm(forms.Form):
    problems = forms.CharField(label=gettext_lazy("Problems found"), widget=forms.Textarea)
    deadline_date = forms.DateField(
        label=gettext_lazy("Deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problems"].error_messages["required"] = _("Describe the problems found.")
        self.fields["deadline_date"].error_messages["invalid"] = _(
            "Enter the deadline as a date (YYYY-MM-DD)."
        )


class VerifyForm(forms.Form):
    rectified = forms.TypedChoiceField(
        choices=[("yes", gettext_lazy("rectified")), ("no", gettext_lazy("not rectified"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(widget=forms.Textarea)
    new_deadline_date = forms.DateField(required=False)
    escalate_measure = forms.ChoiceField(
        choices=[("", "—"), *Case.Escalation.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rectified"].error_messages["required"] = _(
            "Say whether the case is rectified."
        )
        self.fields["notes"].error_messages["required"] = _("Write the verification notes.")
        self.fields["escalate_measure"].error_messages["invalid_choice"] = _(
            "Choose an escalation measure."
        )
