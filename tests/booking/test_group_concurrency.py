"""Group-session capacity under real concurrency: PostgreSQL (run by .ci/run where reachable)."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Role
from booking import services
from booking.models import GroupRegistration, GroupSession
from tests.concurrency import run_together
from tests.factories import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _together(actions) -> list[str]:
    """Run the callables at the same instant; what each ended with ("error:..." if it raised)."""
    return [
        f"error:{type(result).__name__}" if isinstance(result, Exception) else result
        for result in run_together(actions)
    ]


def _session(capacity: int) -> GroupSession:
    host = make_user(Role.COUNSELLOR)
    return services.group_session_create(
        host=host,
        kind="webinar",
        title="Digital skills for job search",
        topic="work",
        language="en",
        start_at=datetime.now(UTC) + timedelta(days=2),
        duration=60,
        capacity=capacity,
    )


def test_thirty_simultaneous_registrations_fill_five_places_and_queue_the_rest():
    session = _session(capacity=5)
    people = [make_user(Role.MIGRANT) for _ in range(30)]

    outcomes = _together(
        [lambda p=p: services.group_register(session=session, participant=p).status for p in people]
    )

    assert sorted(set(outcomes)) == ["registered", "waitlisted"]
    assert outcomes.count("registered") == 5
    session.refresh_from_db()
    assert session.seats_taken == 5
    assert GroupRegistration.objects.filter(session=session, status="registered").count() == 5


def test_simultaneous_departures_and_arrivals_never_exceed_capacity_and_fill_every_free_place():
    session = _session(capacity=4)
    holders = [make_user(Role.MIGRANT) for _ in range(4)]
    waiting = [make_user(Role.MIGRANT) for _ in range(6)]
    for person in [*holders, *waiting]:
        services.group_register(session=session, participant=person)
    newcomers = [make_user(Role.MIGRANT) for _ in range(6)]

    outcomes = _together(
        [lambda p=p: services.group_unregister(session=session, participant=p).status for p in holders[:3]]
        + [lambda p=p: services.group_register(session=session, participant=p).status for p in newcomers]
    )

    assert not [o for o in outcomes if o.startswith("error")]
    session.refresh_from_db()
    registered = GroupRegistration.objects.filter(session=session, status="registered")
    assert session.seats_taken == registered.count() == 4
    # The three freed places went to the first three people who were already waiting.
    assert set(registered.values_list("participant_id", flat=True)) == {
        holders[3].pk,
        *(p.pk for p in waiting[:3]),
    }
