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


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def schedule_next_free_refresh(counsellor_id: int | None = None) -> int:
    """Recompute the directory's "next free time" order for one counsellor, or for all."""
    from booking.services import schedules_refresh_next_free

    ids = None if counsellor_id is None else [counsellor_id]
    return schedules_refresh_next_free(counsellor_ids=ids)
