"""Checks that several services run before they write: who may act, and required text.

One place for them, so every service refuses the same way with the same message.
"""

from django.utils.translation import gettext as _

from .. import roles
from ..errors import DomainError, PermissionDenied


def require_regulator(actor) -> None:
    """Raise PermissionDenied unless `actor` is a regulator; None is the system itself
    (trigger rules, beat tasks, data migrations) and may act."""
    if actor is not None and not roles.is_regulator(actor):
        raise PermissionDenied(_("Only regulators can do this."))


def required(value: str, field: str, message: str) -> str:
    """`value` stripped; a DomainError on `field` with `message` when nothing is left."""
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    return value


def require_case_operator(actor, case) -> None:
    """Only the case's app's operator may answer it."""
    if (
        actor is None
        or case.app.operator_id is None
        or case.app.operator_id not in roles.operator_company_ids(actor)
    ):
        raise PermissionDenied(_("Only the app's operator can answer this case."))


def require_complaint_operator(actor, complaint) -> None:
    """Only the operator of the complaint's app may answer it."""
    company_id = complaint.app.operator_id if complaint.app_id else None
    if actor is None or company_id is None or company_id not in roles.operator_company_ids(actor):
        raise PermissionDenied(_("Only the app's operator can answer this complaint."))
