"""Group sessions: capacity, the waiting list, changes and what people are told."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from icalendar import Calendar

from accounts.models import Role
from accounts.sms import MemorySMSBackend
from booking import selectors, services
from booking.models import GroupRegistration, GroupSession, Notice
from booking.notifications import notices_send_pending, reminders_queue
from booking.services import BookingError
from tests.factories import OrganisationFactory, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
START = datetime(2026, 6, 3, 14, 0, tzinfo=UTC)  # 16:00 in Berlin, 18:30 in Kabul


@pytest.fixture
def host():
    return make_user(Role.COUNSELLOR, time_zone="Asia/Kabul", languages=["ps", "fa"])


def offer(host, capacity=2, start=START, **fields):
    fields.setdefault("kind", GroupSession.Kind.INFORMATION)
    fields.setdefault("title", "Returning to Afghanistan: first steps")
    fields.setdefault("topic", "return")
    fields.setdefault("language", "ps")
    return services.group_session_create(host=host, start_at=start, duration=60, capacity=capacity, **fields)


def people(n, **fields):
    fields.setdefault("time_zone", "Europe/Berlin")
    return [make_user(Role.MIGRANT, **fields) for _ in range(n)]


def statuses(session):
    return dict(GroupRegistration.objects.filter(session=session).values_list("participant_id", "status"))


# --- Offering ---------------------------------------------------------------------------------


def test_a_counsellor_offers_a_session_for_their_organisation(host):
    session = offer(host, country="AF", location="https://meet.example.org/return")

    assert session.organisation == host.organisation
    assert session.end_at == START + timedelta(hours=1)
    assert session.seats_left == 2


def test_a_coordinator_may_offer_a_session_but_a_migrant_may_not():
    coordinator = make_user(Role.COORDINATOR)
    (migrant,) = people(1)

    assert offer(coordinator).host == coordinator
    with pytest.raises(ValidationError):
        offer(migrant)
    assert GroupSession.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start": NOW - timedelta(minutes=5)}, "start_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 501}, "capacity"),
        ({"language": "xx"}, "language"),
        ({"topic": "astrology"}, "topic"),
        ({"country": "ZZ"}, "country"),
    ],
)
def test_a_session_with_bad_details_is_refused_by_field_and_not_saved(host, fields, field):
    with pytest.raises(ValidationError) as error:
        offer(host, **fields)

    assert field in error.value.error_dict
    assert not GroupSession.objects.exists()


def test_the_database_refuses_more_people_than_places(host):
    session = offer(host, capacity=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        GroupSession.objects.filter(pk=session.pk).update(seats_taken=2)


# --- Registering and the waiting list -----------------------------------------------------------


def test_people_beyond_capacity_go_on_the_waiting_list_in_order(host):
    session = offer(host, capacity=2)
    a, b, c, d = people(4)

    for person in (a, b, c, d):
        services.group_register(session=session, participant=person)

    session.refresh_from_db()
    assert session.seats_taken == 2
    assert statuses(session) == {
        a.pk: "registered",
        b.pk: "registered",
        c.pk: "waitlisted",
        d.pk: "waitlisted",
    }
    waiting_d = GroupRegistration.objects.get(session=session, participant=d)
    assert selectors.group_waitlist_position(registration=waiting_d) == 2


def test_registering_twice_keeps_one_place(host):
    session = offer(host)
    (person,) = people(1)

    first = services.group_register(session=session, participant=person)
    second = services.group_register(session=session, participant=person)

    assert first.pk == second.pk
    session.refresh_from_db()
    assert session.seats_taken == 1
    assert Notice.objects.filter(group_session=session, event=Notice.Event.REGISTERED).count() == 1


def test_giving_up_a_place_promotes_the_first_person_waiting_who_is_told(host):
    session = offer(host, capacity=1)
    a, b, c = people(3, language="de")
    for person in (a, b, c):
        services.group_register(session=session, participant=person)
    notices_send_pending()
    mail.outbox.clear()

    services.group_unregister(session=session, participant=a)

    assert statuses(session) == {a.pk: "cancelled", b.pk: "registered", c.pk: "waitlisted"}
    session.refresh_from_db()
    assert session.seats_taken == 1
    assert notices_send_pending() == 1
    (message,) = mail.outbox
    assert message.to == [b.email]
    assert "Platz" in message.body  # German: "place"
    assert "17:00" in message.body or "16:00" in message.body


def test_leaving_the_waiting_list_frees_no_place(host):
    session = offer(host, capacity=1)
    a, b, c = people(3)
    for person in (a, b, c):
        services.group_register(session=session, participant=person)

    services.group_unregister(session=session, participant=b)

    assert statuses(session) == {a.pk: "registered", b.pk: "cancelled", c.pk: "waitlisted"}
    session.refresh_from_db()
    assert session.seats_taken == 1


def test_registering_again_after_leaving_goes_to_the_end_of_the_waiting_list(host):
    session = offer(host, capacity=1)
    a, b, c = people(3)
    for person in (a, b, c):
        services.group_register(session=session, participant=person)
    services.group_unregister(session=session, participant=b)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        services.group_register(session=session, participant=b)

    services.group_unregister(session=session, participant=a)

    assert statuses(session)[c.pk] == "registered"
    assert statuses(session)[b.pk] == "waitlisted"


def test_more_places_go_to_the_waiting_list_and_fewer_than_registered_are_refused(host):
    session = offer(host, capacity=1)
    a, b, c = people(3)
    for person in (a, b, c):
        services.group_register(session=session, participant=person)

    services.group_session_update(
        session=session, by=host, title=session.title, start_at=START, duration=60, capacity=2
    )
    assert statuses(session) == {a.pk: "registered", b.pk: "registered", c.pk: "waitlisted"}

    with pytest.raises(ValidationError) as error:
        services.group_session_update(
            session=session, by=host, title=session.title, start_at=START, duration=60, capacity=1
        )
    assert "capacity" in error.value.error_dict
    session.refresh_from_db()
    assert (session.capacity, session.seats_taken) == (2, 2)


def test_registration_closes_when_the_session_starts(host):
    session = offer(host)
    (person,) = people(1)

    with time_machine.travel(START, tick=False), pytest.raises(BookingError) as error:
        services.group_register(session=session, participant=person)

    assert error.value.code == "not_active"
    assert not GroupRegistration.objects.exists()


def test_the_host_cannot_register_for_their_own_session(host):
    session = offer(host)

    with pytest.raises(BookingError) as error:
        services.group_register(session=session, participant=host)

    assert error.value.code == "own_session"


# --- Who may change a session -------------------------------------------------------------------


def test_a_coordinator_of_the_hosts_organisation_may_cancel_but_not_one_of_another(host):
    session = offer(host)
    same = make_user(Role.COORDINATOR, organisation=host.organisation)
    other = make_user(Role.COORDINATOR, organisation=OrganisationFactory())

    with pytest.raises(BookingError):
        services.group_session_cancel(session=session, by=other, reason="no")
    services.group_session_cancel(session=session, by=same, reason="The hall is closed.")

    session.refresh_from_db()
    assert session.status == GroupSession.Status.CANCELLED
    assert session.cancel_reason == "The hall is closed."


def test_cancelling_a_session_tells_everyone_registered_or_waiting_with_a_calendar_cancel(host):
    session = offer(host, capacity=1)
    a, b = people(2)
    services.group_register(session=session, participant=a)
    services.group_register(session=session, participant=b)
    notices_send_pending()
    mail.outbox.clear()

    services.group_session_cancel(session=session, by=host, reason="Illness")

    assert notices_send_pending() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([a.email, b.email])
    calendar_of_a = next(m for m in mail.outbox if m.to == [a.email])
    (attachment,) = calendar_of_a.attachments
    calendar = Calendar.from_ical(attachment[1])
    assert str(calendar["METHOD"]) == "CANCEL"


def test_a_new_time_tells_the_registered_people_and_not_the_waiting_list(host):
    session = offer(host, capacity=1)
    a, b = people(2)
    services.group_register(session=session, participant=a)
    services.group_register(session=session, participant=b)
    notices_send_pending()
    mail.outbox.clear()

    later = START + timedelta(hours=2)
    services.group_session_update(
        session=session, by=host, title=session.title, start_at=later, duration=60, capacity=1
    )

    assert notices_send_pending() == 1
    (message,) = mail.outbox
    assert message.to == [a.email]
    (event,) = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")
    assert event.decoded("DTSTART") == later
    assert int(event["SEQUENCE"]) == 1


# --- What people are told -----------------------------------------------------------------------


def test_the_meeting_place_is_only_in_messages_to_people_with_a_place(host):
    session = offer(host, capacity=1, location="https://meet.example.org/secret-room")
    a, b = people(2)
    services.group_register(session=session, participant=a)
    services.group_register(session=session, participant=b)

    notices_send_pending()

    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert "secret-room" in by_recipient[a.email].body
    assert "secret-room" not in by_recipient[b.email].body
    assert not by_recipient[b.email].attachments  # nothing to put in a calendar yet


def test_a_stale_waiting_list_notice_is_not_sent_after_promotion(host):
    session = offer(host, capacity=1)
    a, b = people(2)
    services.group_register(session=session, participant=a)
    services.group_register(session=session, participant=b)  # waitlisted: notice queued
    services.group_unregister(session=session, participant=a)  # b promoted before sending

    notices_send_pending()

    to_b = [m for m in mail.outbox if m.to == [b.email]]
    assert len(to_b) == 1
    assert Notice.objects.get(recipient=b, event=Notice.Event.WAITLISTED).channel == "none"


def test_reminders_go_to_registered_people_once_and_never_after_cancellation(host):
    session = offer(host, capacity=1)
    a, b = people(2)
    (phone_only,) = people(1, email=None, phone="+4915123456780")
    services.group_session_update(
        session=session, by=host, title=session.title, start_at=START, duration=60, capacity=2
    )
    for person in (a, phone_only, b):
        services.group_register(session=session, participant=person)
    notices_send_pending()
    mail.outbox.clear()
    MemorySMSBackend.outbox.clear()

    with time_machine.travel(START - timedelta(hours=23), tick=False):
        assert reminders_queue() == 1
        reminders_queue()
        notices_send_pending()
    assert [m.to for m in mail.outbox] == [[a.email]]
    assert [s.to for s in MemorySMSBackend.outbox] == ["+4915123456780"]

    services.group_session_cancel(session=session, by=host, reason="Illness")
    mail.outbox.clear()
    with time_machine.travel(START - timedelta(minutes=50), tick=False):
        reminders_queue()
        notices_send_pending()
    assert all("cancel" in m.subject.lower() for m in mail.outbox)


# --- Pages --------------------------------------------------------------------------------------


def test_the_list_shows_sessions_in_the_persons_language_with_their_own_status(host, client_for):
    pashto = offer(host, capacity=1, title="Pashto session")
    offer(host, title="German session", language="de")
    (person,) = people(1, languages=["ps"])
    services.group_register(session=pashto, participant=person)

    page = client_for(person).get(reverse("booking:group_sessions")).content.decode()

    assert "Pashto session" in page
    assert "German session" not in page
    assert "You have a place" in page


def test_the_list_uses_a_constant_number_of_queries(host, client_for, django_assert_max_num_queries):
    (person,) = people(1, languages=["ps"])
    for n in range(15):
        session = offer(host, capacity=1, title=f"Session {n}", start=START + timedelta(hours=n))
        services.group_register(session=session, participant=person)
    browser = client_for(person)

    with django_assert_max_num_queries(14):
        browser.get(reverse("booking:group_sessions"))


def test_registering_through_the_page_and_giving_the_place_up(host, client_for):
    session = offer(host, location="https://meet.example.org/room-7")
    (person,) = people(1)
    browser = client_for(person)
    detail = reverse("booking:group_session", args=[session.pk])
    assert "room-7" not in browser.get(detail).content.decode()

    browser.post(reverse("booking:group_register", args=[session.pk]))
    page = browser.get(detail).content.decode()
    assert "room-7" in page
    assert "Give up my place" in page

    browser.post(reverse("booking:group_unregister", args=[session.pk]))
    assert statuses(session) == {person.pk: "cancelled"}


def test_only_the_host_sees_who_registered(host, client_for):
    session = offer(host)
    a, b = people(2, display_name="Zarmina Example")
    services.group_register(session=session, participant=a)
    detail = reverse("booking:group_session", args=[session.pk])

    assert "Zarmina Example" in client_for(host).get(detail).content.decode()
    assert "Zarmina Example" not in client_for(b).get(detail).content.decode()


def test_offering_a_session_through_the_form_uses_the_hosts_time_zone(host, client_for):
    response = client_for(host).post(
        reverse("booking:group_session_new"),
        {
            "kind": "webinar",
            "title": "Work permits explained",
            "topic": "work",
            "language": "ps",
            "country": "AF",
            "date": "2026-06-05",
            "time": "18:30",
            "duration": "90",
            "capacity": "40",
            "location": "",
        },
    )

    session = GroupSession.objects.get()
    assert response.status_code == 302
    assert session.start_at == datetime(2026, 6, 5, 14, 0, tzinfo=UTC)  # Kabul is UTC+04:30
    assert session.duration_minutes == 90


def test_a_time_skipped_by_the_clocks_is_refused_on_the_form(client_for):
    berlin_host = make_user(Role.COUNSELLOR, time_zone="Europe/Berlin", languages=["de"])
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC), tick=False):
        response = client_for(berlin_host).post(
            reverse("booking:group_session_new"),
            {
                "kind": "information",
                "title": "Spring session",
                "topic": "work",
                "language": "de",
                "date": "2027-03-28",
                "time": "02:30",
                "duration": "60",
                "capacity": "10",
            },
        )

    assert response.status_code == 200
    assert "clocks change" in response.content.decode()
    assert not GroupSession.objects.exists()


def test_someone_else_cannot_edit_a_session(host, client_for):
    session = offer(host)
    stranger = make_user(Role.COUNSELLOR)

    response = client_for(stranger).post(
        reverse("booking:group_session_edit", args=[session.pk]),
        {"title": "Hijacked", "date": "2026-06-05", "time": "10:00", "duration": "60", "capacity": "5"},
    )

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.title != "Hijacked"
