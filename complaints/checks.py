"""System checks: configuration that works on a laptop but must not reach production."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def contact_keys_check(app_configs, **kwargs):
    """Contact details encrypted under keys kept in var/, beside the data, protect nothing
    from whoever copies that folder. Fine for `make run`; said loudly when DEBUG is off."""
    if settings.CONTACT_KEYS_FROM_ENVIRONMENT or settings.DEBUG:
        return []
    return [
        Warning(
            "Contact details are encrypted with development keys stored in var/ "
            "(FIELD_ENCRYPTION_KEYS and CONTACT_INDEX_KEY are not set).",
            hint="Set both in the environment before real data arrives; see README "
            "'Contact details at rest'. Production settings (SECURE_COOKIES=true) refuse to "
            "start without them.",
            id="appwatch.W001",
        )
    ]
