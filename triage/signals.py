"""Triage reacts to intake's announcements: a submitted claim is routed by a worker."""

import logging

from kombu.exceptions import OperationalError

from triage.tasks import claim_route_task

logger = logging.getLogger(__name__)


def route_submitted_claim(sender, claim_id, **kwargs) -> None:
    try:
        claim_route_task.delay(str(claim_id))
    except (OperationalError, OSError, RuntimeError):
        # The claim is committed and stays submitted; the periodic sweep routes it once the
        # broker is back. The patient's submission must not fail for this.
        logger.warning("Could not queue routing for claim %s; the sweep will route it", claim_id)
