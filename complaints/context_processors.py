from . import roles as user_roles


def roles(request):
    """Navigation needs to know which screens the signed-in user may open."""
    user = request.user
    return {
        "is_regulator": user_roles.is_regulator(user),
        "is_operator": user_roles.is_operator(user),
        "user_role": user_roles.role_of(user),
    }
