"""The Django admin for daily work: every model, with the common transitions as actions that
go through the services (so each writes its Event), and a read-only audit log."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

# Importing the modules registers their model admins with the default site.
from . import accounts, audit, cases, complaints, organisations  # noqa: F401

admin.site.site_header = _("AppWatch administration")
admin.site.site_title = _("AppWatch admin")
admin.site.index_title = _("Complaints, apps and rectification")
