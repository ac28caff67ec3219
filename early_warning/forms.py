"""The one form of early warning: a dismissal's reason."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why dismiss it"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why you dismiss it.")},
    )
