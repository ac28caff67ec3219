"""The regulator's triage decisions that take more than one field: accepting and rejecting."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Category, Complaint


class AcceptForm(forms.Form):
    categories = forms.MultipleChoiceField(label=gettext_lazy("Categories"), required=True)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)
    relabel_reason = forms.CharField(required=False, max_length=2000)
    app = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [
            (c.code, c.name) for c in Category.objects.filter(is_active=True)
        ]
        self.fields["categories"].error_messages["required"] = _("Choose at least one category.")


class RejectForm(forms.Form):
    reason = forms.ChoiceField(choices=Complaint.RejectReason.choices, label=gettext_lazy("Reason"))
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _("Choose a reason for the rejection.")
        self.fields["reason"].error_messages["invalid_choice"] = _(
            "Choose a reason for the rejection."
        )
