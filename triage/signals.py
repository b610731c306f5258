"""Triage reacts to intake's announcements: a submitted claim is routed by a worker."""

from portal.queueing import queue_after_commit
from triage.tasks import claim_route_task


def route_submitted_claim(sender, claim_id, **kwargs) -> None:
    # The claim is committed and stays submitted if the broker is down: the periodic sweep
    # (claims_route_waiting) routes it then, and the patient's submission never fails for this.
    queue_after_commit(claim_route_task, str(claim_id), sweeper="the sweep will route it")
