"""Reassignments under real concurrency: PostgreSQL (run by .ci/run where reachable)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from booking import services as booking
from booking.models import Appointment
from booking.services import BookingError
from counselling.models import Reassignment
from counselling.services import client_reassign
from tests.concurrency import run_together
from tests.factories import OrganisationFactory, make_bookable_counsellor, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def tomorrow_at(hour_utc: int) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour_utc, 0, tzinfo=UTC)


def book(client, counsellor, start_at):
    return booking.appointment_book(
        client=client,
        counsellor=counsellor,
        start_at=start_at,
        duration=30,
        modality="chat",
        topic="return",
        language="en",
        idempotency_key=uuid.uuid4(),
    ).appointment


def outcomes_of(*calls) -> list[str]:
    """Start every call at the same moment, each on its own connection; their outcomes."""

    def outcome(result: object) -> str:
        if isinstance(result, BookingError):
            return f"booking:{result.code}"
        if isinstance(result, ValidationError):
            return "refused"
        if isinstance(result, Exception):  # a deadlock or anything else fails the test
            return f"error:{type(result).__name__}"
        return result  # type: ignore[return-value]

    return [outcome(result) for result in run_together(calls)]


@pytest.fixture
def team():
    org = OrganisationFactory()
    coordinators = [make_user(Role.COORDINATOR, organisation=org) for _ in range(2)]
    old, new = (
        make_bookable_counsellor(organisation=org, hours=(0, 23), languages=("en",)) for _ in range(2)
    )
    return coordinators, old, new


def test_a_reassignment_racing_bookings_of_the_new_counsellor_never_double_books(team):
    (coordinator, _), old, new = team
    client = make_user(Role.MIGRANT, languages=["en"])
    times = [tomorrow_at(hour) for hour in range(8, 13)]
    for start_at in times:
        book(client, old, start_at)
    others = [make_user(Role.MIGRANT, languages=["en"]) for _ in times]

    def reassign() -> str:
        client_reassign(by=coordinator, client=client, from_counsellor=old, to_counsellor=new, reason="leave")
        return "reassigned"

    def booking_of(other, start_at):
        return lambda: (book(other, new, start_at), "booked")[1]

    outcomes = outcomes_of(reassign, *(booking_of(o, t) for o, t in zip(others, times, strict=True)))

    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("reassigned") == 1
    for start_at in times:
        # Exactly one person has the new counsellor at each time: the moved client or the other.
        active = Appointment.objects.filter(counsellor=new, start_at=start_at, status="booked")
        assert active.count() == 1
    assert not Appointment.objects.filter(client=client, counsellor=old, status="booked").exists()
    (reassignment,) = Reassignment.objects.all()
    moved = sum(1 for item in reassignment.appointments.all() if item.new_id)
    assert moved == outcomes.count("booking:slot_taken")


def test_two_coordinators_moving_one_client_at_once_make_one_change(team):
    coordinators, old, new = team
    client = make_user(Role.MIGRANT, languages=["en"])
    book(client, old, tomorrow_at(9))

    def reassign_by(coordinator):
        def call() -> str:
            client_reassign(by=coordinator, client=client, from_counsellor=old, to_counsellor=new, reason="r")
            return "reassigned"

        return call

    outcomes = outcomes_of(*(reassign_by(c) for c in coordinators))

    assert sorted(outcomes) == ["reassigned", "refused"]
    assert Reassignment.objects.count() == 1
    assert Appointment.objects.filter(counsellor=new, status="booked").count() == 1
