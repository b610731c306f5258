"""Receivers that keep what a legal hold holds from the deletions lower apps make on their own
schedule (connected in PrivacyConfig.ready())."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from privacy.holds import PrivacyError, claim_is_held, held_claim_ids


class HeldDraftKept(PrivacyError):
    """Raised to keep a stale draft: its patient is under a legal hold."""


def draft_kept_if_held(sender=None, *, claim, **kwargs) -> int:
    """Intake is deleting a stale draft: raising keeps it (and rolls back the deletion of its
    documents in the same transaction). Intake counts it as not deleted and tries again on its
    next run, by when the hold may have been lifted."""
    if claim_is_held(claim):
        raise HeldDraftKept(_("This draft, or its patient, is under a legal hold."))
    return 0


def infected_files_of_held_claims(sender=None, **kwargs) -> QuerySet:
    """Documents' infected-file purge keeps the files of held claims."""
    return held_claim_ids()
