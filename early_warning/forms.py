"""Early warning's forms: a dismissal's reason, and how a regulator hears of warnings."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MailSetting


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why dismiss it"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why you dismiss it.")},
    )


class MailSettingForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("E-mails about early warnings"),
        choices=MailSetting.Mode.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose one of the offered ways."),
            "invalid_choice": _("Choose one of the offered ways."),
        },
    )
