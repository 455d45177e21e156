"""Session ratings: the client rates an appointment once it has ended (one tap, 1 to 5), then
may add a comment; never before the end, never a cancelled one, never someone else's. The
counsellor sees only a count and an average; coordinators see them per counsellor."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from booking.models import Appointment
from counselling.models import SessionRating
from counselling.selectors import feedback as selectors
from counselling.services import conversation_get_or_create
from counselling.services import feedback as services
from tests.factories import OrganisationFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def lagos():
    return OrganisationFactory(country="NG")


@pytest.fixture
def chinedu(lagos):
    return make_user(Role.COUNSELLOR, organisation=lagos, display_name="Chinedu")


@pytest.fixture
def amina():
    return make_user(Role.MIGRANT, display_name="Amina")


def appointment(client, counsellor, *, ended_ago=timedelta(hours=1), status=Appointment.Status.COMPLETED):
    end = timezone.now() - ended_ago
    return Appointment.objects.create(
        counsellor=counsellor,
        client=client,
        conversation=conversation_get_or_create(client=client, counsellor=counsellor),
        start_at=end - timedelta(minutes=30),
        end_at=end,
        modality="video",
        topic="return",
        language="en",
        status=status,
        idempotency_key=uuid.uuid4(),
    )


def test_the_client_rates_an_ended_appointment_once(amina, chinedu):
    past = appointment(amina, chinedu)

    rating, created = services.session_rating_create(appointment=past, rater=amina, stars=4)
    again, created_again = services.session_rating_create(appointment=past, rater=amina, stars=1)

    assert created and not created_again
    assert again.pk == rating.pk and again.stars == 4
    assert SessionRating.objects.count() == 1


def test_an_appointment_that_has_not_ended_cannot_be_rated(amina, chinedu):
    running = appointment(amina, chinedu, ended_ago=-timedelta(minutes=10), status=Appointment.Status.BOOKED)

    with pytest.raises(PermissionDenied):
        services.session_rating_create(appointment=running, rater=amina, stars=5)


@pytest.mark.parametrize("status", [Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
def test_a_cancelled_or_missed_appointment_cannot_be_rated(amina, chinedu, status):
    with pytest.raises(PermissionDenied):
        services.session_rating_create(
            appointment=appointment(amina, chinedu, status=status), rater=amina, stars=3
        )


def test_an_ended_appointment_still_marked_booked_can_be_rated(amina, chinedu):
    rating, _created = services.session_rating_create(
        appointment=appointment(amina, chinedu, status=Appointment.Status.BOOKED), rater=amina, stars=5
    )

    assert rating.stars == 5


def test_only_the_client_can_rate(amina, chinedu):
    past = appointment(amina, chinedu)

    for someone in (chinedu, make_user(Role.MIGRANT)):
        with pytest.raises(PermissionDenied):
            services.session_rating_create(appointment=past, rater=someone, stars=5)


@pytest.mark.parametrize("stars", [0, 6, -1])
def test_stars_outside_1_to_5_are_refused(amina, chinedu, stars):
    with pytest.raises(ValidationError):
        services.session_rating_create(appointment=appointment(amina, chinedu), rater=amina, stars=stars)


def test_the_comment_is_limited_and_only_the_rater_writes_it(amina, chinedu):
    rating, _ = services.session_rating_create(appointment=appointment(amina, chinedu), rater=amina, stars=2)

    with pytest.raises(ValidationError):
        services.session_rating_comment(rating=rating, rater=amina, comment="c" * 1001)
    with pytest.raises(PermissionDenied):
        services.session_rating_comment(rating=rating, rater=chinedu, comment="Great")
    services.session_rating_comment(rating=rating, rater=amina, comment=" It was too short. ")

    rating.refresh_from_db()
    assert rating.comment == "It was too short."


def test_the_counsellor_sees_an_average_only_from_three_ratings(amina, chinedu):
    for stars in (5, 4):
        services.session_rating_create(appointment=appointment(amina, chinedu), rater=amina, stars=stars)
    two = selectors.session_rating_summary_for_counsellor(counsellor=chinedu)
    services.session_rating_create(appointment=appointment(amina, chinedu), rater=amina, stars=3)
    three = selectors.session_rating_summary_for_counsellor(counsellor=chinedu)

    assert (two.count, two.average) == (2, None)
    assert (three.count, three.average, three.average_text) == (3, 4.0, "4.0")


def test_coordinators_see_the_average_per_counsellor_of_their_organisation(amina, chinedu, lagos, client_for):
    ngozi = make_user(Role.COUNSELLOR, organisation=lagos, display_name="Ngozi")
    for stars in (5, 2):
        services.session_rating_create(appointment=appointment(amina, chinedu), rater=amina, stars=stars)
    coordinator = make_user(Role.COORDINATOR, organisation=lagos)

    rows = selectors.session_rating_summary_for_organisation(organisation=lagos)
    page = client_for(coordinator).get(reverse("counselling:org_ratings")).content.decode()

    assert [(r.counsellor, r.count, r.average) for r in rows] == [(chinedu, 2, 3.5), (ngozi, 0, None)]
    assert "3.5 of 5, from 2 ratings" in page


def test_the_appointment_page_offers_five_buttons_then_the_comment(amina, chinedu, client_for):
    past = appointment(amina, chinedu)
    client = client_for(amina)
    url = reverse("booking:appointment", args=[past.pk])

    before = client.get(url).content.decode()
    rated = client.post(reverse("counselling:rate", args=[past.pk]), {"stars": "4"})
    after = client.get(url).content.decode()
    client.post(reverse("counselling:rate_comment", args=[past.pk]), {"comment": "Helpful"})

    assert before.count('name="stars"') == 5 and 'aria-label="4 of 5"' in before
    assert rated.status_code == 302
    assert "You gave 4 of 5." in after and 'name="stars"' not in after
    assert SessionRating.objects.get().comment == "Helpful"


def test_the_counsellor_sees_no_rating_box_on_the_appointment_page(amina, chinedu, client_for):
    past = appointment(amina, chinedu)

    page = client_for(chinedu).get(reverse("booking:appointment", args=[past.pk])).content.decode()

    assert 'name="stars"' not in page


def test_a_bad_star_value_from_the_page_gets_a_message_not_an_error(amina, chinedu, client_for):
    past = appointment(amina, chinedu)

    response = client_for(amina).post(
        reverse("counselling:rate", args=[past.pk]), {"stars": "9"}, follow=True
    )

    assert response.status_code == 200
    assert not SessionRating.objects.exists()


def test_someone_elses_appointment_cannot_be_rated_from_the_page(amina, chinedu, client_for):
    past = appointment(amina, chinedu)

    response = client_for(make_user(Role.MIGRANT)).post(
        reverse("counselling:rate", args=[past.pk]), {"stars": "1"}
    )

    assert response.status_code == 404
    assert not SessionRating.objects.exists()


def test_the_dashboard_and_my_appointments_ask_to_rate_the_last_appointment(amina, chinedu, client_for):
    past = appointment(amina, chinedu)
    client = client_for(amina)

    dashboard = client.get(reverse("frontend:dashboard")).content.decode()
    listing = client.get(reverse("booking:appointments")).content.decode()
    services.session_rating_create(appointment=past, rater=amina, stars=5)
    dashboard_after = client.get(reverse("frontend:dashboard")).content.decode()

    assert "How was your appointment?" in dashboard and dashboard.count('name="stars"') == 5
    assert "Rate this appointment" in listing
    assert "How was your appointment?" not in dashboard_after


def test_the_counsellor_dashboard_shows_count_and_average(amina, chinedu, client_for):
    for stars in (5, 4, 4):
        services.session_rating_create(appointment=appointment(amina, chinedu), rater=amina, stars=stars)

    page = client_for(chinedu).get(reverse("frontend:dashboard")).content.decode()

    assert "rated 4.3 of 5 on average (3 ratings)" in page
    assert "Amina" not in page
