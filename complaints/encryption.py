"""Consumers' contact details encrypted at rest, and a keyed index to find an address again.

Fernet (the `cryptography` package) with the keys of FIELD_ENCRYPTION_KEYS: the first encrypts,
every one decrypts, so a new key goes first and `manage.py rotate_contact_key` re-encrypts the
rows before the old one is dropped. An encrypted value differs each time it is written, so an
e-mail address is looked up by its blind index instead: HMAC-SHA256 of the normalised address
under CONTACT_INDEX_KEY, a key of its own that key rotation leaves alone.
"""

import functools
import hashlib
import hmac
import unicodedata

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact, IsNull


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key (32 url-safe base64 "
            "bytes; make one with `manage.py rotate_contact_key --new-key`)."
        ) from error


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    """The stored form of `text`; empty stays empty (nothing to hide, and no key needed)."""
    if not text:
        return text
    return fernet().encrypt(text.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored:
        return stored
    try:
        return fernet().decrypt(stored.encode("ascii")).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored contact detail cannot be decrypted with any key of FIELD_ENCRYPTION_KEYS: "
            "a key that encrypted it has been removed (or the value was written without "
            "encryption)."
        ) from None


def reencrypt(stored: str) -> str:
    """`stored` encrypted again under the first key (unchanged if empty)."""
    if not stored:
        return stored
    return fernet().rotate(stored.encode("ascii")).decode("ascii")


def email_normalised(address: str) -> str:
    # NFKC folds full-width letters (ｘ＠ｅｘａｍｐｌｅ) the way the e-mail check does.
    return unicodedata.normalize("NFKC", address).strip().lower()


def email_index(address: str) -> str:
    """The blind index of an e-mail address: equal for equal addresses, whatever their case,
    and useless without CONTACT_INDEX_KEY. Empty for no address."""
    address = email_normalised(address or "")
    if not address:
        return ""
    key = settings.CONTACT_INDEX_KEY.encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


class _EmptyOnlyExact(Exact):
    """`field=""` still finds rows without a value; any other value cannot match a
    ciphertext, so asking for it is a bug, said out loud instead of matching nothing."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.field.name} is encrypted: look it up by its blind index instead."
            )
        return self.rhs


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token and read back as text. Only `=""` and `isnull` lookups
    work on it."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None
