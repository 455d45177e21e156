"""“Join” on an appointment: from 10 minutes before its start until its end, for its two
people; the client goes to the waiting room, the counsellor to the page that lets them in."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from booking.models import Appointment
from counselling import services
from tests.factories import make_appointment, make_user

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def appointment(db):
    client = make_user(Role.MIGRANT)
    counsellor = make_user(Role.COUNSELLOR)
    conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)
    return make_appointment(
        client=client, counsellor=counsellor, conversation=conversation, starts_in=timedelta(minutes=8)
    )


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_the_client_joining_eight_minutes_early_lands_in_the_waiting_room(appointment):
    browser = browser_for(appointment.client)

    response = browser.get(reverse("counselling:appointment_join", args=[appointment.pk]), follow=True)

    assert response.redirect_chain[-1][0].endswith(f"?appointment={appointment.pk}#call")
    page = response.content.decode()
    assert "You are in the waiting room." in page
    assert f'data-appointment="{appointment.pk}"' in page and 'data-session-role="client"' in page


def test_the_counsellor_joining_gets_the_button_that_lets_the_client_in(appointment):
    browser = browser_for(appointment.counsellor)

    page = browser.get(
        reverse("counselling:appointment_join", args=[appointment.pk]), follow=True
    ).content.decode()

    assert "Let them in" in page and 'data-session-role="counsellor"' in page
    assert "You are in the waiting room." not in page


def test_joining_an_hour_early_is_refused_with_the_time_it_opens(appointment):
    Appointment.objects.filter(pk=appointment.pk).update(
        start_at=timezone.now() + timedelta(hours=1), end_at=timezone.now() + timedelta(hours=2)
    )
    browser = browser_for(appointment.client)

    response = browser.get(reverse("counselling:appointment_join", args=[appointment.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("booking:appointment", args=[appointment.pk])
    assert "You can join from 10 minutes before the start until the end." in response.content.decode()


def test_a_cancelled_appointment_cannot_be_joined(appointment):
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)
    browser = browser_for(appointment.client)

    response = browser.get(reverse("counselling:appointment_join", args=[appointment.pk]))

    assert response.url == reverse("booking:appointment", args=[appointment.pk])


def test_someone_else_cannot_join_an_appointment(appointment):
    browser = browser_for(make_user(Role.MIGRANT))

    assert browser.get(reverse("counselling:appointment_join", args=[appointment.pk])).status_code == 404


def test_a_chat_appointment_joins_straight_into_the_conversation(appointment):
    Appointment.objects.filter(pk=appointment.pk).update(modality="chat")
    browser = browser_for(appointment.client)

    response = browser.get(reverse("counselling:appointment_join", args=[appointment.pk]))

    assert response.url == reverse("counselling:conversation", args=[appointment.conversation_id])


def test_the_appointment_page_shows_join_only_from_ten_minutes_before(appointment):
    browser = browser_for(appointment.client)
    join = reverse("counselling:appointment_join", args=[appointment.pk])

    assert join in browser.get(reverse("booking:appointment", args=[appointment.pk])).content.decode()
    Appointment.objects.filter(pk=appointment.pk).update(
        start_at=timezone.now() + timedelta(minutes=11), end_at=timezone.now() + timedelta(minutes=56)
    )
    assert join not in browser.get(reverse("booking:appointment", args=[appointment.pk])).content.decode()


def test_a_waiting_room_link_for_another_conversation_shows_no_waiting_room(appointment):
    other = services.conversation_get_or_create(
        client=appointment.client, counsellor=make_user(Role.COUNSELLOR)
    )
    browser = browser_for(appointment.client)

    page = browser.get(
        reverse("counselling:conversation", args=[other.pk]) + f"?appointment={appointment.pk}"
    ).content.decode()

    assert "data-session-role" not in page


def test_the_counsellors_dashboard_shows_a_client_waiting_to_be_let_in(appointment):
    from counselling import presence

    browser = browser_for(appointment.counsellor)
    assert "Waiting room" not in browser.get(reverse("frontend:dashboard")).content.decode()

    presence.waiting_touch(appointment_id=appointment.pk)

    page = browser.get(reverse("frontend:dashboard")).content.decode()
    assert "Waiting room" in page
    assert reverse("counselling:appointment_join", args=[appointment.pk]) in page
