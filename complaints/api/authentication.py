"""How API callers prove who they are: Django's session (the web pages' log-in) or HTTP Basic,
with the accounts that decide held to their second factor.

A regulator's or admin's session counts only once it has passed the two-factor step, and HTTP
Basic, which has no second factor, is closed to them: their scripts use a verified session."""

from django.utils.translation import gettext as _
from drf_spectacular.authentication import BasicScheme, SessionScheme
from rest_framework import authentication, exceptions

from ..services.two_factor import two_factor_required


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            user = request._request.user
            if two_factor_required(user) and not user.is_verified():
                raise exceptions.AuthenticationFailed(
                    _("Finish logging in with your two-factor code first.")
                )
        return result


class BasicAuthentication(authentication.BasicAuthentication):
    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:
            # No account has one, and the database refuses it in a query: a plain 401.
            raise exceptions.AuthenticationFailed(_("Invalid username/password."))
        user, auth = super().authenticate_credentials(userid, password, request)
        if two_factor_required(user):
            raise exceptions.AuthenticationFailed(
                _(
                    "Regulator and administrator accounts cannot use HTTP Basic: log in on the "
                    "web with your two-factor code and use that session."
                )
            )
        return user, auth


# The schema describes them as the DRF classes they extend.
class TwoFactorSessionScheme(SessionScheme):
    target_class = "complaints.api.authentication.SessionAuthentication"


class TwoFactorBasicScheme(BasicScheme):
    target_class = "complaints.api.authentication.BasicAuthentication"
