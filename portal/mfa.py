"""When a person counts as enrolled in a second factor, and when their session has passed one.

allauth answers "is MFA enabled" with any authenticator at all, recovery codes included, and
signs a person in without a code when they had none at the time. The portal asks more: an
authenticator app or a passkey of their own, and a session that has used a second factor."""

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver

#: Kinds of authenticator that count as enrolment: recovery codes are only a fallback for these.
ENROLMENT_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def mfa_is_enrolled(user) -> bool:
    """True when `user` has an authenticator app or a passkey; recovery codes alone are not."""
    return Authenticator.objects.filter(user=user, type__in=ENROLMENT_TYPES).exists()


def mfa_verify_url_name(user) -> str:
    """allauth's page where `user` proves a second factor in a session already signed in."""
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return "mfa_reauthenticate"
    return "mfa_reauthenticate_webauthn"


def session_passed_second_factor(request) -> bool:
    """True when this session's sign-in (or a later re-authentication) used a second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


@receiver(authenticator_added, dispatch_uid="portal_mfa_enrolled_in_session")
def record_enrolment_as_second_factor(sender, request, user, authenticator, **kwargs):
    # Enrolling proves the new factor (a code from the app, or the passkey's signature), so the
    # session that enrolled does not have to type a second code straight away.
    if authenticator.type in ENROLMENT_TYPES and request is not None:
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True
        )
