"""Weak ETags for `If-Match` (RFC 9110 13.1.1), so an update made from a stale read is refused
(412): the claim's changes whenever a move or an assignment changes the claim; a webhook
endpoint's whenever what its PATCH may change, its state or its secret (a rotation) changes."""

import hashlib

from django.db import transaction

from api.problems import EndpointPreconditionFailed, PreconditionFailed, PreconditionRequired
from api.webhooks_models import WebhookEndpoint
from intake.models import Claim


def _weak(parts: tuple) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def claim_etag(claim: Claim) -> str:
    # updated_at alone misses changes saved with update_fields that leave it out (assignment).
    return _weak(
        (
            claim.updated_at.isoformat(),
            claim.status,
            claim.assigned_adjuster_id,
            claim.team_id,
            claim.priority,
        )
    )


def endpoint_etag(endpoint: WebhookEndpoint) -> str:
    # The endpoint has no updated_at: its ETag is what a change could overwrite. A ping's answer
    # is left out: it is not the administrator's to edit, and it would make every read stale.
    expires = endpoint.previous_secret_expires_at
    return _weak(
        (
            endpoint.url,
            tuple(endpoint.event_types),
            endpoint.description,
            endpoint.state,
            expires.isoformat() if expires else None,  # a rotation
        )
    )


def _require(request, what: str) -> set[str]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("The row is locked for the request's transaction: call inside one.")
    sent = request.headers.get("If-Match", "").strip()
    if not sent:
        raise PreconditionRequired(
            f"Send the {what}'s ETag (from its GET) in an If-Match header, so a change made by "
            "someone else since you read it is not overwritten."
        )
    return {tag.strip().removeprefix("W/") for tag in sent.split(",")}


def _matches(offered: set[str], current: str) -> bool:
    return "*" in offered or current.removeprefix("W/") in offered


def claim_check_if_match(request, claim: Claim) -> Claim:
    """Lock the claim for the rest of the transaction and check the request's If-Match against
    its ETag: 428 without one, 412 when stale. Returns the locked claim."""
    offered = _require(request, "claim")
    locked = Claim.objects.select_for_update(of=("self",)).get(pk=claim.pk)
    if not _matches(offered, claim_etag(locked)):
        raise PreconditionFailed()
    # The services lock the claim again; the caller's object keeps its selected relations.
    claim.status = locked.status
    return claim


def endpoint_check_if_match(request, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Lock the endpoint for the rest of the transaction and check the request's If-Match
    against its ETag: 428 without one, 412 when stale. Returns the locked endpoint (fresh)."""
    offered = _require(request, "endpoint")
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not _matches(offered, endpoint_etag(locked)):
        raise EndpointPreconditionFailed()
    return locked
