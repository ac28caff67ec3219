"""The operator portal: answering a complaint."""

from django import forms
from django.utils.translation import gettext as _

from ..models import OperatorResponse


class AnswerForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea)
    closure_code = forms.ChoiceField(choices=OperatorResponse.ClosureCode.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].error_messages["required"] = _("Write your answer to the consumer.")
        self.fields["closure_code"].error_messages["required"] = _("Choose a closure code.")
        self.fields["closure_code"].error_messages["invalid_choice"] = _("Choose a closure code.")
