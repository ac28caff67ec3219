from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EarlyWarningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "early_warning"
    verbose_name = _("early warning")
