"""The client's booking pages: find a counsellor, pick a time, book, see, cancel and move."""

import re
import uuid
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as accounts
from accounts.models import Role
from booking import selectors, services
from booking.models import Appointment
from counselling.models import Conversation
from tests.factories import make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db

# Monday 1 June 2026, 03:00 UTC: 05:00 in Berlin (summer time), 07:30 in Kabul, 04:00 in Lagos.
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
KABUL_NINE = datetime(2026, 6, 1, 4, 30, tzinfo=UTC)  # 09:00 Kabul, 06:30 Berlin
LAGOS_NINE = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 09:00 Lagos, 10:00 Berlin


def bookable(name, *, time_zone, languages, countries, topics, **kwargs):
    counsellor = make_bookable_counsellor(time_zone=time_zone, languages=languages, **kwargs)
    counsellor.display_name = name
    counsellor.save(update_fields=["display_name"])
    accounts.counsellor_profile_update(
        user=counsellor,
        bio=f"{name} helps people.",
        accepting_new_clients=True,
        countries=countries,
        topics=topics,
    )
    return counsellor


@pytest.fixture
def kabul():
    return bookable(
        "Mariam", time_zone="Asia/Kabul", languages=("prs", "ps", "en"), countries=["AF"], topics=["family"]
    )


@pytest.fixture
def lagos():
    return bookable(
        "Chinedu", time_zone="Africa/Lagos", languages=("en", "yo"), countries=["NG"], topics=["return"]
    )


@pytest.fixture
def farid():
    """A migrant from Afghanistan living in Berlin."""
    return make_user(
        Role.MIGRANT,
        display_name="Farid",
        time_zone="Europe/Berlin",
        country_of_origin="AF",
        languages=["ps", "en"],
    )


@pytest.fixture
def amina():
    return make_user(
        Role.MIGRANT,
        display_name="Amina",
        time_zone="Europe/Berlin",
        country_of_origin="NG",
        languages=["en"],
    )


def make_appointment(client, counsellor, start_at, **fields):
    return services.appointment_book(
        client=client,
        counsellor=counsellor,
        start_at=start_at,
        duration=30,
        modality=fields.pop("modality", "video"),
        topic=fields.pop("topic", "family"),
        language=fields.pop("language", "en"),
        idempotency_key=uuid.uuid4(),
    ).appointment


def directory(client, **params):
    url = reverse("booking:directory")
    return client.get(f"{url}?{urlencode(params)}" if params else url)


ALL = {"language": "", "country": "", "topic": "", "modality": ""}


def text(response) -> str:
    """The page, with CLDR's narrow and no-break spaces ("9:00\u202fAM") as plain spaces."""
    return response.content.decode().replace("\u202f", " ").replace("\xa0", " ")


def names_in_order(response, *names):
    html = text(response)
    return sorted((name for name in names if name in html), key=html.index)


# --- Directory ------------------------------------------------------------------------------


def test_visitors_browse_the_directory_with_times_in_utc(client, kabul, lagos):
    response = directory(client)

    html = text(response)
    assert response.status_code == 200
    assert "Mariam" in html and "Chinedu" in html
    assert "Times are shown in UTC time." in html
    # 09:00 in Kabul is 04:30 UTC.
    assert "4:30 AM" in html and "Kabul 9:00 AM" in html


def test_the_migrants_first_language_and_home_country_are_preselected(client_for, farid, kabul, lagos):
    response = directory(client_for(farid))

    html = text(response)
    assert "Mariam" in html
    assert "Chinedu" not in html
    assert re.search(r'<option value="ps" selected>', html)
    assert re.search(r'<option value="AF" selected>', html)


def test_clearing_the_filters_shows_every_counsellor(client_for, farid, kabul, lagos):
    services.schedules_refresh_next_free()  # the periodic job keeps the order
    response = directory(client_for(farid), **ALL)

    assert names_in_order(response, "Mariam", "Chinedu") == ["Mariam", "Chinedu"]


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"language": "yo"}, "Chinedu", "Mariam"),
        ({"country": "AF"}, "Mariam", "Chinedu"),
        ({"topic": "return"}, "Chinedu", "Mariam"),
        ({"topic": "family", "modality": "chat"}, "Mariam", "Chinedu"),
    ],
)
def test_the_directory_filters_by_language_country_and_topic(client, kabul, lagos, params, shown, hidden):
    html = text(directory(client, **{**ALL, **params}))

    assert shown in html
    assert hidden not in html


def test_the_chosen_way_of_talking_is_passed_on_to_the_counsellor_page(client, kabul):
    html = text(directory(client, **{**ALL, "modality": "chat"}))

    assert f'href="/counsellors/{kabul.pk}/?modality=chat"' in html


def test_an_unknown_filter_value_is_ignored_not_an_error(client, kabul, lagos):
    services.schedules_refresh_next_free()  # the periodic job keeps the order
    response = directory(client, language="xx", country="ZZZ", topic="nope", modality="fax")

    assert response.status_code == 200
    assert names_in_order(response, "Mariam", "Chinedu") == ["Mariam", "Chinedu"]


def test_a_berlin_migrant_sees_a_kabul_counsellors_nine_oclock_as_six_thirty(client_for, farid, kabul):
    html = text(directory(client_for(farid)))

    assert "Times are shown in your time zone: Berlin." in html
    assert "Mon, Jun 1, 6:30 AM" in html
    assert "Kabul 9:00 AM" in html


def test_counsellors_free_soonest_come_first_then_those_without_a_free_time(client):
    # By name: Aaron, Bea, Zara. Zara (Kabul) is free first, Aaron (Lagos) next, Bea never.
    bookable("Aaron", time_zone="Africa/Lagos", languages=("en",), countries=["NG"], topics=["work"])
    bea = bookable("Bea", time_zone="Africa/Lagos", languages=("en",), countries=["NG"], topics=["work"])
    services.weekly_rules_set(counsellor=bea, rules=[])
    bookable("Zara", time_zone="Asia/Kabul", languages=("en",), countries=["AF"], topics=["work"])

    services.schedules_refresh_next_free()  # the periodic job keeps the order
    response = directory(client, **ALL)

    assert names_in_order(response, "Aaron", "Bea", "Zara") == ["Zara", "Aaron", "Bea"]
    assert "No free time in the next two weeks." in text(response)


def test_only_active_counsellors_with_a_schedule_are_listed(client, kabul):
    gone = bookable("Gone", time_zone="UTC", languages=("en",), countries=["NG"], topics=["work"])
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    make_user(Role.COUNSELLOR, display_name="Unscheduled")
    make_user(Role.MIGRANT, display_name="Not a counsellor")

    html = text(directory(client, **ALL))

    assert "Mariam" in html
    assert "Gone" not in html
    assert "Unscheduled" not in html
    assert "Not a counsellor" not in html


def test_a_paused_counsellor_is_listed_with_a_badge(client, kabul):
    accounts.counsellor_profile_update(
        user=kabul, bio="", accepting_new_clients=False, countries=["AF"], topics=["family"]
    )

    assert "Not taking new clients" in text(directory(client, **ALL))


def test_the_directory_shows_twenty_counsellors_per_page(client):
    for n in range(21):
        bookable(f"Counsellor {n:02d}", time_zone="UTC", languages=("en",), countries=["NG"], topics=["work"])

    first = text(directory(client, **ALL))
    second = text(directory(client, **ALL, page=2))

    assert first.count('class="card counsellor-card"') == 20
    assert second.count('class="card counsellor-card"') == 1
    assert "page=2" in first


def _directory_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = directory(client, **ALL)
    assert response.status_code == 200
    return len(queries)


def test_the_directory_makes_as_many_queries_for_twenty_counsellors_as_for_two(
    client_for, amina, django_assert_num_queries
):
    client = client_for(amina)
    counsellors = [
        bookable(f"C{n}", time_zone="Africa/Lagos", languages=("en", "yo"), countries=["NG"], topics=["work"])
        for n in range(20)
    ]
    other = make_user(Role.MIGRANT)

    def book_one(counsellor):
        # One client, so never twice at the same time.
        n = counsellors.index(counsellor)
        make_appointment(other, counsellor, LAGOS_NINE + timedelta(days=n // 8, hours=n % 8), topic="return")

    for counsellor in counsellors[2:]:
        # Only two are bookable at first: the others get a schedule below.
        counsellor.schedule.delete()
    directory(client, **ALL)  # warm up (session, content types)
    book_one(counsellors[0])
    with_two = _directory_queries(client)

    for counsellor in counsellors[2:]:
        services.schedule_update(counsellor=counsellor, durations=[30, 60], min_notice=0)
        services.weekly_rules_set(
            counsellor=counsellor,
            rules=[(day, time(9), time(17)) for day in range(7)],
        )
        book_one(counsellor)

    with django_assert_num_queries(with_two):
        response = directory(client, **ALL)
    assert text(response).count('class="card counsellor-card"') == 20


def test_next_free_slot_map_loads_everything_in_five_queries_and_agrees_with_slot_list(
    amina, kabul, lagos, django_assert_num_queries
):
    make_appointment(amina, lagos, LAGOS_NINE, topic="return")
    counsellors = [kabul, lagos]

    with django_assert_num_queries(5):
        found = selectors.next_free_slot_map(counsellors=counsellors, now=NOW, client=amina)

    for counsellor in counsellors:
        expected = selectors.slot_list(
            counsellor=counsellor,
            duration=30,
            window_start=NOW,
            window_end=NOW + timedelta(days=14),
            client=amina,
            now=NOW,
        )[0]
        assert found[counsellor.pk] == (expected, 30)
    # Lagos 09:00 is taken: the next free start is 09:30 (no buffers in the factory).
    assert found[lagos.pk][0].start == LAGOS_NINE + timedelta(minutes=30)
    assert found[kabul.pk][0].start == KABUL_NINE


# --- One counsellor -------------------------------------------------------------------------


def test_the_counsellor_page_lists_free_times_by_day_in_the_viewers_zone(client_for, farid, kabul):
    html = text(client_for(farid).get(reverse("booking:counsellor", args=[kabul.pk])))

    assert "Times are shown in your time zone: Berlin. The counsellor is in Kabul." in html
    assert "Mon, Jun 1" in html and "Sun, Jun 14" in html
    assert "Mon, Jun 15" not in html
    first_link = f"/counsellors/{kabul.pk}/book/?start=2026-06-01T04%3A30%3A00Z&amp;duration=30"
    assert first_link in html
    assert "6:30 AM" in html and "Kabul 9:00 AM" in html


def test_the_counsellor_page_offers_the_counsellors_lengths(client, kabul):
    url = reverse("booking:counsellor", args=[kabul.pk])

    html = text(client.get(url, {"duration": "60"}))

    assert f'href="{url}?duration=30"' in html
    assert f'href="{url}?duration=60" aria-current="page"' in html
    book_links = re.findall(r'/book/\?start=[^"]*', html)
    assert book_links
    assert all("duration=60" in link for link in book_links)


def test_a_paused_counsellor_offers_no_time_to_new_clients(client_for, farid, kabul):
    accounts.counsellor_profile_update(
        user=kabul, bio="", accepting_new_clients=False, countries=["AF"], topics=["family"]
    )

    html = text(client_for(farid).get(reverse("booking:counsellor", args=[kabul.pk])))

    assert "not taking new clients at the moment" in html
    assert "/book/?start=" not in html


def test_a_person_who_is_not_a_counsellor_has_no_counsellor_page(client, farid):
    assert client.get(reverse("booking:counsellor", args=[farid.pk])).status_code == 404


# --- Book -----------------------------------------------------------------------------------


def book_url(counsellor, start=KABUL_NINE, duration=30, **extra):
    params = {"start": start.isoformat().replace("+00:00", "Z"), "duration": duration, **extra}
    return f"{reverse('booking:book', args=[counsellor.pk])}?{urlencode(params)}"


def form_data(**overrides):
    data = {
        "modality": "video",
        "topic": "family",
        "language": "ps",
        "note": "",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_the_book_page_shows_the_time_in_both_zones_and_sensible_defaults(client_for, farid, kabul):
    response = client_for(farid).get(book_url(kabul))

    html = text(response)
    assert response.status_code == 200
    assert "Mon, Jun 1, 6:30 AM" in html and "Kabul 9:00 AM" in html
    assert re.search(r'value="video"[^>]*checked', html)
    # Pashto is the first language both speak; Dari only the counsellor speaks.
    assert re.search(r'value="ps"[^>]*checked', html)
    assert 'value="prs"' not in html
    assert re.search(r'name="idempotency_key" value="[0-9a-f-]{36}"', html)


def test_data_saver_users_get_audio_calls_by_default(client_for, farid, kabul):
    farid.data_saver = True
    farid.save(update_fields=["data_saver"])

    html = text(client_for(farid).get(book_url(kabul)))

    assert re.search(r'value="audio"[^>]*checked', html)


def test_booking_through_the_form_creates_the_appointment_and_shows_it(client_for, farid, kabul):
    client = client_for(farid)

    response = client.post(book_url(kabul), form_data(interpreter="on", note="About my papers"))

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:appointment", args=[appointment.pk])
    assert (appointment.client, appointment.counsellor) == (farid, kabul)
    assert (appointment.start_at, appointment.duration_minutes) == (KABUL_NINE, 30)
    assert (appointment.modality, appointment.topic, appointment.language) == ("video", "family", "ps")
    assert appointment.interpreter_requested
    assert appointment.note == "About my papers"
    page = text(client.get(response["Location"]))
    assert "Your appointment is booked." in page


def test_sending_the_same_form_twice_books_once(client_for, farid, kabul):
    client = client_for(farid)
    data = form_data()

    first = client.post(book_url(kabul), data)
    second = client.post(book_url(kabul), data)

    assert Appointment.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_taken_time_shows_why_and_other_free_times_and_writes_nothing(client_for, farid, amina, kabul):
    make_appointment(amina, kabul, KABUL_NINE)

    response = client_for(farid).post(book_url(kabul), form_data())

    html = text(response)
    assert response.status_code == 200
    assert "This time was just taken or is not available." in html
    assert book_url(kabul, start=KABUL_NINE + timedelta(minutes=30)).replace("&", "&amp;") in html
    assert Appointment.objects.count() == 1
    assert not Conversation.objects.filter(client=farid).exists()


def test_opening_a_taken_time_says_so_at_once(client_for, farid, amina, kabul):
    make_appointment(amina, kabul, KABUL_NINE)

    html = text(client_for(farid).get(book_url(kabul)))

    assert "This time is not available any more." in html
    assert "Book this time" not in html


@pytest.mark.parametrize(
    ("field", "value"),
    [("modality", "fax"), ("topic", "legal"), ("topic", "nonsense"), ("language", "yo")],
)
def test_a_choice_that_is_not_offered_is_refused_on_the_form(client_for, farid, kabul, field, value):
    response = client_for(farid).post(book_url(kabul), form_data(**{field: value}))

    html = text(response)
    assert response.status_code == 200
    assert "Select a valid choice." in html
    assert 'class="field field--error' in html
    assert not Appointment.objects.exists()


def test_a_note_longer_than_1000_letters_is_refused(client_for, farid, kabul):
    response = client_for(farid).post(book_url(kabul), form_data(note="x" * 1001))

    assert response.status_code == 200
    assert not Appointment.objects.exists()


def test_visitors_are_sent_to_sign_in_before_booking(client, kabul):
    url = book_url(kabul)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]


def test_a_forged_counsellor_id_is_not_found(client_for, farid, amina):
    client = client_for(farid)

    assert client.get(book_url(amina)).status_code == 404
    assert client.post(book_url(amina), form_data()).status_code == 404


@pytest.mark.parametrize("start", ["", "tomorrow", "2026-06-01T04:30:00"])
def test_a_broken_time_in_the_link_leads_back_to_the_free_times(client_for, farid, kabul, start):
    url = f"{reverse('booking:book', args=[kabul.pk])}?{urlencode({'start': start, 'duration': 30})}"

    response = client_for(farid).get(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("booking:counsellor", args=[kabul.pk])


# --- My appointments ------------------------------------------------------------------------


def test_my_appointments_lists_coming_ones_soonest_first_then_past_ones(client_for, farid, kabul):
    later = make_appointment(farid, kabul, KABUL_NINE + timedelta(days=2))
    sooner = make_appointment(farid, kabul, KABUL_NINE + timedelta(days=1))
    cancelled = make_appointment(farid, kabul, KABUL_NINE + timedelta(days=3))
    services.appointment_cancel(appointment=cancelled, by=farid)

    html = text(client_for(farid).get(reverse("booking:appointments")))

    coming, past = html.split("Past and cancelled")
    sooner_url = reverse("booking:appointment", args=[sooner.pk])
    later_url = reverse("booking:appointment", args=[later.pk])
    assert coming.index(f'href="{sooner_url}"') < coming.index(f'href="{later_url}"')
    assert reverse("booking:appointment", args=[cancelled.pk]) in past
    assert "Tue, Jun 2, 6:30 AM" in coming and "Kabul 9:00 AM" in coming


def test_my_appointments_lists_only_my_own(client_for, farid, amina, kabul):
    theirs = make_appointment(amina, kabul, KABUL_NINE)

    html = text(client_for(farid).get(reverse("booking:appointments")))

    assert reverse("booking:appointment", args=[theirs.pk]) not in html
    assert "You have no appointment coming up." in html


def test_the_appointment_page_shows_both_zones_and_the_details(client_for, farid, kabul):
    appointment = make_appointment(farid, kabul, KABUL_NINE, modality="chat", language="ps")

    html = text(client_for(farid).get(reverse("booking:appointment", args=[appointment.pk])))

    assert "Mon, Jun 1, 6:30 AM" in html and "Kabul 9:00 AM" in html
    assert "Chat" in html and "Family" in html and "Pashto" in html and "Booked" in html
    assert reverse("booking:cancel", args=[appointment.pk]) in html
    assert f"/counsellors/{kabul.pk}/?reschedule={appointment.pk}" in html


def test_the_counsellor_sees_the_appointment_with_the_clients_time_beside(client_for, farid, kabul):
    appointment = make_appointment(farid, kabul, KABUL_NINE)

    html = text(client_for(kabul).get(reverse("booking:appointment", args=[appointment.pk])))

    assert "Farid" in html
    assert "Berlin 6:30 AM" in html


def test_someone_elses_appointment_does_not_exist_for_me(client_for, farid, amina, kabul):
    appointment = make_appointment(amina, kabul, KABUL_NINE)
    client = client_for(farid)

    assert client.get(reverse("booking:appointment", args=[appointment.pk])).status_code == 404
    assert client.post(reverse("booking:cancel", args=[appointment.pk])).status_code == 404
    moving = f"{book_url(kabul, start=KABUL_NINE + timedelta(hours=1))}&reschedule={appointment.pk}"
    assert client.post(moving).status_code == 404
    appointment.refresh_from_db()
    assert (appointment.status, appointment.start_at) == (Appointment.Status.BOOKED, KABUL_NINE)


def test_the_client_cancels_an_appointment(client_for, farid, kabul):
    appointment = make_appointment(farid, kabul, KABUL_NINE + timedelta(days=1))
    client = client_for(farid)

    response = client.post(reverse("booking:cancel", args=[appointment.pk]), {"reason": "I found work"})

    appointment.refresh_from_db()
    assert response["Location"] == reverse("booking:appointment", args=[appointment.pk])
    assert appointment.status == Appointment.Status.CANCELLED
    assert (appointment.cancelled_by, appointment.cancel_reason) == (farid, "I found work")
    page = text(client.get(response["Location"]))
    assert "Your appointment is cancelled." in page
    assert reverse("booking:cancel", args=[appointment.pk]) not in page


def test_cancelling_too_late_says_why_and_keeps_the_appointment(client_for, farid, kabul):
    appointment = make_appointment(farid, kabul, NOW + timedelta(hours=1, minutes=30))
    client = client_for(farid)

    response = client.post(reverse("booking:cancel", args=[appointment.pk]))

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    page = text(client.get(response["Location"]))
    assert "Appointments can be changed until 2 hours before." in page


def test_cancel_only_takes_form_posts(client_for, farid, kabul):
    appointment = make_appointment(farid, kabul, KABUL_NINE)

    assert client_for(farid).get(reverse("booking:cancel", args=[appointment.pk])).status_code == 405


# --- Move -----------------------------------------------------------------------------------


def test_choosing_another_time_moves_the_appointment_instead_of_booking_again(client_for, farid, kabul):
    appointment = make_appointment(farid, kabul, KABUL_NINE + timedelta(days=1))
    client = client_for(farid)
    page = client.get(reverse("booking:counsellor", args=[kabul.pk]), {"reschedule": appointment.pk})
    new_start = KABUL_NINE + timedelta(days=2)
    link = book_url(kabul, start=new_start, duration=30, reschedule=appointment.pk)
    assert link.replace("&", "&amp;") in text(page)

    confirm = client.get(link)
    response = client.post(link)

    assert "Yes, move it" in text(confirm)
    appointment.refresh_from_db()
    assert response["Location"] == reverse("booking:appointment", args=[appointment.pk])
    assert Appointment.objects.count() == 1
    assert (appointment.start_at, appointment.status) == (new_start, Appointment.Status.BOOKED)


def test_moving_to_a_taken_time_says_why_and_keeps_the_old_time(client_for, farid, amina, kabul):
    appointment = make_appointment(farid, kabul, KABUL_NINE + timedelta(days=1))
    taken = KABUL_NINE + timedelta(days=2)
    make_appointment(amina, kabul, taken)

    response = client_for(farid).post(book_url(kabul, start=taken, reschedule=appointment.pk))

    appointment.refresh_from_db()
    assert appointment.start_at == KABUL_NINE + timedelta(days=1)
    assert "This time is not available. Please choose another time." in text(response)


# --- Dashboard ------------------------------------------------------------------------------


def test_the_dashboard_shows_the_next_appointment_in_both_zones(client_for, farid, kabul):
    make_appointment(farid, kabul, KABUL_NINE + timedelta(days=2))
    soonest = make_appointment(farid, kabul, KABUL_NINE + timedelta(days=1))

    html = text(client_for(farid).get(reverse("frontend:dashboard")))

    assert "Your next appointment" in html
    assert "Tue, Jun 2, 6:30 AM" in html and "Kabul 9:00 AM" in html
    assert reverse("booking:appointment", args=[soonest.pk]) in html


def test_a_migrant_without_appointments_is_shown_the_way_to_a_counsellor(client_for, farid):
    html = text(client_for(farid).get(reverse("frontend:dashboard")))

    assert reverse("booking:directory") in html
    assert "Your next appointment" not in html


def test_the_next_appointment_card_skips_past_and_cancelled_ones(farid, kabul):
    from frontend.dashboard import next_appointment_card

    past = make_appointment(farid, kabul, KABUL_NINE)
    cancelled = make_appointment(farid, kabul, KABUL_NINE + timedelta(days=1))
    services.appointment_cancel(appointment=cancelled, by=farid)
    coming = make_appointment(farid, kabul, KABUL_NINE + timedelta(days=2))

    with time_machine.travel(KABUL_NINE + timedelta(hours=1), tick=False):
        card = next_appointment_card(farid)

    assert past.end_at < KABUL_NINE + timedelta(hours=1)
    assert card.context["appointment"] == coming
