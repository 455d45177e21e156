"""The counsellor's pages: availability (settings, weekly hours, dates) and the agenda."""

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from booking import services
from booking.models import Appointment, DateOverride, Schedule, WeeklyRule
from tests.factories import make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db

KABUL = ZoneInfo("Asia/Kabul")  # UTC+4:30 all year
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)  # Monday 1 June, 07:30 in Kabul, 05:00 in Berlin
NINE_KABUL = datetime(2026, 6, 1, 4, 30, tzinfo=UTC)  # 09:00 in Kabul, 06:30 in Berlin (summer)
MONDAY = date(2026, 6, 1)


@pytest.fixture
def kabul_counsellor():
    return make_bookable_counsellor(time_zone="Asia/Kabul", languages=("fa", "en"))


@pytest.fixture
def berlin_client():
    return make_user(Role.MIGRANT, time_zone="Europe/Berlin", languages=["fa"], display_name="Farid")


def book(client, counsellor, start_at, **extra):
    return services.appointment_book(
        client=client,
        counsellor=counsellor,
        start_at=start_at,
        duration=30,
        modality="video",
        topic="return",
        language="fa",
        idempotency_key=uuid.uuid4(),
        **extra,
    ).appointment


def item_html(response, appointment):
    """The agenda entry of one appointment."""
    match = re.search(rf'id="appointment-{appointment.pk}".*?</li>', response.content.decode(), re.S)
    assert match, f"appointment {appointment.pk} is not on the page"
    return match.group(0)


def hours_post(**ranges):
    """Form data for the weekly hours: d<weekday>=[(start, end), ...]; other rows empty."""
    data = {}
    for weekday in range(7):
        for row in range(3):
            data[f"d{weekday}_{row}_start"] = ""
            data[f"d{weekday}_{row}_end"] = ""
    for key, pairs in ranges.items():
        for row, (start, end) in enumerate(pairs):
            data[f"{key}_{row}_start"] = start
            data[f"{key}_{row}_end"] = end
    return data


# --- Who gets in ----------------------------------------------------------------------------

PAGES = ["booking:availability", "booking:agenda"]


@pytest.mark.parametrize("name", PAGES)
def test_counsellors_see_their_pages(client_for, kabul_counsellor, name):
    assert client_for(kabul_counsellor).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_migrants_are_refused_the_counsellor_pages(client_for, migrant, name):
    assert client_for(migrant).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_visitors_are_sent_to_sign_in_first(client_for, name):
    response = client_for(None).get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_migrant_cannot_post_booking_settings(client_for, migrant):
    response = client_for(migrant).post(
        reverse("booking:availability_settings"), {"durations": ["30"], "buffer_before": "0"}
    )

    assert response.status_code == 403
    assert not Schedule.objects.exists()


def test_the_bottom_navigation_offers_the_agenda_to_counsellors_only(client_for, kabul_counsellor, migrant):
    agenda = f'href="{reverse("booking:agenda")}"'

    assert agenda in client_for(kabul_counsellor).get(reverse("frontend:dashboard")).content.decode()
    assert agenda not in client_for(migrant).get(reverse("frontend:dashboard")).content.decode()


# --- Availability: settings -----------------------------------------------------------------


def test_the_page_says_every_time_is_in_the_counsellors_own_zone(client_for, kabul_counsellor):
    page = client_for(kabul_counsellor).get(reverse("booking:availability")).content.decode()

    assert "All times are in your time zone: Kabul." in page
    assert f'href="{reverse("accounts:counsellor_profile")}"' in page


def test_saved_settings_come_back_on_the_page(client_for, kabul_counsellor):
    browser = client_for(kabul_counsellor)
    response = browser.post(
        reverse("booking:availability_settings"),
        {
            "durations": ["20", "45"],
            "buffer_before": "10",
            "buffer_after": "5",
            "min_notice_hours": "1.5",
            "horizon_days": "14",
            "max_per_day": "4",
        },
    )

    assert response.status_code == 302
    schedule = Schedule.objects.get(counsellor=kabul_counsellor)
    assert (schedule.durations, schedule.buffer_before, schedule.buffer_after) == ([20, 45], 10, 5)
    assert (schedule.min_notice, schedule.horizon_days, schedule.max_per_day) == (90, 14, 4)
    form = browser.get(reverse("booking:availability")).context["settings_form"]
    assert form["durations"].value() == [20, 45]
    assert form["min_notice_hours"].value() == 1.5


def test_settings_without_any_length_are_refused_and_nothing_changes(client_for, kabul_counsellor):
    response = client_for(kabul_counsellor).post(
        reverse("booking:availability_settings"),
        {
            "buffer_before": "0",
            "buffer_after": "0",
            "min_notice_hours": "2",
            "horizon_days": "7",
            "max_per_day": "3",
        },
    )

    assert response.status_code == 200
    assert response.context["settings_form"].errors["durations"] == [
        "Choose at least one appointment length."
    ]
    assert Schedule.objects.get(counsellor=kabul_counsellor).horizon_days == 28


# --- Availability: weekly hours -------------------------------------------------------------


def test_saved_weekly_hours_come_back_on_the_page(client_for, kabul_counsellor):
    browser = client_for(kabul_counsellor)
    response = browser.post(
        reverse("booking:availability_hours"),
        hours_post(d0=[("09:00", "12:00"), ("14:00", "16:30")], d2=[("10:00", "11:00")]),
    )

    assert response.status_code == 302
    saved = set(
        WeeklyRule.objects.filter(schedule__counsellor=kabul_counsellor).values_list(
            "weekday", "start", "end"
        )
    )
    assert saved == {(0, time(9), time(12)), (0, time(14), time(16, 30)), (2, time(10), time(11))}
    page = browser.get(reverse("booking:availability")).content.decode()
    assert 'name="d0_1_start" value="14:00"' in page
    assert 'name="d0_1_end" value="16:30"' in page
    assert 'name="d1_0_start"' in page and 'name="d1_0_start" value=' not in page


def test_overlapping_ranges_on_one_day_are_shown_on_that_day_and_nothing_is_saved(
    client_for, kabul_counsellor
):
    before = set(WeeklyRule.objects.values_list("weekday", "start", "end"))

    response = client_for(kabul_counsellor).post(
        reverse("booking:availability_hours"),
        hours_post(d0=[("09:00", "12:00")], d3=[("09:00", "12:00"), ("11:00", "13:00")]),
    )

    assert response.status_code == 200
    page = response.content.decode()
    thursday = re.search(r'id="hours-3-errors">(.*?)</ul>', page, re.S)
    assert thursday and "Time ranges on the same day must not overlap." in thursday.group(1)
    assert 'id="hours-0-errors"' not in page
    assert set(WeeklyRule.objects.values_list("weekday", "start", "end")) == before


def test_a_range_without_an_end_is_refused(client_for, kabul_counsellor):
    data = hours_post(d1=[("09:00", "12:00")])
    data["d1_0_end"] = ""

    response = client_for(kabul_counsellor).post(reverse("booking:availability_hours"), data)

    assert response.status_code == 200
    assert response.context["hours_form"].day_errors == {1: ["Give both a start and an end time."]}
    assert WeeklyRule.objects.filter(schedule__counsellor=kabul_counsellor).count() == 7


# --- Availability: dates and preview --------------------------------------------------------


def test_the_preview_shows_the_next_five_free_half_hours_in_the_counsellors_zone(
    client_for, kabul_counsellor
):
    response = client_for(kabul_counsellor).get(reverse("booking:availability"))

    assert response.context["preview"] == [NINE_KABUL + timedelta(minutes=30 * n) for n in range(5)]
    assert "Mon, Jun 1, 9:00\u202fAM" in response.content.decode()


def test_a_day_off_removes_that_days_free_times_from_the_preview(client_for, kabul_counsellor):
    browser = client_for(kabul_counsellor)

    response = browser.post(
        reverse("booking:availability_dates"), {"date": "2026-06-01", "kind": "off", "note": "Holiday"}
    )

    assert response.status_code == 302
    override = DateOverride.objects.get(schedule__counsellor=kabul_counsellor)
    assert (override.date, override.is_day_off, override.note) == (MONDAY, True, "Holiday")
    page = browser.get(reverse("booking:availability"))
    assert [s.astimezone(KABUL).date() for s in page.context["preview"]] == [date(2026, 6, 2)] * 5
    assert "Day off" in page.content.decode()


def test_other_hours_on_a_date_are_saved_listed_and_removable(client_for, kabul_counsellor):
    browser = client_for(kabul_counsellor)
    browser.post(
        reverse("booking:availability_dates"),
        {
            "date": "2026-06-03",
            "kind": "hours",
            "start_0": "14:00",
            "end_0": "15:00",
            "start_1": "",
            "end_1": "",
        },
    )

    saved = list(DateOverride.objects.values_list("date", "start", "end"))
    assert saved == [(date(2026, 6, 3), time(14), time(15))]
    page = browser.get(reverse("booking:availability")).content.decode()
    assert "Wed, Jun 3" in page and "2:00\u202fPM\u20133:00\u202fPM" in page

    response = browser.post(reverse("booking:availability_date_remove", kwargs={"day": "2026-06-03"}))

    assert response.status_code == 302
    assert not DateOverride.objects.exists()


def test_other_hours_need_at_least_one_range(client_for, kabul_counsellor):
    response = client_for(kabul_counsellor).post(
        reverse("booking:availability_dates"), {"date": "2026-06-03", "kind": "hours"}
    )

    assert response.status_code == 200
    assert response.context["date_form"].non_field_errors()
    assert not DateOverride.objects.exists()


def test_a_date_in_the_past_is_refused(client_for, kabul_counsellor):
    response = client_for(kabul_counsellor).post(
        reverse("booking:availability_dates"), {"date": "2026-05-31", "kind": "off"}
    )

    assert response.context["date_form"].errors["date"] == ["Choose today or a later date."]
    assert not DateOverride.objects.exists()


# --- Agenda ---------------------------------------------------------------------------------


def test_the_agenda_shows_the_counsellors_time_with_the_clients_beside_it(
    client_for, kabul_counsellor, berlin_client
):
    appointment = book(berlin_client, kabul_counsellor, NINE_KABUL, interpreter_requested=True)

    response = client_for(kabul_counsellor).get(reverse("booking:agenda"))

    item = item_html(response, appointment)
    assert "9:00\u202fAM\u20139:30\u202fAM" in item
    assert "6:30\u202fAM for the client (Berlin)" in item
    for shown in ("Farid", "Video call", "Return and reintegration", "Persian", "Requested", "Booked"):
        assert shown in item


def test_the_agenda_shows_one_counsellors_appointments_only(client_for, kabul_counsellor, berlin_client):
    mine = book(berlin_client, kabul_counsellor, NINE_KABUL)
    other = make_bookable_counsellor(time_zone="Asia/Kabul", languages=("fa",))
    book(berlin_client, other, NINE_KABUL + timedelta(hours=2))

    days = client_for(kabul_counsellor).get(reverse("booking:agenda")).context["days"]

    assert [a.pk for d in days for a in d.appointments] == [mine.pk]


def test_the_agenda_covers_today_and_the_next_seven_days_and_moves_by_day(
    client_for, kabul_counsellor, berlin_client
):
    monday = book(berlin_client, kabul_counsellor, NINE_KABUL)
    browser = client_for(kabul_counsellor)

    today = browser.get(reverse("booking:agenda")).context["days"]
    later = browser.get(reverse("booking:agenda"), {"day": "2026-06-02"}).context["days"]

    assert [d.day for d in today] == [MONDAY + timedelta(days=n) for n in range(8)]
    assert today[0].appointments == [monday]
    assert later[0].day == date(2026, 6, 2)
    assert all(not d.appointments for d in later)


def test_the_agenda_needs_the_same_queries_for_two_or_ten_appointments(
    client_for, kabul_counsellor, berlin_client, django_assert_num_queries
):
    for n in range(2):
        book(berlin_client, kabul_counsellor, NINE_KABUL + timedelta(days=n))
    browser = client_for(kabul_counsellor)
    with CaptureQueriesContext(connection) as two:
        assert len(browser.get(reverse("booking:agenda")).context["days"][1].appointments) == 1
    for n in range(2, 10):
        other = make_user(Role.MIGRANT, time_zone="Europe/Athens", languages=["fa"])
        book(other, kabul_counsellor, NINE_KABUL + timedelta(days=n % 7, hours=1 + n // 7))

    with django_assert_num_queries(len(two.captured_queries)):
        response = browser.get(reverse("booking:agenda"))

    assert sum(len(d.appointments) for d in response.context["days"]) == 10


def test_upcoming_appointments_offer_cancel_and_started_ones_offer_marking(
    client_for, kabul_counsellor, berlin_client
):
    appointment = book(berlin_client, kabul_counsellor, NINE_KABUL)
    browser = client_for(kabul_counsellor)

    before = item_html(browser.get(reverse("booking:agenda")), appointment)
    with time_machine.travel(NINE_KABUL + timedelta(minutes=5), tick=False):
        after = item_html(browser.get(reverse("booking:agenda")), appointment)

    mark_url = reverse("booking:mark", args=[appointment.pk])
    cancel_url = reverse("booking:counsellor_cancel", args=[appointment.pk])
    assert cancel_url in before and mark_url not in before
    assert mark_url in after and cancel_url not in after


@pytest.mark.parametrize("status", [Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW])
def test_after_the_start_the_counsellor_marks_how_it_went(
    client_for, kabul_counsellor, berlin_client, status
):
    appointment = book(berlin_client, kabul_counsellor, NINE_KABUL)

    with time_machine.travel(NINE_KABUL + timedelta(minutes=35), tick=False):
        response = client_for(kabul_counsellor).post(
            reverse("booking:mark", args=[appointment.pk]), {"status": status, "day": "2026-05-30"}
        )

    # Back to the agenda as it was shown, at this appointment.
    assert response["Location"] == f"{reverse('booking:agenda')}?day=2026-05-30#appointment-{appointment.pk}"
    appointment.refresh_from_db()
    assert appointment.status == status


def test_marking_before_the_start_is_refused_with_a_message(client_for, kabul_counsellor, berlin_client):
    appointment = book(berlin_client, kabul_counsellor, NINE_KABUL)

    response = client_for(kabul_counsellor).post(
        reverse("booking:mark", args=[appointment.pk]), {"status": "completed"}, follow=True
    )

    assert "An appointment can be marked only after it has started." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_a_counsellor_cancels_with_a_reason(client_for, kabul_counsellor, berlin_client):
    appointment = book(berlin_client, kabul_counsellor, NINE_KABUL)

    response = client_for(kabul_counsellor).post(
        reverse("booking:counsellor_cancel", args=[appointment.pk]),
        {"reason": "I am ill.", "day": "2026-06-01"},
    )

    assert response["Location"] == f"{reverse('booking:agenda')}#appointment-{appointment.pk}"
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by, appointment.cancel_reason) == (
        Appointment.Status.CANCELLED,
        kabul_counsellor,
        "I am ill.",
    )


def test_a_counsellor_cannot_cancel_without_a_reason(client_for, kabul_counsellor, berlin_client):
    appointment = book(berlin_client, kabul_counsellor, NINE_KABUL)

    response = client_for(kabul_counsellor).post(
        reverse("booking:counsellor_cancel", args=[appointment.pk]), {"reason": "   "}, follow=True
    )

    assert "Please write why you cancel this appointment." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


@pytest.mark.parametrize("name", ["booking:mark", "booking:counsellor_cancel"])
def test_another_counsellors_appointment_does_not_exist_for_them(
    client_for, kabul_counsellor, berlin_client, name
):
    appointment = book(berlin_client, kabul_counsellor, NINE_KABUL)
    intruder = make_user(Role.COUNSELLOR)

    with time_machine.travel(NINE_KABUL + timedelta(minutes=35), tick=False):
        response = client_for(intruder).post(
            reverse(name, args=[appointment.pk]), {"status": "no_show", "reason": "Not mine."}
        )

    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


# --- Dashboard ------------------------------------------------------------------------------


def test_the_today_card_counts_todays_appointments_and_names_the_next(
    client_for, kabul_counsellor, berlin_client
):
    book(berlin_client, kabul_counsellor, NINE_KABUL)
    book(berlin_client, kabul_counsellor, NINE_KABUL + timedelta(hours=3))
    book(berlin_client, kabul_counsellor, NINE_KABUL + timedelta(days=1))  # tomorrow: not counted

    with time_machine.travel(NINE_KABUL + timedelta(hours=1), tick=False):
        page = client_for(kabul_counsellor).get(reverse("frontend:dashboard")).content.decode()

    assert "2 appointments today" in page
    assert "12:00\u202fPM</strong> · Farid" in page


def test_the_agenda_offers_another_time_for_upcoming_appointments(
    client_for, kabul_counsellor, berlin_client
):
    appointment = book(berlin_client, kabul_counsellor, NINE_KABUL + timedelta(days=1))

    html = item_html(client_for(kabul_counsellor).get(reverse("booking:agenda")), appointment)

    assert f"/counsellors/{kabul_counsellor.pk}/?reschedule={appointment.pk}" in html


def test_a_counsellor_moves_an_appointment_with_a_reason_the_client_is_told(
    client_for, kabul_counsellor, berlin_client
):
    appointment = book(berlin_client, kabul_counsellor, NINE_KABUL + timedelta(days=1))
    new_start = NINE_KABUL + timedelta(days=1, hours=2)
    url = reverse("booking:book", args=[kabul_counsellor.pk])
    query = f"?start={new_start.isoformat()}&reschedule={appointment.pk}"
    browser = client_for(kabul_counsellor)

    page = browser.get(url + query).content.decode()
    assert "8:30" in page  # the client's Berlin time beside the counsellor's 11:00 in Kabul

    refused = browser.post(url + query, {"reason": ""})
    assert "Please write why" in refused.content.decode()
    appointment.refresh_from_db()
    assert appointment.start_at == NINE_KABUL + timedelta(days=1)

    browser.post(url + query, {"reason": "I have a training that morning."})
    appointment.refresh_from_db()
    assert appointment.start_at == new_start
    assert appointment.reschedule_reason == "I have a training that morning."
    assert appointment.notices.filter(event="rescheduled", recipient=berlin_client).exists()


def test_evening_hours_until_midnight_are_saved_and_a_later_range_that_day_is_refused(
    client_for, kabul_counsellor
):
    browser = client_for(kabul_counsellor)

    saved = browser.post(reverse("booking:availability_hours"), hours_post(d4=[("18:00", "00:00")]))
    refused = browser.post(
        reverse("booking:availability_hours"), hours_post(d4=[("18:00", "00:00"), ("23:00", "23:30")])
    )

    assert saved.status_code == 302
    assert refused.status_code == 200
    assert "must not overlap" in refused.content.decode()
    rules = WeeklyRule.objects.filter(schedule__counsellor=kabul_counsellor)
    assert set(rules.values_list("weekday", "start", "end")) == {(4, time(18), time(0))}
