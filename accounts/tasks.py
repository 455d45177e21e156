from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def sessions_clear_expired() -> int:
    """Delete expired sessions (safe to run twice)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
