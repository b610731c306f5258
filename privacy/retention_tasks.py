"""The retention task (imported by privacy/tasks.py for autodiscovery): the daily run that
anonymises claims past their retention and deletes old notification rows. Idempotent: a claim
anonymised is marked and never selected again, and each batch locks its claims."""

from celery import shared_task

from privacy.retention import retention_run


@shared_task(acks_late=True, ignore_result=True)
def retention_run_task() -> dict:
    """Beat, daily: apply the retention schedule (privacy/retention.py)."""
    return retention_run()._asdict()
