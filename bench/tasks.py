"""Tasks that exist only for the benchmarks; a bench's worker imports them with --include."""

from celery import shared_task


@shared_task(ignore_result=True)
def notification_noop(index: int) -> int:
    """Does nothing: the yardstick the delivery benchmark compares a notification with. Sent to
    the notify queue, so it travels the same broker queue and worker as the emails."""
    return index
