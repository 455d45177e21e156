"""Giving a client another counsellor of the same organisation: what is kept, what moves, who
is told (once), and every refusal."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from icalendar import Calendar

from accounts.models import Role
from accounts.sms import MemorySMSBackend
from booking import services as booking
from booking.ics import appointment_uid
from booking.models import Appointment
from booking.notifications import notices_send_pending
from counselling.models import Conversation, ReassignedAppointment, Reassignment
from counselling.notifications import reassignments_notify_pending
from counselling.services import client_reassign, conversation_get_or_create
from counselling.tasks import reassignment_notify
from tests.factories import OrganisationFactory, make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # Monday
TUESDAY = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)  # 10:00 in Lagos, 11:00 in Berlin
WEDNESDAY = TUESDAY + timedelta(days=1)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def org():
    return OrganisationFactory(name="Lagos Partner")


@pytest.fixture
def sofia(org):
    return make_user(Role.COORDINATOR, organisation=org, display_name="Sofia")


@pytest.fixture
def chinedu(org):
    return make_bookable_counsellor(organisation=org, display_name="Chinedu", languages=("en", "yo"))


@pytest.fixture
def ngozi(org):
    return make_bookable_counsellor(organisation=org, display_name="Ngozi", languages=("en", "ha"))


@pytest.fixture
def amina():
    """Reads German, lives in Berlin."""
    return make_user(
        Role.MIGRANT, display_name="Amina", language="de", time_zone="Europe/Berlin", languages=["en"]
    )


def book(client, counsellor, start_at, *, note=""):
    return booking.appointment_book(
        client=client,
        counsellor=counsellor,
        start_at=start_at,
        duration=30,
        modality="audio",
        topic="return",
        language="en",
        note=note,
        idempotency_key=uuid.uuid4(),
    ).appointment


@pytest.fixture
def history(chinedu, amina):
    """A past appointment that took place, and two coming ones, all with Chinedu."""
    past = Appointment.objects.create(
        counsellor=chinedu,
        client=amina,
        conversation=conversation_get_or_create(client=amina, counsellor=chinedu),
        start_at=NOW - timedelta(days=7),
        end_at=NOW - timedelta(days=7) + timedelta(minutes=30),
        modality="video",
        topic="return",
        language="en",
        status=Appointment.Status.COMPLETED,
        idempotency_key=uuid.uuid4(),
    )
    return past, book(amina, chinedu, TUESDAY, note="private words"), book(amina, chinedu, WEDNESDAY)


def reassign(sofia, amina, chinedu, ngozi, reason="Chinedu is on leave"):
    return client_reassign(
        by=sofia, client=amina, from_counsellor=chinedu, to_counsellor=ngozi, reason=reason
    )


def client_messages(amina):
    return [m for m in mail.outbox if m.to == [amina.email] and "Termin" not in m.subject]


# --- What changes, what stays ---------------------------------------------------------------


def test_the_client_keeps_the_old_conversation_and_past_and_gets_one_with_the_new_counsellor(
    sofia, chinedu, ngozi, amina, history
):
    past, _tuesday, _wednesday = history

    reassignment = reassign(sofia, amina, chinedu, ngozi)

    assert Conversation.objects.filter(client=amina, counsellor=chinedu).exists()
    assert Conversation.objects.filter(client=amina, counsellor=ngozi).exists()
    past.refresh_from_db()
    assert past.status == Appointment.Status.COMPLETED
    assert (reassignment.by, reassignment.reason, reassignment.notified_at) == (
        sofia,
        "Chinedu is on leave",
        None,
    )


def test_coming_appointments_move_when_the_new_counsellor_is_free_and_are_cancelled_when_not(
    sofia, chinedu, ngozi, amina, history
):
    _past, tuesday, wednesday = history
    book(make_user(Role.MIGRANT, languages=["en"]), ngozi, WEDNESDAY)  # Ngozi is busy then

    reassignment = reassign(sofia, amina, chinedu, ngozi)

    items = {item.old_id: item for item in ReassignedAppointment.objects.filter(reassignment=reassignment)}
    assert set(items) == {tuesday.pk, wednesday.pk}
    moved = items[tuesday.pk].new
    assert (moved.counsellor, moved.start_at, moved.status) == (ngozi, TUESDAY, Appointment.Status.BOOKED)
    assert items[wednesday.pk].new is None
    assert set(Appointment.objects.filter(pk__in=items).values_list("status", flat=True)) == {"cancelled"}


def test_both_people_of_each_appointment_get_its_notice_with_a_calendar_file(
    sofia, chinedu, ngozi, amina, history
):
    _past, tuesday, _wednesday = history
    notices_send_pending()
    mail.outbox.clear()

    reassign(sofia, amina, chinedu, ngozi)
    notices_send_pending()

    def calendars(person):
        found = []
        for message in mail.outbox:
            if message.to == [person.email]:
                for name, content, _type in message.attachments:
                    if name == "appointment.ics":
                        calendar = Calendar.from_ical(content)
                        (event,) = calendar.walk("VEVENT")
                        found.append((str(calendar["METHOD"]), str(event["UID"])))
        return found

    new = list(Appointment.objects.filter(client=amina, counsellor=ngozi))
    assert ("CANCEL", appointment_uid(tuesday)) in calendars(chinedu)
    assert ("CANCEL", appointment_uid(tuesday)) in calendars(amina)
    assert sorted(calendars(ngozi)) == sorted(("REQUEST", appointment_uid(a)) for a in new)
    assert len(new) == 2  # Tuesday and Wednesday, both free for Ngozi
    assert all(("REQUEST", appointment_uid(a)) in calendars(amina) for a in new)


# --- Telling the client ---------------------------------------------------------------------


def test_the_client_is_told_once_in_their_language_even_when_the_job_runs_twice(
    sofia, chinedu, ngozi, amina, history
):
    book(make_user(Role.MIGRANT, languages=["en"]), ngozi, WEDNESDAY)
    reassignment = reassign(sofia, amina, chinedu, ngozi)
    mail.outbox.clear()

    assert reassignment_notify(reassignment.pk) is True
    assert reassignment_notify(reassignment.pk) is False
    assert reassignments_notify_pending() == 0

    (message,) = client_messages(amina)
    assert message.body.startswith("Hallo Amina,")  # German, as her interface
    assert "Ngozi" in message.body and "Chinedu" in message.body
    assert "Ihre früheren Termine bleiben" in message.body  # the history is kept
    assert "11:00" in message.body  # Tuesday's time, in Berlin
    assert reverse("booking:counsellor", args=[ngozi.pk]) in message.body  # to book Wednesday again
    assert "Chinedu is on leave" not in message.body
    assert "private words" not in message.body
    reassignment.refresh_from_db()
    assert reassignment.notified_at == NOW


def test_the_message_goes_out_after_the_commit(
    sofia, chinedu, ngozi, amina, history, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reassignment = reassign(sofia, amina, chinedu, ngozi)
        assert not client_messages(amina)

    assert callbacks
    assert len(client_messages(amina)) == 1  # the worker runs eagerly in tests
    reassignment.refresh_from_db()
    assert reassignment.notified_at is not None


def test_a_message_that_could_not_go_out_is_sent_by_the_periodic_job(sofia, chinedu, ngozi, amina, history):
    reassign(sofia, amina, chinedu, ngozi)  # nothing was sent: no commit in this test
    mail.outbox.clear()

    assert reassignments_notify_pending() == 1
    assert reassignments_notify_pending() == 0
    assert len(client_messages(amina)) == 1


def test_a_phone_only_client_is_told_by_sms(sofia, chinedu, ngozi):
    farid = make_user(
        Role.MIGRANT, email=None, phone="+4915123456789", display_name="Farid", languages=["en"]
    )
    book(farid, chinedu, TUESDAY)
    reassignment = reassign(sofia, farid, chinedu, ngozi)

    reassignment_notify(reassignment.pk)

    (sms,) = [m for m in MemorySMSBackend.outbox if "counsellor is now" in m.body]
    assert sms.to == "+4915123456789"
    assert "Ngozi" in sms.body
    assert "1 appointment moved to them." in sms.body


# --- The client still sees their history ----------------------------------------------------


def test_the_client_still_sees_every_old_appointment_after_the_change(
    client_for, sofia, chinedu, ngozi, amina, history
):
    past, tuesday, _wednesday = history
    reassign(sofia, amina, chinedu, ngozi)
    browser = client_for(amina)

    listing = browser.get(reverse("booking:appointments"))
    old = browser.get(reverse("booking:appointment", args=[tuesday.pk]))

    assert {a.pk for a in listing.context["past"]} >= {past.pk, tuesday.pk}
    assert {a.counsellor for a in listing.context["upcoming"]} == {ngozi}
    assert old.status_code == 200
    assert "Ngozi" in old.content.decode()  # why it was cancelled


# --- Refusals -------------------------------------------------------------------------------


@pytest.fixture
def elsewhere():
    """Another organisation: its coordinator and a counsellor."""
    counsellor = make_bookable_counsellor(display_name="Outsider", languages=("en",))
    coordinator = make_user(Role.COORDINATOR, organisation=counsellor.organisation)
    return coordinator, counsellor


REFUSALS = {
    "by a counsellor": ("by", "Only coordinators can give a client another counsellor."),
    "by another organisation's coordinator": ("by_elsewhere", "is not a counsellor of your organisation"),
    "from another organisation's counsellor": ("from_elsewhere", "is not a counsellor of your organisation"),
    "to another organisation's counsellor": ("to_elsewhere", "is not a counsellor of your organisation"),
    "to the same counsellor": ("same", "The client already has this counsellor."),
    "to a closed account": ("inactive", "no longer works on Passage"),
    "of someone who is not their client": ("stranger", "is not a client of Chinedu"),
    "without a reason": ("no_reason", "Write why the client changes counsellor."),
    "with a reason too long": ("long_reason", "Write at most 500 characters."),
    "by a coordinator without organisation": ("no_organisation", "not linked to an organisation"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refused_reassignment_says_why_and_changes_nothing(
    case, sofia, chinedu, ngozi, amina, history, elsewhere
):
    kind, message = REFUSALS[case]
    other_coordinator, outsider = elsewhere
    arguments = {
        "by": sofia,
        "client": amina,
        "from_counsellor": chinedu,
        "to_counsellor": ngozi,
        "reason": "r",
    }
    if kind == "by":
        arguments["by"] = chinedu
    elif kind == "by_elsewhere":
        arguments["by"] = other_coordinator
    elif kind == "from_elsewhere":
        conversation_get_or_create(client=amina, counsellor=outsider)
        arguments["from_counsellor"] = outsider
    elif kind == "to_elsewhere":
        arguments["to_counsellor"] = outsider
    elif kind == "same":
        arguments["to_counsellor"] = chinedu
    elif kind == "inactive":
        ngozi.is_active = False
        ngozi.save(update_fields=["is_active"])
    elif kind == "stranger":
        arguments["client"] = make_user(Role.MIGRANT, display_name="Stranger")
    elif kind == "no_reason":
        arguments["reason"] = "   "
    elif kind == "long_reason":
        arguments["reason"] = "x" * 501
    elif kind == "no_organisation":
        sofia.organisation = None
        sofia.save(update_fields=["organisation"])
    statuses = dict(Appointment.objects.values_list("pk", "status"))

    with pytest.raises(ValidationError) as refused:
        client_reassign(**arguments)

    assert message in " ".join(refused.value.messages)
    assert not Reassignment.objects.exists()
    assert not Conversation.objects.filter(counsellor=ngozi).exists()
    assert dict(Appointment.objects.values_list("pk", "status")) == statuses


def test_the_same_change_twice_is_refused_and_the_client_is_told_once(sofia, chinedu, ngozi, amina, history):
    first = reassign(sofia, amina, chinedu, ngozi)

    with pytest.raises(ValidationError, match=r"Amina has already moved from Chinedu to Ngozi\."):
        reassign(sofia, amina, chinedu, ngozi)

    assert list(Reassignment.objects.all()) == [first]
    assert reassignments_notify_pending() == 1
    assert len(client_messages(amina)) == 1


def test_moving_back_later_is_a_new_change(sofia, chinedu, ngozi, amina, history):
    reassign(sofia, amina, chinedu, ngozi)

    back = reassign(sofia, amina, ngozi, chinedu, reason="Chinedu is back")

    assert back.appointments.count() == 2
    assert Appointment.objects.filter(client=amina, counsellor=chinedu, status="booked").count() == 2
