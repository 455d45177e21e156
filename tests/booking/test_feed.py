import uuid
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from booking import services
from booking.feeds import calendar_feed_rotate
from booking.ics import appointment_uid
from tests.factories import make_bookable_counsellor

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


def test_the_feed_lists_booked_appointments_as_utc_events_without_client_names(migrant):
    counsellor = make_bookable_counsellor()
    appointment = services.appointment_book(
        client=migrant,
        counsellor=counsellor,
        start_at=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
        duration=30,
        modality="audio",
        topic="return",
        language="en",
        idempotency_key=uuid.uuid4(),
    ).appointment
    feed = calendar_feed_rotate(counsellor=counsellor)

    response = Client().get(reverse("booking:feed", args=[feed.token]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == appointment_uid(appointment)
    assert event.decoded("DTSTART") == datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    assert migrant.display_name not in response.content.decode()


def test_a_new_link_makes_the_old_one_stop_working():
    counsellor = make_bookable_counsellor()
    old = calendar_feed_rotate(counsellor=counsellor).token

    new = calendar_feed_rotate(counsellor=counsellor).token

    assert old != new
    assert Client().get(reverse("booking:feed", args=[old])).status_code == 404
    assert Client().get(reverse("booking:feed", args=[new])).status_code == 200


def test_a_counsellor_creates_and_turns_off_the_link_from_the_page(client_for):
    counsellor = make_bookable_counsellor()
    client = client_for(counsellor)

    client.post(reverse("booking:feed_rotate"))
    page = client.get(reverse("booking:feed_settings")).content.decode()
    token = counsellor.calendar_feed.token
    assert token in page
    client.post(reverse("booking:feed_revoke"))

    assert Client().get(reverse("booking:feed", args=[token])).status_code == 404
