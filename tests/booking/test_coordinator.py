"""Coordinators: their organisation's appointments, utilisation per counsellor, clients, and
moving a client's appointments to another counsellor."""

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from booking import selectors, services
from booking.models import Appointment
from booking.services import BookingError
from booking.slots import Availability, open_time
from counselling.models import Conversation, Reassignment
from counselling.services import conversation_get_or_create
from tests.factories import OrganisationFactory, make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db

# Monday 1 June 2026, 06:00 UTC: 09:00 in Athens (the coordinator), 07:00 in Lagos.
NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
TUESDAY_NINE_UTC = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)  # 10:00 Lagos, 12:00 Athens
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def org():
    return OrganisationFactory(name="Lagos Partner")


@pytest.fixture
def sofia(org):
    """The organisation's coordinator, in Athens."""
    return make_user(Role.COORDINATOR, organisation=org, display_name="Sofia", time_zone="Europe/Athens")


@pytest.fixture
def chinedu(org):
    return make_bookable_counsellor(
        organisation=org, display_name="Chinedu", time_zone="Africa/Lagos", languages=("en", "yo")
    )


@pytest.fixture
def ngozi(org):
    return make_bookable_counsellor(
        organisation=org, display_name="Ngozi", time_zone="Africa/Lagos", languages=("ha", "en")
    )


@pytest.fixture
def mariam(org):
    return make_bookable_counsellor(
        organisation=org, display_name="Mariam", time_zone="Asia/Kabul", languages=("ps", "fa")
    )


@pytest.fixture
def amina():
    return make_user(
        Role.MIGRANT,
        display_name="Amina",
        country_of_origin="NG",
        time_zone="Europe/Berlin",
        languages=["en"],
    )


@pytest.fixture
def farid():
    return make_user(
        Role.MIGRANT,
        display_name="Farid",
        country_of_origin="AF",
        time_zone="Europe/Athens",
        languages=["ps"],
    )


@pytest.fixture
def outsider():
    """A counsellor of another organisation, with a client of their own."""
    return make_bookable_counsellor(display_name="Outsider", languages=("en",))


@pytest.fixture
def other_coordinator(outsider):
    return make_user(Role.COORDINATOR, organisation=outsider.organisation, display_name="Other coordinator")


def book(client, counsellor, start_at, *, language="en", duration=30, note=""):
    return services.appointment_book(
        client=client,
        counsellor=counsellor,
        start_at=start_at,
        duration=duration,
        modality="video",
        topic="return",
        language=language,
        note=note,
        idempotency_key=uuid.uuid4(),
    ).appointment


def appointment(client, counsellor, start_at, *, minutes=30, status="booked", language="en", note=""):
    """An appointment written as it stands, past or future (history, or many rows quickly)."""
    return Appointment.objects.create(
        counsellor=counsellor,
        client=client,
        conversation=conversation_get_or_create(client=client, counsellor=counsellor),
        start_at=start_at,
        end_at=start_at + timedelta(minutes=minutes),
        modality="video",
        topic="return",
        language=language,
        status=status,
        note=note,
        idempotency_key=uuid.uuid4(),
    )


def text(response) -> str:
    """The page, with CLDR's narrow and no-break spaces as plain spaces."""
    return response.content.decode().replace("\u202f", " ").replace("\xa0", " ")


def page(browser, name, **params):
    url = reverse(name)
    return browser.get(f"{url}?{urlencode(params)}" if params else url)


def listed_clients(response) -> list[str]:
    """Client names of the appointments listed, in order."""
    return re.findall(r'<p class="agenda-client"><a href="[^"]+">([^<]+)</a>', response.content.decode())


# --- Who sees what --------------------------------------------------------------------------


def test_a_coordinator_sees_the_appointments_of_their_organisation_only(
    client_for, sofia, chinedu, amina, outsider, farid
):
    book(amina, chinedu, TUESDAY_NINE_UTC)
    book(farid, outsider, TUESDAY_NINE_UTC)

    response = page(client_for(sofia), "booking:org_appointments")

    assert response.status_code == 200
    assert listed_clients(response) == ["Amina"]
    assert "Outsider" not in text(response)


def test_a_coordinator_without_an_organisation_is_told_why_on_every_page(client_for):
    loose = make_user(Role.COORDINATOR, display_name="Loose")
    loose.organisation = None
    loose.save(update_fields=["organisation"])
    browser = client_for(loose)

    for name in ("booking:org_appointments", "booking:org_utilisation", "booking:org_clients"):
        response = page(browser, name)
        assert response.status_code == 200
        assert "Your account is not linked to an organisation yet" in text(response)
    post = browser.post(reverse("booking:org_reassign", args=[1]), {})
    assert "Your account is not linked to an organisation yet" in text(post)
    dashboard = text(browser.get(reverse("frontend:dashboard")))
    assert "Please ask an administrator to add your account to your organisation." in dashboard


def test_the_clients_note_to_the_counsellor_is_never_shown_to_coordinators(client_for, sofia, chinedu, amina):
    booked = book(amina, chinedu, TUESDAY_NINE_UTC, note="private words")
    browser = client_for(sofia)

    assert "private words" not in text(page(browser, "booking:org_appointments"))
    assert "private words" not in text(browser.get(reverse("booking:org_client", args=[amina.pk])))
    shown = page(browser, "booking:org_appointments").context["page"].object_list[0]
    assert shown.pk == booked.pk
    assert "note" in shown.get_deferred_fields()  # not even loaded


def test_a_coordinator_of_another_organisation_cannot_see_or_reassign_the_client(
    client_for, other_coordinator, chinedu, ngozi, amina
):
    booked = book(amina, chinedu, TUESDAY_NINE_UTC)
    browser = client_for(other_coordinator)

    assert browser.get(reverse("booking:org_client", args=[amina.pk])).status_code == 404
    response = browser.post(
        reverse("booking:org_reassign", args=[amina.pk]),
        {"from_counsellor": chinedu.pk, "to_counsellor": ngozi.pk, "reason": "leave"},
    )

    assert response.status_code == 404
    assert not Reassignment.objects.exists()
    assert not Conversation.objects.filter(client=amina, counsellor=ngozi).exists()
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED
    assert listed_clients(page(browser, "booking:org_appointments")) == []


def test_migrants_and_counsellors_are_refused_the_coordinator_pages(client_for, chinedu, amina):
    for user in (chinedu, amina):
        for name in ("booking:org_appointments", "booking:org_utilisation", "booking:org_clients"):
            assert page(client_for(user), name).status_code == 403


# --- Appointments: filters, counts, times, queries --------------------------------------------


@pytest.fixture
def week(sofia, chinedu, mariam, amina, farid):
    """Amina (Nigeria, English) with Chinedu twice, once cancelled; Farid (Afghanistan, Pashto)
    with Mariam."""
    first = book(amina, chinedu, TUESDAY_NINE_UTC)
    second = book(amina, chinedu, TUESDAY_NINE_UTC + timedelta(days=1))
    services.appointment_cancel(appointment=second, by=amina, reason="")
    third = book(farid, mariam, datetime(2026, 6, 3, 5, 0, tzinfo=UTC), language="ps")
    return first, second, third


def test_filters_narrow_the_list_by_country_language_counsellor_and_status(client_for, sofia, week, mariam):
    browser = client_for(sofia)

    assert listed_clients(page(browser, "booking:org_appointments")) == ["Amina", "Farid", "Amina"]
    assert listed_clients(page(browser, "booking:org_appointments", country="AF")) == ["Farid"]
    assert listed_clients(page(browser, "booking:org_appointments", language="en")) == ["Amina", "Amina"]
    assert listed_clients(page(browser, "booking:org_appointments", counsellor=mariam.pk)) == ["Farid"]
    cancelled = page(browser, "booking:org_appointments", status="cancelled", country="NG")
    assert listed_clients(cancelled) == ["Amina"]


def test_summary_counts_by_country_and_language_are_those_of_the_filtered_list(client_for, sofia, week):
    response = page(client_for(sofia), "booking:org_appointments", status="booked")

    context = response.context
    assert context["total"] == 2
    assert [(row.label, row.count) for row in context["by_country"]] == [("Afghanistan", 1), ("Nigeria", 1)]
    assert [(row.label, row.count) for row in context["by_language"]] == [("English", 1), ("Pashto", 1)]
    assert "2 appointments" in text(response)


def test_a_filter_value_from_elsewhere_counts_as_any(client_for, sofia, week, outsider):
    response = page(client_for(sofia), "booking:org_appointments", counsellor=outsider.pk)

    assert listed_clients(response) == ["Amina", "Farid", "Amina"]


def test_times_are_shown_in_the_coordinators_own_zone(client_for, sofia, week):
    html = text(page(client_for(sofia), "booking:org_appointments", country="NG", status="booked"))

    assert "12:00 PM" in html  # 09:00 UTC is noon in Athens (summer)
    assert "Times are shown in your time zone: Athens." in html


def test_the_period_can_be_the_last_four_weeks_or_dates_of_ones_own(client_for, sofia, chinedu, amina, farid):
    appointment(amina, chinedu, datetime(2026, 5, 20, 9, 0, tzinfo=UTC), status="completed")
    appointment(farid, chinedu, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), status="no_show")
    book(amina, chinedu, TUESDAY_NINE_UTC)
    browser = client_for(sofia)

    assert listed_clients(page(browser, "booking:org_appointments")) == ["Amina"]
    assert listed_clients(page(browser, "booking:org_appointments", period="last_4_weeks")) == ["Amina"]
    chosen = page(browser, "booking:org_appointments", start="2026-03-01", end="2026-03-31")
    assert listed_clients(chosen) == ["Farid"]
    assert "From Sun, Mar 1 to Tue, Mar 31." in text(chosen)
    assert chosen.context["form"]["period"].value() == "dates"  # what the list shows
    filtered = page(browser, "booking:org_appointments", country="NG")
    assert filtered.context["form"]["period"].value() == "next_4_weeks"


def test_dates_in_the_wrong_order_are_refused_and_the_default_period_is_shown(
    client_for, sofia, chinedu, amina
):
    book(amina, chinedu, TUESDAY_NINE_UTC)

    response = page(client_for(sofia), "booking:org_appointments", start="2026-06-30", end="2026-06-01")

    assert "The last day must not be before the first day." in text(response)
    assert listed_clients(response) == ["Amina"]


def test_the_appointments_page_costs_the_same_queries_for_one_row_or_a_full_page(
    client_for, sofia, chinedu, mariam, django_assert_num_queries
):
    countries = ["NG", "GH", "AF", "SY", "ER"]
    clients = [
        make_user(Role.MIGRANT, country_of_origin=countries[n % 5], languages=["en"]) for n in range(30)
    ]
    appointment(clients[0], chinedu, TUESDAY_NINE_UTC)
    browser = client_for(sofia)
    with CaptureQueriesContext(connection) as one:
        page(browser, "booking:org_appointments")

    for n, client in enumerate(clients[1:], start=1):
        counsellor = chinedu if n % 2 else mariam
        appointment(
            client, counsellor, TUESDAY_NINE_UTC + timedelta(hours=n), language="fa" if n % 3 else "en"
        )
    with django_assert_num_queries(len(one.captured_queries)):
        response = page(browser, "booking:org_appointments")

    assert response.context["total"] == 30
    assert len(response.context["page"].object_list) == 25
    second = page(browser, "booking:org_appointments", page=2)
    assert len(second.context["page"].object_list) == 5


# --- Utilisation ----------------------------------------------------------------------------


def test_open_time_counts_the_real_hours_on_both_days_berlin_changes_its_clocks():
    sundays = Availability(zone=BERLIN, rules={6: [(time(1), time(4))]}, overrides={}, durations=(30,))

    def on(day: date, **window) -> timedelta:
        start = datetime.combine(day, time(0), tzinfo=BERLIN)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=BERLIN)
        return open_time(sundays, window_start=window.get("start", start), window_end=end)

    assert on(date(2026, 3, 22)) == timedelta(hours=3)
    assert on(date(2026, 3, 29)) == timedelta(hours=2)  # 02:00 to 03:00 never happens
    assert on(date(2026, 10, 25)) == timedelta(hours=4)  # 02:00 to 03:00 happens twice
    # From 01:30 winter time: half an hour before the jump, then 03:00 to 04:00 summer time.
    late = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert on(date(2026, 3, 29), start=late) == timedelta(hours=1, minutes=30)


def test_an_override_replaces_the_weekly_hours_of_its_date_and_a_day_off_has_none():
    availability = Availability(
        zone=BERLIN,
        rules={0: [(time(9), time(17))]},
        overrides={date(2026, 6, 1): [(time(10), time(11))], date(2026, 6, 8): []},
        durations=(30,),
    )
    start = datetime(2026, 6, 1, tzinfo=BERLIN)

    two_weeks = open_time(availability, window_start=start, window_end=start + timedelta(days=14))
    assert two_weeks == timedelta(hours=1)
    assert open_time(
        availability, window_start=start + timedelta(days=14), window_end=start + timedelta(days=15)
    ) == timedelta(hours=8)


@pytest.fixture
def berlin(org):
    """A counsellor in Berlin: Mondays 09:00-12:00, Sundays 01:00-04:00 (night line), and on
    Wednesday 25 March 2026 one extra hour."""
    counsellor = make_bookable_counsellor(
        organisation=org, display_name="Jonas", time_zone="Europe/Berlin", languages=("de", "en")
    )
    services.weekly_rules_set(counsellor=counsellor, rules=[(0, time(9), time(12)), (6, time(1), time(4))])
    services.date_override_set(counsellor=counsellor, day=date(2026, 3, 25), ranges=[(time(10), time(11))])
    return counsellor


def berlin_at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN)


def test_utilisation_over_the_week_berlin_moves_its_clocks_forward(org, berlin, amina, farid):
    appointment(amina, berlin, berlin_at(23, 9), minutes=60, status="completed")
    appointment(farid, berlin, berlin_at(23, 10), minutes=30, status="no_show")
    appointment(amina, berlin, berlin_at(29, 3), minutes=30, status="booked")  # 01:00 UTC
    appointment(farid, berlin, berlin_at(29, 1), minutes=60, status="cancelled")
    appointment(amina, berlin, berlin_at(22, 23, 30), minutes=30, status="completed")  # the week before
    appointment(farid, berlin, berlin_at(30, 0, 30), minutes=30, status="completed")  # the week after

    (row,) = selectors.utilisation_list(organisation=org, start=berlin_at(23, 0), end=berlin_at(30, 0))

    # Monday 3 h + Wednesday's extra hour + Sunday 01:00-04:00, which is 2 real hours that night.
    assert row.offered == timedelta(hours=6)
    assert row.held == timedelta(hours=2)  # 60 + 30 (did not come) + 30 (booked); cancelled not
    assert (row.booked, row.completed, row.no_shows, row.cancelled) == (1, 1, 1, 1)
    assert row.percent == 33


def test_the_utilisation_page_shows_each_counsellor_in_the_coordinators_period(
    client_for, org, berlin, amina
):
    coordinator = make_user(Role.COORDINATOR, organisation=org, time_zone="Europe/Berlin")
    appointment(amina, berlin, berlin_at(23, 9), minutes=60, status="completed")

    response = page(client_for(coordinator), "booking:org_utilisation", start="2026-03-23", end="2026-03-29")

    html = text(response)
    assert "From Mon, Mar 23 to Sun, Mar 29." in html
    assert "17%" in html  # 1 hour of 6
    assert '<meter min="0" max="100" value="17"' in html
    assert f"counsellor={berlin.pk}" in html


def test_utilisation_costs_the_same_queries_for_two_or_six_counsellors(
    client_for, org, sofia, chinedu, mariam, amina, django_assert_num_queries
):
    appointment(amina, chinedu, NOW - timedelta(days=2), status="completed")
    browser = client_for(sofia)
    with CaptureQueriesContext(connection) as two:
        page(browser, "booking:org_utilisation")

    for n in range(4):
        counsellor = make_bookable_counsellor(organisation=org, time_zone="Asia/Kabul", languages=("fa",))
        appointment(amina, counsellor, NOW - timedelta(days=3, hours=n), status="no_show", language="fa")
    with django_assert_num_queries(len(two.captured_queries)):
        response = page(browser, "booking:org_utilisation")

    assert len(response.context["rows"]) == 6


def test_a_closed_counsellor_account_appears_only_with_appointments_in_the_period(org, chinedu, amina):
    chinedu.is_active = False
    chinedu.save(update_fields=["is_active"])
    start, end = NOW - timedelta(days=28), NOW

    assert selectors.utilisation_list(organisation=org, start=start, end=end) == []
    appointment(amina, chinedu, NOW - timedelta(days=1), status="completed")
    (row,) = selectors.utilisation_list(organisation=org, start=start, end=end)
    assert row.completed == 1


# --- Clients and reassignment (pages) -------------------------------------------------------


def test_the_clients_page_lists_the_clients_of_the_organisations_counsellors(
    client_for, sofia, chinedu, mariam, amina, farid, outsider
):
    conversation_get_or_create(client=amina, counsellor=chinedu)
    conversation_get_or_create(client=farid, counsellor=mariam)
    other = make_user(Role.MIGRANT, display_name="Somebody else")
    conversation_get_or_create(client=other, counsellor=outsider)
    browser = client_for(sofia)

    names = [c.display_name for c in page(browser, "booking:org_clients").context["page"].object_list]
    assert names == ["Amina", "Farid"]
    by_counsellor = page(browser, "booking:org_clients", counsellor=mariam.pk).context["page"].object_list
    assert [c.display_name for c in by_counsellor] == ["Farid"]
    by_name = page(browser, "booking:org_clients", q="ami").context["page"].object_list
    assert [c.display_name for c in by_name] == ["Amina"]


def test_counsellors_who_speak_the_clients_language_are_offered_first(
    client_for, sofia, chinedu, ngozi, mariam, amina
):
    book(amina, chinedu, TUESDAY_NINE_UTC)

    html = text(client_for(sofia).get(reverse("booking:org_client", args=[amina.pk])))

    select = re.search(r'<select name="to_counsellor".*?</select>', html, re.S).group(0)
    assert select.index("Speak the client&#x27;s language") < select.index("Ngozi")
    assert select.index("Ngozi") < select.index("Other counsellors") < select.index("Mariam")
    assert "Chinedu" not in select  # the counsellor she has now
    assert "<dt>Languages</dt><dd>English</dd>" in html


def test_reassigning_from_the_client_page_moves_the_appointment_and_says_so(
    client_for, sofia, chinedu, ngozi, amina
):
    booked = book(amina, chinedu, TUESDAY_NINE_UTC)
    browser = client_for(sofia)

    response = browser.post(
        reverse("booking:org_reassign", args=[amina.pk]),
        {"from_counsellor": chinedu.pk, "to_counsellor": ngozi.pk, "reason": "Chinedu is on leave"},
        follow=True,
    )

    html = text(response)
    assert "Amina now has Ngozi as counsellor. 1 appointment moved to the same time." in html
    assert "Chinedu is on leave" in html  # in the history, for the organisation
    assert "Moved to Ngozi" in html
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED
    assert Appointment.objects.get(client=amina, counsellor=ngozi).start_at == booked.start_at


def test_a_refused_reassignment_shows_why_on_the_form_and_changes_nothing(
    client_for, sofia, chinedu, ngozi, amina
):
    book(amina, chinedu, TUESDAY_NINE_UTC)
    browser = client_for(sofia)
    url = reverse("booking:org_reassign", args=[amina.pk])
    browser.post(url, {"from_counsellor": chinedu.pk, "to_counsellor": ngozi.pk, "reason": "leave"})

    again = browser.post(url, {"from_counsellor": chinedu.pk, "to_counsellor": ngozi.pk, "reason": "leave"})
    empty = browser.post(url, {"from_counsellor": ngozi.pk, "to_counsellor": chinedu.pk, "reason": " "})

    assert again.status_code == 200
    assert "Amina has already moved from Chinedu to Ngozi." in text(again)
    assert empty.context["form"].errors["reason"]
    assert Reassignment.objects.count() == 1


def test_the_client_page_costs_the_same_queries_whatever_the_history(
    client_for, sofia, chinedu, ngozi, amina, django_assert_num_queries
):
    appointment(amina, chinedu, NOW - timedelta(days=10), status="completed")
    book(amina, chinedu, TUESDAY_NINE_UTC)
    browser = client_for(sofia)

    def reassign(old, new):
        browser.post(
            reverse("booking:org_reassign", args=[amina.pk]),
            {"from_counsellor": old.pk, "to_counsellor": new.pk, "reason": "leave"},
        )

    reassign(chinedu, ngozi)
    url = reverse("booking:org_client", args=[amina.pk])
    with CaptureQueriesContext(connection) as short:
        browser.get(url)
    queries = len(short.captured_queries)  # before the next request clears the log

    for n in range(12):
        appointment(amina, chinedu, NOW - timedelta(days=20 + n), status="completed")
    book(amina, ngozi, TUESDAY_NINE_UTC + timedelta(days=1))
    book(amina, ngozi, TUESDAY_NINE_UTC + timedelta(days=2))
    reassign(ngozi, chinedu)
    with django_assert_num_queries(queries):
        response = browser.get(url)

    assert len(response.context["page"].object_list) == 20
    assert len(response.context["reassignments"]) == 2


def test_coordinators_reach_their_pages_from_the_dashboard_and_the_navigation(
    client_for, sofia, chinedu, amina
):
    book(amina, chinedu, TUESDAY_NINE_UTC)

    html = text(client_for(sofia).get(reverse("frontend:dashboard")))

    assert "Lagos Partner" in html
    assert re.search(r"<dt>Booked</dt><dd>1</dd>", html)
    for name in ("booking:org_appointments", "booking:org_utilisation", "booking:org_clients"):
        assert f'href="{reverse(name)}"' in html
    assert "Team</span>" in html
    assert "Team</span>" not in text(client_for(amina).get(reverse("frontend:dashboard")))


# --- Moving one appointment (booking.services.appointment_transfer) -------------------------


def test_a_transfer_books_the_same_time_with_the_new_counsellor_in_their_conversation(
    sofia, chinedu, ngozi, amina
):
    old = book(amina, chinedu, TUESDAY_NINE_UTC, duration=60, note="private words")
    old.interpreter_requested = True
    old.save(update_fields=["interpreter_requested"])

    new = services.appointment_transfer(appointment=old, to_counsellor=ngozi, by=sofia)

    old.refresh_from_db()
    assert old.status == Appointment.Status.CANCELLED
    assert old.cancelled_by == sofia
    assert "Ngozi" in old.cancel_reason
    assert new is not None
    assert (new.counsellor, new.client, new.start_at, new.end_at) == (ngozi, amina, old.start_at, old.end_at)
    assert (new.modality, new.topic, new.language, new.interpreter_requested) == (
        "video",
        "return",
        "en",
        True,
    )
    assert new.note == ""  # written to Chinedu: it does not travel
    assert new.conversation == Conversation.objects.get(client=amina, counsellor=ngozi)
    assert old.conversation == Conversation.objects.get(client=amina, counsellor=chinedu)


def test_a_transfer_to_a_counsellor_busy_then_only_cancels(sofia, chinedu, ngozi, amina, farid):
    old = book(amina, chinedu, TUESDAY_NINE_UTC, duration=60)
    book(farid, ngozi, TUESDAY_NINE_UTC + timedelta(minutes=30))  # overlaps the second half

    assert services.appointment_transfer(appointment=old, to_counsellor=ngozi, by=sofia) is None

    old.refresh_from_db()
    assert old.status == Appointment.Status.CANCELLED
    assert "please choose a new time" in old.cancel_reason
    assert not Appointment.objects.filter(client=amina, counsellor=ngozi).exists()


@pytest.mark.parametrize("case", ["started", "cancelled", "same", "inactive", "other_org", "not_coordinator"])
def test_a_transfer_that_may_not_happen_is_refused_and_changes_nothing(
    case, sofia, chinedu, ngozi, amina, outsider
):
    old = book(amina, chinedu, TUESDAY_NINE_UTC)
    to, by = ngozi, sofia
    if case == "started":
        Appointment.objects.filter(pk=old.pk).update(start_at=NOW - timedelta(minutes=5))
    elif case == "cancelled":
        services.appointment_cancel(appointment=old, by=amina)
    elif case == "same":
        to = chinedu
    elif case == "inactive":
        ngozi.is_active = False
        ngozi.save(update_fields=["is_active"])
    elif case == "other_org":
        to = outsider
    elif case == "not_coordinator":
        by = chinedu
    before = Appointment.objects.get(pk=old.pk).status

    with pytest.raises(BookingError):
        services.appointment_transfer(appointment=old, to_counsellor=to, by=by)

    assert Appointment.objects.get(pk=old.pk).status == before
    assert Appointment.objects.count() == 1
