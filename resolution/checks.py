"""System checks of the resolution app's settings."""

from django.core.checks import Error, Tags, register

from resolution import encryption


@register(Tags.security)
def bank_details_keys_check(app_configs, **kwargs) -> list:
    """Bank details are encrypted with a key of their own in production, and every key of
    BANK_DETAILS_KEYS is a real Fernet key (a typo would stop every payment page)."""
    problem = encryption.keys_problem()
    if problem is None:
        return []
    return [Error(problem, hint=encryption.GENERATE_HINT, id="resolution.E001")]
