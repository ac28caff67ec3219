"""Consumer accounts and their e-mail address: the verification link sent at sign-up, and the
complaints filed earlier with a proven address joining the account.

Only a proven address claims complaints: anyone can type any address into a sign-up form, but
only its owner can open the link sent to it.
"""

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..encryption import email_index
from ..errors import DomainError
from ..models import Complaint, Event, VerifiedEmail
from ..models.event_messages import message
from .events import event_record
from .notifications import email_render, template_language

SALT = "appwatch.accounts.email-verification"
# How long a verification link works.
VERIFICATION_MAX_AGE_SECONDS = 3 * 24 * 3600


def email_verification_token(*, user: User) -> str:
    """A signed, expiring token for the user's current address; it stops working when the
    address changes."""
    return signing.dumps({"user": user.pk, "email": user.email.lower()}, salt=SALT)


def email_verification_send(*, user: User, language: str | None = None) -> None:
    """E-mail the user a link that proves they read their address (sent after commit)."""
    if not user.email:
        raise DomainError(_("This account has no e-mail address."))
    path = reverse("email_verify", args=[email_verification_token(user=user)])
    subject, body = email_render(
        "verify_email",
        template_language(language),
        {"user": user, "verify_url": settings.SITE_URL.rstrip("/") + path},
    )
    address = user.email
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))


def account_never_activated(user: User) -> bool:
    """A consumer account made by a sign-up whose link was never opened."""
    return not user.is_active and user.last_login is None and user.username == user.email


def signup_existing_notify(*, user: User, email: str, language: str | None = None) -> None:
    """Tell the owner of an address that someone tried to sign up with it (sent after commit).
    The sign-up form answers as it does for a new address, so only the owner learns this."""
    subject, body = email_render(
        "signup_existing",
        template_language(language),
        {"login_url": settings.SITE_URL.rstrip("/") + reverse("login"), "username": user.username},
    )
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email]))


# A verification link can be asked for again this many times a day.
VERIFICATION_SENDS_PER_DAY = 3


def email_verification_resend(*, user: User, language: str | None = None) -> None:
    """Send the link again, at most VERIFICATION_SENDS_PER_DAY times a day per account."""
    key = f"verification-sends:{user.pk}"
    cache.add(key, 0, timeout=24 * 3600)
    if cache.incr(key) > VERIFICATION_SENDS_PER_DAY:
        raise DomainError(_("We already sent several links today. Try again tomorrow."))
    email_verification_send(user=user, language=language)


def email_verification_check(*, token: str) -> User:
    """The user a verification token belongs to, or a DomainError that says why not."""
    try:
        data = signing.loads(token, salt=SALT, max_age=VERIFICATION_MAX_AGE_SECONDS)
    except signing.SignatureExpired as error:
        # The signature held, so the payload is ours: say what gets a new link for this account.
        user = User.objects.filter(pk=signing.loads(token, salt=SALT).get("user")).first()
        if user is not None and account_never_activated(user):
            raise DomainError(
                _("This link has expired. Sign up again with the same address for a new one.")
            ) from error
        raise DomainError(
            _("This link has expired. Log in and ask for a new one under “My complaints”.")
        ) from error
    except signing.BadSignature as error:
        raise DomainError(_("This link is not valid. Check that it was copied whole.")) from error
    user = User.objects.filter(pk=data.get("user")).first()
    if user is not None and not user.is_active and not account_never_activated(user):
        user = None  # switched off by an admin: no link turns it back on
    if user is None or user.email.lower() != data.get("email"):
        raise DomainError(_("This link is not valid. Check that it was copied whole."))
    return user


def email_verified(user) -> bool:
    if not user.is_authenticated or not user.email:
        return False
    return VerifiedEmail.objects.filter(user=user, email__iexact=user.email).exists()


@transaction.atomic
def email_verify(*, token: str, at=None) -> tuple[User, int]:
    """Record that the token's user proved their address, and claim the complaints filed with
    it; the link of a sign-up also activates its account. Returns the user and how many
    complaints joined the account."""
    user = email_verification_check(token=token)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    VerifiedEmail.objects.update_or_create(
        user=user, defaults={"email": user.email.lower(), "verified_at": at or timezone.now()}
    )
    return user, complaints_claim(user=user, at=at)


@transaction.atomic
def complaints_claim(*, user: User, at=None) -> int:
    """Complaints filed without an account but with the user's proven address join the
    account; each records it in its timeline. Returns how many joined."""
    if not email_verified(user):
        raise DomainError(_("Confirm your e-mail address first."))
    address_index = email_index(user.email)
    if not address_index:
        return 0
    claimed = list(
        Complaint.objects.select_for_update()
        .filter(
            submitter__isnull=True,
            contact_email_index=address_index,
            erased_at__isnull=True,
        )
        .order_by("id")
    )
    for complaint in claimed:
        complaint.submitter = user
        complaint.save(update_fields=["submitter", "updated_at"])
        event_record(
            actor=user,
            actor_role="consumer",
            kind=Event.Kind.NOTE,
            complaint=complaint,
            message=message("account_claimed"),
            data={"claimed_by": user.pk},
            at=at,
        )
    return len(claimed)
