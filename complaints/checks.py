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


@register()
def audit_chain_key_check(app_configs, **kwargs):
    """The audit chain's head sealed with a key kept in var/, beside the data: whoever can cut
    rows off the log can reseal the head. Fine for `make run`; said when DEBUG is off."""
    if settings.AUDIT_CHAIN_KEY_FROM_ENVIRONMENT or settings.DEBUG:
        return []
    return [
        Warning(
            "The audit log's head is sealed with a development key stored in var/ "
            "(AUDIT_CHAIN_KEY is not set).",
            hint="Set AUDIT_CHAIN_KEY in the environment; see README 'The audit log'. "
            "Production settings (SECURE_COOKIES=true) refuse to start without it.",
            id="appwatch.W002",
        )
    ]
