from celery import shared_task

from booking.notifications import notices_send_pending, reminders_queue


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def notices_send() -> int:
    """Send queued appointment notices (safe to run twice: each notice goes out once)."""
    return notices_send_pending()


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def reminders_due() -> int:
    """Queue due reminders, then send them."""
    reminders_queue()
    return notices_send_pending()
