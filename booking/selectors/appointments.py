"""Reads of appointments, scoped to the person asking."""

from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import User
from booking.models import Appointment


def appointment_list_for_client(*, client: User) -> QuerySet[Appointment]:
    return Appointment.objects.filter(client=client).select_related("counsellor", "conversation")


def appointment_list_for_counsellor(*, counsellor: User) -> QuerySet[Appointment]:
    return Appointment.objects.filter(counsellor=counsellor).select_related("client", "conversation")


def appointment_next_for_client(*, client: User, now: datetime) -> Appointment | None:
    """The client's next booked appointment that has not ended yet."""
    return (
        appointment_list_for_client(client=client)
        .filter(status=Appointment.Status.BOOKED, end_at__gt=now)
        .order_by("start_at")
        .first()
    )


def appointment_get_for_party(*, user: User, appointment_id: int) -> Appointment | None:
    """An appointment seen by one of its two people; None for anyone else."""
    return (
        Appointment.objects.filter(Q(client=user) | Q(counsellor=user), pk=appointment_id)
        .select_related("client", "counsellor", "counsellor__organisation", "conversation")
        .first()
    )
