"""A signed-in person's own choices: the language of their pages and e-mails."""

from collections.abc import Iterable

from django.conf import settings

from ..models import Preference

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def language_remember(*, user, language: str) -> bool:
    """Keep `language` as the user's own (when it is one the site speaks). Returns whether it
    was kept."""
    if not user.is_authenticated or language not in LANGUAGE_CODES:
        return False
    Preference.objects.update_or_create(user=user, defaults={"language": language})
    return True


def language_of(user) -> str | None:
    """The language the user chose, or None if they never did."""
    if not user.is_authenticated:
        return None
    return Preference.objects.filter(user=user).values_list("language", flat=True).first()


def languages_by_email(users: Iterable) -> dict[str, str]:
    """Each user's e-mail address with the language they chose (addresses of users who never
    chose are left out)."""
    ids = [user.pk for user in users]
    return {
        email.lower(): language
        for email, language in Preference.objects.filter(user_id__in=ids).values_list(
            "user__email", "language"
        )
        if email
    }
