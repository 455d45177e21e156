"""Counsellors' private calendar feeds: create, revoke (replace), and read by token."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Role, User
from booking.models import Appointment, CalendarFeed


@transaction.atomic
def calendar_feed_rotate(*, counsellor: User) -> CalendarFeed:
    """Give the counsellor a new secret feed URL; the previous one stops working."""
    if not counsellor.has_role(Role.COUNSELLOR):
        raise PermissionError("only counsellors have a calendar feed")
    feed, _created = CalendarFeed.objects.select_for_update().get_or_create(
        counsellor=counsellor, defaults={"token": secrets.token_urlsafe(32)}
    )
    if not _created:
        feed.token = secrets.token_urlsafe(32)
        feed.created_at = timezone.now()
        feed.save(update_fields=["token", "created_at"])
    return feed


@transaction.atomic
def calendar_feed_revoke(*, counsellor: User) -> None:
    """No feed any more."""
    CalendarFeed.objects.filter(counsellor=counsellor).delete()


def calendar_feed_appointments(*, token: str) -> tuple[User, QuerySet[Appointment]] | None:
    """The counsellor and their booked appointments from 30 days ago on, for a valid token."""
    feed = CalendarFeed.objects.select_related("counsellor").filter(token=token).first()
    if feed is None or not feed.counsellor.is_active or not feed.counsellor.has_role(Role.COUNSELLOR):
        return None
    appointments = Appointment.objects.filter(
        counsellor=feed.counsellor,
        status=Appointment.Status.BOOKED,
        start_at__gte=timezone.now() - timedelta(days=30),
    ).order_by("start_at")
    return feed.counsellor, appointments
