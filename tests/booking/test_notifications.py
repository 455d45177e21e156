"""Confirmations, changes and reminders: once each, in each person's language and zone."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from accounts.models import Role
from accounts.sms import MemorySMSBackend
from booking import services
from booking.ics import appointment_uid
from booking.models import Notice
from booking.notifications import notices_send_pending, reminders_queue
from tests.factories import make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
START = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Lagos, 10:00 in Berlin


@pytest.fixture
def counsellor():
    return make_bookable_counsellor(time_zone="Africa/Lagos")


@pytest.fixture
def client_de():
    return make_user(Role.MIGRANT, language="de", time_zone="Europe/Berlin", languages=["en"])


def book(client, counsellor, start=START, note="private words"):
    return services.appointment_book(
        client=client,
        counsellor=counsellor,
        start_at=start,
        duration=30,
        modality="video",
        topic="return",
        language="en",
        note=note,
        idempotency_key=uuid.uuid4(),
    ).appointment


def ics_of(message) -> Calendar:
    (attachment,) = [a for a in message.attachments if a[0] == "appointment.ics"]
    return Calendar.from_ical(attachment[1])


def test_a_booking_tells_both_people_once_each_in_their_language_and_zone(client_de, counsellor):
    book(client_de, counsellor)

    assert notices_send_pending() == 2
    assert notices_send_pending() == 0
    by_recipient = {m.to[0]: m for m in mail.outbox}
    german = by_recipient[client_de.email]
    assert "Termin" in german.subject
    assert "10:00" in german.body  # Berlin, summer
    assert "09:00" in german.body  # the counsellor's Lagos time beside it
    assert "private words" not in german.body
    assert counsellor.email in by_recipient


def test_the_calendar_file_has_the_utc_instants_and_a_stable_uid(client_de, counsellor):
    appointment = book(client_de, counsellor)
    notices_send_pending()

    calendar = ics_of(mail.outbox[0])
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + timedelta(minutes=30)
    assert str(event["UID"]) == appointment_uid(appointment)
    assert "private words" not in calendar.to_ical().decode()


def test_a_cancellation_sends_a_cancel_calendar_file_with_the_same_uid(client_de, counsellor):
    appointment = book(client_de, counsellor)
    notices_send_pending()
    mail.outbox.clear()

    services.appointment_cancel(appointment=appointment, by=client_de, reason="work")
    notices_send_pending()

    calendar = ics_of(mail.outbox[0])
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == appointment_uid(appointment)
    assert str(event["STATUS"]) == "CANCELLED"


def test_a_new_time_raises_the_sequence_of_the_same_uid(client_de, counsellor):
    appointment = book(client_de, counsellor)
    notices_send_pending()
    mail.outbox.clear()

    services.appointment_reschedule(
        appointment=appointment, by=client_de, start_at=START + timedelta(hours=1)
    )
    notices_send_pending()

    (event,) = ics_of(mail.outbox[0]).walk("VEVENT")
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == START + timedelta(hours=1)


def test_a_phone_only_client_gets_an_sms_without_the_note(counsellor):
    client = make_user(Role.MIGRANT, email=None, phone="+4915123456789", languages=["en"])
    book(client, counsellor)

    notices_send_pending()

    (sms,) = [m for m in MemorySMSBackend.outbox if m.to == "+4915123456789"]
    assert "Passage" in sms.body
    assert "private words" not in sms.body


def test_reminders_go_out_once_and_never_for_a_cancelled_appointment(client_de, counsellor):
    kept = book(client_de, counsellor)
    dropped = book(make_user(Role.MIGRANT, languages=["en"]), counsellor, start=START + timedelta(hours=2))
    services.appointment_cancel(appointment=dropped, by=counsellor, reason="ill")
    notices_send_pending()
    mail.outbox.clear()

    with time_machine.travel(START - timedelta(hours=23), tick=False):
        reminders_queue()
        reminders_queue()  # a second run of the job changes nothing
        notices_send_pending()
        notices_send_pending()

    reminders = Notice.objects.filter(event=Notice.Event.REMINDER_24H)
    assert {n.appointment_id for n in reminders} == {kept.pk}
    assert reminders.count() == 2
    assert len(mail.outbox) == 2


def test_a_reminder_missed_while_the_worker_was_down_goes_out_late(client_de, counsellor):
    appointment = book(client_de, counsellor)

    # Nothing ran from 24 h before until 40 minutes before the start.
    with time_machine.travel(START - timedelta(minutes=40), tick=False):
        reminders_queue()
        notices_send_pending()

    events = set(Notice.objects.filter(appointment=appointment).values_list("event", flat=True))
    assert Notice.Event.REMINDER_1H in events
    assert Notice.objects.filter(event=Notice.Event.REMINDER_1H, sent_at__isnull=False).count() == 2


def test_booking_queues_the_notices_in_the_same_transaction_and_sends_after_commit(
    client_de, counsellor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        book(client_de, counsellor)

    assert callbacks  # sending (and the directory's order) wait for the commit
    assert Notice.objects.filter(sent_at__isnull=False).count() == 2  # eager worker in tests
