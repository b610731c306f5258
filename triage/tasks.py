"""Triage work done by workers; thin wrappers around services."""

import logging

from celery import shared_task

from triage import services

logger = logging.getLogger(__name__)


# No result is kept: storing one would make queuing wait on the result backend too, and a
# submission must not wait on anything once it is committed.
@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def claim_route_task(claim_id: str) -> None:
    """Route one submitted claim; a repeat finds it routed and does nothing."""
    services.claim_route(claim_id=claim_id)


@shared_task(acks_late=True)
def claims_route_waiting_task() -> int:
    """Route submitted claims whose routing task was lost (the broker was down at submission)."""
    return services.claims_route_waiting()


@shared_task(acks_late=True)
def claims_flag_overdue_task() -> int:
    """Alert triage leads of claims past their due dates, once per breach."""
    return services.claims_flag_overdue()
