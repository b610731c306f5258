"""The links of the emails about advocates: the signed token in an advocate's invitation link (it
names the invitation and expires with it, so nothing secret is stored and a forged or mangled link
names nothing), and a patient's take-over link. Both are made when the email is sent."""

import datetime

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core import signing
from django.urls import reverse

from intake.models import Authority
from portal.models import User

#: How long an invitation link stays valid.
INVITATION_DAYS = 14
_SALT = "intake.authority-invitation"


def invitation_token(authority: Authority) -> str:
    return signing.dumps(str(authority.pk), salt=_SALT)


def invitation_url(authority: Authority) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "intake:authority_accept", args=[invitation_token(authority)]
    )


def takeover_url(patient: User) -> str:
    """The link for a patient an advocate filed for to choose their password (allauth's reset
    link: it works once, and no longer once they have a password of their own)."""
    return settings.SITE_URL.rstrip("/") + reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(patient),
            "key": default_token_generator.make_token(patient),
        },
    )


def authorities_url() -> str:
    """The patient's page of their advocates, where they invite one."""
    return settings.SITE_URL.rstrip("/") + reverse("intake:authorities")


def authority_id_from_token(token: str) -> str | None:
    """The invitation's id, or None for a forged, mangled or lapsed link."""
    try:
        return signing.loads(token, salt=_SALT, max_age=datetime.timedelta(days=INVITATION_DAYS))
    except signing.BadSignature:
        return None
