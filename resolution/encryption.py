"""Encryption at rest of the patient's bank details (resolution.models.BankDetails), with
Fernet: AES-128 in CBC mode with an HMAC-SHA256, so a changed or truncated value fails to
decrypt rather than giving wrong digits.

The keys are the setting BANK_DETAILS_KEYS: the first encrypts, every one decrypts, so a key is
rotated by putting a new one first, re-encrypting the rows (`manage.py bank_details_rotate`), and
then removing the old one. Without any key, development and the tests
(BANK_DETAILS_DEVELOPMENT_KEY) use one derived from SECRET_KEY; production refuses to start
without a key of its own (the system check in resolution/checks.py).
"""

import base64
import binascii
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Fixed inputs of the derivation: they tie the derived key to this one use of SECRET_KEY, so it
# equals no other key derived from it (allauth's TOTP key, Django's signing keys).
_HKDF_SALT = b"claim-portal:resolution:bank-details"
_HKDF_INFO = b"fernet-key-v1"

MISSING_KEY = (
    "BANK_DETAILS_KEYS is not set: bank details cannot be encrypted without a key of their own "
    "when DEBUG is off."
)
GENERATE_HINT = (
    'Generate a key with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())" and set BANK_DETAILS_KEYS to it.'
)


class BankDetailsUnreadable(Exception):
    """Stored bank details that no configured key decrypts (a key removed too early)."""


def keys_problem() -> str | None:
    """What is wrong with the configured keys, in words, or None when they can be used."""
    keys = _configured_keys()
    if not keys:
        return None if settings.BANK_DETAILS_DEVELOPMENT_KEY else MISSING_KEY
    for position, key in enumerate(keys, start=1):
        if not _is_fernet_key(key):
            return (
                f"Key {position} of BANK_DETAILS_KEYS is not a Fernet key (32 bytes in URL-safe "
                "base64, 44 characters ending in '=')."
            )
    return None


def encrypt(value: str) -> str:
    """`value` encrypted with the first key, as text for a TextField."""
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The value `token` holds, decrypted with whichever configured key made it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        raise BankDetailsUnreadable(
            "These bank details were encrypted with a key that is no longer configured."
        ) from error


def reencrypt(token: str) -> str:
    """`token` encrypted again with the first key (for key rotation); the value is unchanged."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise BankDetailsUnreadable(
            "These bank details were encrypted with a key that is no longer configured."
        ) from error


def _configured_keys() -> tuple[str, ...]:
    return tuple(key.strip() for key in settings.BANK_DETAILS_KEYS if key.strip())


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, ValueError):
        return False


def _fernet() -> MultiFernet:
    keys = _configured_keys()
    if not keys:
        if not settings.BANK_DETAILS_DEVELOPMENT_KEY:
            raise ImproperlyConfigured(f"{MISSING_KEY} {GENERATE_HINT}")
        keys = (_derived_key(settings.SECRET_KEY),)
    elif problem := keys_problem():
        raise ImproperlyConfigured(problem)
    return _multi_fernet(keys)


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    # Keyed on the keys themselves, so a changed setting (a test's override) takes effect.
    return MultiFernet([Fernet(key) for key in keys])


@lru_cache(maxsize=4)
def _derived_key(secret_key: str) -> str:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(derived).decode("ascii")
