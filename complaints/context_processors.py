from . import roles as user_roles
from .services.two_factor import two_factor_required


def roles(request):
    """Navigation needs to know which screens the signed-in user may open."""
    user = request.user
    # Before the second factor, a regulator is shown no regulator screens (they would only
    # lead back to the two-factor step).
    verified = getattr(user, "is_verified", lambda: True)
    return {
        "is_regulator": user_roles.is_regulator(user)
        and (not two_factor_required(user) or verified()),
        "is_operator": user_roles.is_operator(user),
        "user_role": user_roles.role_of(user),
    }
