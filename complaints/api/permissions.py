"""Who may call an endpoint, by role (complaints/roles.py decides the role)."""

from rest_framework import permissions

from .. import roles


class IsRegulator(permissions.BasePermission):
    def has_permission(self, request, view):
        return roles.is_regulator(request.user)


class IsOperator(permissions.BasePermission):
    def has_permission(self, request, view):
        return roles.is_operator(request.user)
