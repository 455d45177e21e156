"""Reads about calls and the waiting room of appointments."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from booking.models import Appointment
from booking.selectors.appointments import appointment_get_for_party
from counselling import presence
from counselling.models import Call, CallAttendee

# "Join" appears this long before an appointment starts (and stays until it ends).
JOIN_EARLY = timedelta(minutes=10)


def call_live(*, conversation_id: int) -> Call | None:
    """The call ringing or running in this conversation, if any (with who started it)."""
    now = timezone.now()
    call = (
        Call.objects.select_related("started_by")
        .filter(conversation_id=conversation_id, ended_at__isnull=True)
        .first()
    )
    if call is not None and call.answered_at is None and call.ring_until < now:
        return None  # rang out; the next write or the periodic task closes it
    return call


def call_attendee_ids(*, call: Call, exclude: int | None = None) -> list[int]:
    """Who is in the call now."""
    attendees = CallAttendee.objects.filter(call=call, left_at__isnull=True)
    if exclude is not None:
        attendees = attendees.exclude(user_id=exclude)
    return list(attendees.values_list("user_id", flat=True))


def call_list_for_conversation(*, conversation_id: int, limit: int = 5) -> QuerySet[Call]:
    """The latest calls of a conversation, for its call log."""
    return Call.objects.select_related("started_by").filter(conversation_id=conversation_id)[:limit]


def appointment_joinable(*, appointment: Appointment, now: datetime | None = None) -> bool:
    """Whether the appointment can be joined now: booked, from `JOIN_EARLY` before its start
    until its end."""
    now = now or timezone.now()
    return (
        appointment.status == Appointment.Status.BOOKED
        and appointment.start_at - JOIN_EARLY <= now < appointment.end_at
    )


def appointment_for_session(*, user: User, appointment_id: int) -> Appointment | None:
    """An appointment of this person (as client or counsellor) that can be joined now."""
    appointment = appointment_get_for_party(user=user, appointment_id=appointment_id)
    if appointment is None or not appointment_joinable(appointment=appointment):
        return None
    return appointment


@dataclass(frozen=True)
class Waiting:
    appointment: Appointment
    since_start: bool  # the appointment has started (not only "early")


def waiting_room_for_counsellor(*, counsellor: User) -> list[Waiting]:
    """The counsellor's clients who are waiting to be let in now, soonest appointment first."""
    now = timezone.now()
    joinable = list(
        Appointment.objects.select_related("client")
        .filter(
            counsellor=counsellor,
            status=Appointment.Status.BOOKED,
            start_at__lte=now + JOIN_EARLY,
            end_at__gt=now,
        )
        .order_by("start_at")
    )
    waiting = set(presence.waiting_among(appointment_ids=[a.pk for a in joinable]))
    return [Waiting(appointment=a, since_start=a.start_at <= now) for a in joinable if a.pk in waiting]


def waiting_in_conversation(*, conversation_id: int) -> list[Appointment]:
    """Appointments of this conversation whose client is in the waiting room now."""
    now = timezone.now()
    joinable = list(
        Appointment.objects.filter(
            conversation_id=conversation_id,
            status=Appointment.Status.BOOKED,
            start_at__lte=now + JOIN_EARLY,
            end_at__gt=now,
        )
    )
    waiting = set(presence.waiting_among(appointment_ids=[a.pk for a in joinable]))
    return [a for a in joinable if a.pk in waiting]
