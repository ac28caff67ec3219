"""Accounts in the admin: users, with an action that resets a person's two-factor log-in, and
django-otp's device pages made read-only, their delete going through the service, so every
change to a second factor leaves an audit event (services/two_factor.py)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..services.two_factor import two_factor_device_remove, two_factor_reset
from .actions import run_each

User = get_user_model()


class AccountAdmin(UserAdmin):
    actions = ["reset_two_factor"]

    @admin.action(description=_("Reset two-factor log-in"), permissions=["change"])
    def reset_two_factor(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda user: two_factor_reset(user=user, actor=request.user),
            _("Two-factor log-in reset for %(count)d accounts."),
        )


class DeviceRemovedThroughService:
    """A device is only looked at or removed here: set-up happens on the person's own page,
    and removal writes its audit event."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        two_factor_device_remove(device=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for device in queryset:
            two_factor_device_remove(device=device, actor=request.user)


class AuthenticatorAdmin(DeviceRemovedThroughService, TOTPDeviceAdmin):
    pass


class RecoveryCodesAdmin(DeviceRemovedThroughService, StaticDeviceAdmin):
    pass


for model, model_admin in (
    (User, AccountAdmin),
    (TOTPDevice, AuthenticatorAdmin),
    (StaticDevice, RecoveryCodesAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
