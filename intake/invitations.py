"""The signed token in an advocate's invitation link: it names the invitation and expires with it,
so nothing secret is stored and a forged or mangled link names nothing."""

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from intake.models import Authority

#: How long an invitation link stays valid.
INVITATION_DAYS = 14
_SALT = "intake.authority-invitation"


def invitation_token(authority: Authority) -> str:
    return signing.dumps(str(authority.pk), salt=_SALT)


def invitation_url(authority: Authority) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "intake:authority_accept", args=[invitation_token(authority)]
    )


def authority_id_from_token(token: str) -> str | None:
    """The invitation's id, or None for a forged, mangled or lapsed link."""
    try:
        return signing.loads(token, salt=_SALT, max_age=datetime.timedelta(days=INVITATION_DAYS))
    except signing.BadSignature:
        return None
