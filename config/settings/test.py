"""Settings for the test suite: the environment-driven settings with what only tests change."""

from config.settings.base import *  # noqa: F403 - the settings are the base module's names
from config.settings.base import STORAGES

# Hashing with the production hasher dominates test time and proves nothing here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Rate-limit counters and used TOTP codes stay in the test process (tests/conftest.py clears
# them between tests).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests do not run collectstatic, so no manifest of hashed names exists.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Bank details are encrypted with the key derived from SECRET_KEY, as in development; the
# production check (resolution.E001) is tested with settings of its own.
BANK_DETAILS_DEVELOPMENT_KEY = True
