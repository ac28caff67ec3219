"""Who a user is on the platform: consumer, operator (of some companies), regulator or admin.

Roles are Django groups created by migration; object-level rules build on these answers.
"""

from django.contrib.auth.models import AnonymousUser, User

CONSUMER = "consumer"
OPERATOR = "operator"
REGULATOR = "regulator"
ADMIN = "admin"
ROLE_GROUPS = (CONSUMER, OPERATOR, REGULATOR, ADMIN)


def _groups(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_appwatch_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._appwatch_groups = cached
    return cached


def is_admin(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or ADMIN in _groups(user))


def is_regulator(user: User | AnonymousUser) -> bool:
    return is_admin(user) or REGULATOR in _groups(user)


def is_staff_member(user: User | AnonymousUser) -> bool:
    """Regulators, admins and anyone with the admin site's staff flag: the accounts that
    decide, which need two-factor log-in and whose sessions end when left idle."""
    return user.is_authenticated and (user.is_staff or is_regulator(user))


def is_operator(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and OPERATOR in _groups(user)


def operator_company_ids(user: User | AnonymousUser) -> set[int]:
    """Companies an operator account answers for (empty for everyone else)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_appwatch_company_ids", None)
    if cached is None:
        cached = set(user.memberships.values_list("company_id", flat=True))
        user._appwatch_company_ids = cached
    return cached


def role_of(user: User | AnonymousUser) -> str:
    """The role recorded on events and used to pick a home screen."""
    if not user.is_authenticated:
        return "anonymous"
    if is_admin(user):
        return ADMIN
    if is_regulator(user):
        return REGULATOR
    if is_operator(user):
        return OPERATOR
    return CONSUMER
