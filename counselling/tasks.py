from celery import shared_task

from counselling.notifications import (
    new_messages_notify_pending,
    reassignment_notify_once,
    reassignments_notify_pending,
)
from counselling.services.calls import calls_expire_now


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def reassignment_notify(reassignment_id: int) -> bool:
    """Tell the client about their new counsellor (safe to run twice: sent once)."""
    return reassignment_notify_once(reassignment_id=reassignment_id)


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def reassignments_notify() -> int:
    """Send the reassignment messages still waiting (queued while the broker was down)."""
    return reassignments_notify_pending()


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def new_messages_notify() -> int:
    """Tell people who are away that they have new messages (once per burst, never the text)."""
    return new_messages_notify_pending()


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def calls_expire() -> int:
    """End calls that rang out or that nobody is connected to any more (safe to run twice)."""
    return calls_expire_now()
