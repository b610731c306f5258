"""Triage reacts to intake's announcements: a submitted claim is routed by a worker."""

import logging

from kombu.exceptions import OperationalError

from triage.tasks import claim_route_task

logger = logging.getLogger(__name__)


def route_submitted_claim(sender, claim_id, **kwargs) -> None:
    try:
        claim_route_task.delay(str(claim_id))
    except OperationalError:
        # The claim stays submitted; the periodic sweep routes it once the broker is back.
        logger.warning("Could not queue routing for claim %s; the sweep will route it", claim_id)
