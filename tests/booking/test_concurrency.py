"""No double booking under real concurrency: PostgreSQL (run by .ci/run where reachable)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Role
from booking import services
from booking.models import Appointment
from booking.services import BookingError
from counselling.services import conversation_get_or_create
from tests.concurrency import run_together
from tests.factories import make_bookable_counsellor, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def tomorrow_at(hour_utc: int) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour_utc, 0, tzinfo=UTC)


def test_fifty_simultaneous_bookings_of_one_slot_make_exactly_one_appointment():
    counsellor = make_bookable_counsellor(hours=(0, 23))
    clients = [make_user(Role.MIGRANT) for _ in range(50)]
    start_at = tomorrow_at(10)

    def attempt(client) -> str:
        try:
            services.appointment_book(
                client=client,
                counsellor=counsellor,
                start_at=start_at,
                duration=30,
                modality="chat",
                topic="return",
                language="en",
                idempotency_key=uuid.uuid4(),
            )
        except BookingError as error:
            return f"{error.code}:{bool(error.next_slots)}"
        return "booked"

    outcomes = run_together([lambda c=c: attempt(c) for c in clients])

    assert outcomes.count("booked") == 1
    assert outcomes.count("slot_taken:True") == 49, outcomes
    assert Appointment.objects.filter(counsellor=counsellor, status="booked").count() == 1


def test_the_database_refuses_overlapping_active_appointments_but_not_cancelled_ones():
    counsellor = make_bookable_counsellor()
    a, b = make_user(Role.MIGRANT), make_user(Role.MIGRANT)
    start = tomorrow_at(9)

    def insert(client, start_at, status="booked"):
        return Appointment.objects.create(
            counsellor=counsellor,
            client=client,
            conversation=conversation_get_or_create(client=client, counsellor=counsellor),
            start_at=start_at,
            end_at=start_at + timedelta(minutes=45),
            modality="chat",
            topic="return",
            language="en",
            status=status,
            idempotency_key=uuid.uuid4(),
        )

    first = insert(a, start)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(b, start + timedelta(minutes=30))  # overlaps by 15 minutes, other length
    first.status = "cancelled"
    first.save()
    assert insert(b, start + timedelta(minutes=30)).pk
    insert(a, start + timedelta(minutes=75))  # touching end to start is fine
