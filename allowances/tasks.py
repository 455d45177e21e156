"""Celery tasks of the allowances app: thin, idempotent, calling services."""

from celery import shared_task


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def periods_close() -> int:
    """Close every programme period that has ended. Beat runs it hourly, so a period is closed
    within an hour of its end (UTC); running it twice closes nothing twice."""
    from allowances.services.periods import periods_close_ended

    return periods_close_ended()
