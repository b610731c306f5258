"""The claim's weak ETag for `If-Match` (RFC 9110 13.1.1): it changes whenever a move or an
assignment changes the claim, so an update made from a stale read is refused (412)."""

import hashlib

from django.db import transaction

from api.problems import PreconditionFailed, PreconditionRequired
from intake.models import Claim


def claim_etag(claim: Claim) -> str:
    # updated_at alone misses changes saved with update_fields that leave it out (assignment).
    parts = (
        claim.updated_at.isoformat(),
        claim.status,
        claim.assigned_adjuster_id,
        claim.team_id,
        claim.priority,
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def claim_check_if_match(request, claim: Claim) -> Claim:
    """Lock the claim for the rest of the transaction and check the request's If-Match against
    its ETag: 428 without one, 412 when stale. Returns the locked claim."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("The claim is locked for the request's transaction: call inside one.")
    sent = request.headers.get("If-Match", "").strip()
    if not sent:
        raise PreconditionRequired(
            "Send the claim's ETag (from its GET) in an If-Match header, so a change made by "
            "someone else since you read it is not overwritten."
        )
    locked = Claim.objects.select_for_update(of=("self",)).get(pk=claim.pk)
    current = claim_etag(locked).removeprefix("W/")
    offered = {tag.strip().removeprefix("W/") for tag in sent.split(",")}
    if "*" not in offered and current not in offered:
        raise PreconditionFailed()
    # The services lock the claim again; the caller's object keeps its selected relations.
    claim.status = locked.status
    return claim
