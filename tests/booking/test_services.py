import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from accounts.models import Role
from booking import selectors, services
from booking.models import Appointment
from booking.services import BookingError
from counselling.models import Conversation
from tests.factories import make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Lagos


@pytest.fixture
def counsellor():
    return make_bookable_counsellor()


def book(client, counsellor, start_at, **overrides):
    data = {
        "client": client,
        "counsellor": counsellor,
        "start_at": start_at,
        "duration": 30,
        "modality": "video",
        "topic": "return",
        "language": "en",
        "idempotency_key": uuid.uuid4(),
    }
    data.update(overrides)
    return services.appointment_book(**data)


TEN_LAGOS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def test_booking_a_free_slot_creates_the_appointment_and_the_conversation(migrant, counsellor):
    result = book(migrant, counsellor, TEN_LAGOS)

    assert result.created
    appointment = result.appointment
    assert (appointment.start_at, appointment.end_at) == (TEN_LAGOS, TEN_LAGOS + timedelta(minutes=30))
    assert appointment.conversation == Conversation.objects.get(client=migrant, counsellor=counsellor)


def test_a_second_appointment_reuses_the_pairs_conversation(migrant, counsellor):
    first = book(migrant, counsellor, TEN_LAGOS).appointment
    second = book(migrant, counsellor, TEN_LAGOS + timedelta(hours=2)).appointment

    assert first.conversation_id == second.conversation_id
    assert Conversation.objects.count() == 1


def test_replaying_the_same_key_returns_the_first_booking(migrant, counsellor):
    key = uuid.uuid4()
    first = book(migrant, counsellor, TEN_LAGOS, idempotency_key=key)
    replay = book(migrant, counsellor, TEN_LAGOS + timedelta(hours=1), idempotency_key=key)

    assert replay.created is False
    assert replay.appointment.pk == first.appointment.pk
    assert Appointment.objects.count() == 1


def test_a_taken_slot_is_refused_with_the_next_free_times(migrant, counsellor):
    book(migrant, counsellor, TEN_LAGOS)
    other = make_user(Role.MIGRANT)

    with pytest.raises(BookingError) as error:
        book(other, counsellor, TEN_LAGOS)

    assert error.value.code == "slot_taken"
    assert error.value.next_slots
    assert all(slot.start != TEN_LAGOS for slot in error.value.next_slots)
    assert Appointment.objects.count() == 1


def test_an_overlapping_time_of_another_length_is_refused(migrant, counsellor):
    book(migrant, counsellor, TEN_LAGOS, duration=60)

    with pytest.raises(BookingError):
        book(make_user(Role.MIGRANT), counsellor, TEN_LAGOS + timedelta(minutes=30))


@pytest.mark.parametrize(
    ("start_at", "why"),
    [
        (datetime(2026, 6, 1, 5, 0, tzinfo=UTC), "in the past"),
        (datetime(2026, 6, 1, 20, 0, tzinfo=UTC), "outside the hours (21:00 in Lagos)"),
        (datetime(2026, 6, 1, 9, 10, tzinfo=UTC), "not on the slot grid"),
        (datetime(2026, 9, 1, 9, 0, tzinfo=UTC), "beyond the horizon"),
    ],
)
def test_a_time_the_counsellor_does_not_offer_is_refused_and_nothing_is_written(
    migrant, counsellor, start_at, why
):
    with pytest.raises(BookingError) as error:
        book(migrant, counsellor, start_at)

    assert error.value.code == "slot_taken", why
    assert not Appointment.objects.exists()
    assert not Conversation.objects.exists()


def test_a_time_inside_the_minimum_notice_is_refused(migrant):
    counsellor = make_bookable_counsellor(min_notice=180)

    with pytest.raises(BookingError):
        book(migrant, counsellor, datetime(2026, 6, 1, 8, 0, tzinfo=UTC))  # in two hours
    assert book(migrant, counsellor, datetime(2026, 6, 1, 9, 0, tzinfo=UTC)).created


def test_a_paused_counsellor_takes_no_new_clients_but_keeps_existing_ones(migrant, counsellor):
    book(migrant, counsellor, TEN_LAGOS)
    counsellor.counsellor_profile.accepting_new_clients = False
    counsellor.counsellor_profile.save()

    with pytest.raises(BookingError) as error:
        book(make_user(Role.MIGRANT), counsellor, TEN_LAGOS + timedelta(hours=1))
    assert error.value.code == "counsellor_paused"
    assert book(migrant, counsellor, TEN_LAGOS + timedelta(hours=2)).created


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("duration", 45, "invalid_duration"),
        ("modality", "fax", "invalid_modality"),
        ("topic", "astrology", "invalid_topic"),
        ("language", "ps", "invalid_language"),
    ],
)
def test_bad_booking_details_are_refused_with_a_code(migrant, counsellor, field, value, code):
    with pytest.raises(BookingError) as error:
        book(migrant, counsellor, TEN_LAGOS, **{field: value})

    assert error.value.code == code
    assert not Appointment.objects.exists()


def test_a_person_who_is_not_a_counsellor_cannot_be_booked(migrant):
    with pytest.raises(BookingError) as error:
        book(migrant, make_user(Role.MIGRANT), TEN_LAGOS)

    assert error.value.code == "unknown_counsellor"


def test_a_client_cannot_be_in_two_appointments_at_once(migrant, counsellor):
    book(migrant, counsellor, TEN_LAGOS)
    other_counsellor = make_bookable_counsellor()

    with pytest.raises(BookingError):
        book(migrant, other_counsellor, TEN_LAGOS)


def test_cancelling_frees_the_slot_again(migrant, counsellor):
    appointment = book(migrant, counsellor, TEN_LAGOS).appointment

    services.appointment_cancel(appointment=appointment, by=migrant, reason="I found work")

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancel_reason == "I found work"
    assert book(make_user(Role.MIGRANT), counsellor, TEN_LAGOS).created


def test_a_client_cannot_cancel_inside_the_organisations_notice_but_the_counsellor_can(migrant, counsellor):
    counsellor.organisation.client_change_notice = 180
    counsellor.organisation.save()
    appointment = book(migrant, counsellor, datetime(2026, 6, 1, 8, 0, tzinfo=UTC)).appointment  # in 2 h

    with pytest.raises(BookingError) as error:
        services.appointment_cancel(appointment=appointment, by=migrant)
    assert error.value.code == "too_late"

    services.appointment_cancel(appointment=appointment, by=counsellor, reason="Ill")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_nobody_else_can_cancel_an_appointment(migrant, counsellor):
    appointment = book(migrant, counsellor, TEN_LAGOS).appointment

    with pytest.raises(BookingError) as error:
        services.appointment_cancel(appointment=appointment, by=make_user(Role.MIGRANT))

    assert error.value.code == "not_yours"


def test_rescheduling_moves_the_appointment_and_frees_the_old_time(migrant, counsellor):
    appointment = book(migrant, counsellor, TEN_LAGOS, duration=60).appointment

    services.appointment_reschedule(
        appointment=appointment, by=migrant, start_at=TEN_LAGOS + timedelta(minutes=30)
    )

    appointment.refresh_from_db()
    assert appointment.start_at == TEN_LAGOS + timedelta(minutes=30)
    assert appointment.duration_minutes == 60
    assert book(make_user(Role.MIGRANT), counsellor, TEN_LAGOS - timedelta(minutes=30)).created


def test_rescheduling_onto_a_taken_time_changes_nothing(migrant, counsellor):
    appointment = book(migrant, counsellor, TEN_LAGOS).appointment
    book(make_user(Role.MIGRANT), counsellor, TEN_LAGOS + timedelta(hours=1))

    with pytest.raises(BookingError):
        services.appointment_reschedule(
            appointment=appointment, by=migrant, start_at=TEN_LAGOS + timedelta(hours=1)
        )

    appointment.refresh_from_db()
    assert appointment.start_at == TEN_LAGOS


def test_free_slots_reflect_bookings_and_the_clients_own_appointments(migrant, counsellor):
    window = (datetime(2026, 6, 1, 8, 0, tzinfo=UTC), datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    before = selectors.slot_list(
        counsellor=counsellor, duration=30, window_start=window[0], window_end=window[1]
    )
    book(migrant, counsellor, TEN_LAGOS)

    after = selectors.slot_list(
        counsellor=counsellor, duration=30, window_start=window[0], window_end=window[1]
    )

    assert len(before) == 4
    assert [s.start for s in after] == [s.start for s in before if s.start != TEN_LAGOS]


def test_overlapping_weekly_ranges_are_refused(counsellor):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.weekly_rules_set(
            counsellor=counsellor, rules=[(0, time(9), time(12)), (0, time(11), time(13))]
        )


def test_a_day_off_removes_that_days_slots(counsellor):
    from datetime import date

    services.date_override_set(counsellor=counsellor, day=date(2026, 6, 2), ranges=[])

    slots = selectors.slot_list(
        counsellor=counsellor,
        duration=30,
        window_start=datetime(2026, 6, 2, 0, 0, tzinfo=UTC),
        window_end=datetime(2026, 6, 3, 0, 0, tzinfo=UTC),
    )
    assert slots == []


def test_the_counsellor_marks_a_past_appointment_completed_or_not_attended(migrant, counsellor):
    appointment = book(migrant, counsellor, TEN_LAGOS).appointment

    with pytest.raises(BookingError) as error:
        services.appointment_mark(appointment=appointment, by=counsellor, status="completed")
    assert error.value.code == "not_started"

    with time_machine.travel(TEN_LAGOS + timedelta(minutes=40), tick=False):
        with pytest.raises(BookingError):
            services.appointment_mark(appointment=appointment, by=migrant, status="completed")
        services.appointment_mark(appointment=appointment, by=counsellor, status="no_show")

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW


def test_the_reason_for_a_new_time_is_kept(migrant, counsellor):
    appointment = book(migrant, counsellor, TEN_LAGOS).appointment

    services.appointment_reschedule(
        appointment=appointment, by=migrant, start_at=TEN_LAGOS + timedelta(hours=1), reason="Bus strike"
    )

    appointment.refresh_from_db()
    assert appointment.reschedule_reason == "Bus strike"
    assert appointment.sequence == 1


def test_booking_moves_the_counsellors_next_free_time_once_committed(
    migrant, counsellor, django_capture_on_commit_callbacks
):
    services.schedules_refresh_next_free()
    counsellor.schedule.refresh_from_db()
    first_free = counsellor.schedule.next_free_at

    with django_capture_on_commit_callbacks(execute=True):
        book(migrant, counsellor, first_free)

    counsellor.schedule.refresh_from_db()
    assert first_free == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 09:00 in Lagos
    assert counsellor.schedule.next_free_at == first_free + timedelta(minutes=30)
