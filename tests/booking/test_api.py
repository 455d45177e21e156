"""The booking API: session sign-in, CSRF, one error shape, translated messages."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import Role
from booking.models import Appointment
from tests.factories import make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def counsellor():
    return make_bookable_counsellor()


def api_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/accounts/profile/")  # sets the CSRF cookie, as a page visit does
    return client


def post(client: Client, url: str, body: dict, **headers):
    token = client.cookies["csrftoken"].value
    return client.post(
        url, json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=token, **headers
    )


def booking(counsellor, **overrides) -> dict:
    body = {
        "counsellor": counsellor.pk,
        "start": "2026-06-01T09:00:00Z",
        "duration": 30,
        "modality": "video",
        "topic": "return",
        "idempotency_key": str(uuid.uuid4()),
    }
    body.update(overrides)
    return body


def test_the_openapi_schema_lists_the_booking_endpoints():
    schema = Client().get("/api/openapi.json").json()

    assert {
        "/api/counsellors/{counsellor_id}/slots",
        "/api/appointments",
        "/api/appointments/{appointment_id}/cancel",
        "/api/appointments/{appointment_id}/reschedule",
    } <= set(schema["paths"])


def test_slots_are_listed_in_utc(migrant, counsellor):
    response = api_client(migrant).get(
        f"/api/counsellors/{counsellor.pk}/slots?start=2026-06-01&end=2026-06-01"
    )

    assert response.status_code == 200
    slots = response.json()
    assert slots[0] == {"start": "2026-06-01T08:00:00Z", "end": "2026-06-01T08:30:00Z"}  # 09:00 in Lagos
    assert len(slots) == 16


def test_a_window_of_more_than_a_month_is_refused(migrant, counsellor):
    response = api_client(migrant).get(
        f"/api/counsellors/{counsellor.pk}/slots?start=2026-06-01&end=2026-08-01"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_window"


def test_booking_answers_201_with_the_appointment_and_a_replay_gives_the_same_answer(migrant, counsellor):
    client = api_client(migrant)
    body = booking(counsellor)

    first = post(client, "/api/appointments", body)
    replay = post(client, "/api/appointments", body)

    assert first.status_code == 201
    assert first.json()["start"] == "2026-06-01T09:00:00Z"
    assert first.json()["language"] == "en"  # the migrant's language the counsellor speaks
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert Appointment.objects.count() == 1


def test_a_taken_slot_answers_409_with_the_next_free_slots(migrant, counsellor):
    post(api_client(migrant), "/api/appointments", booking(counsellor))

    response = post(api_client(make_user(Role.MIGRANT)), "/api/appointments", booking(counsellor))

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slot_taken"
    assert error["message"]
    assert error["next_slots"][0]["start"] != "2026-06-01T09:00:00Z"


def test_the_error_message_is_in_the_callers_language(migrant, counsellor):
    post(api_client(migrant), "/api/appointments", booking(counsellor))
    client = api_client(make_user(Role.MIGRANT, language="de"))

    error = post(client, "/api/appointments", booking(counsellor)).json()["error"]

    assert error["code"] == "slot_taken"
    assert "Termin" in error["message"] or "Zeit" in error["message"]


def test_a_malformed_booking_answers_422_naming_the_fields_and_writes_nothing(migrant, counsellor):
    response = post(
        api_client(migrant), "/api/appointments", booking(counsellor, start="tomorrow", modality="fax")
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert {"start", "modality"} <= set(error["fields"])
    assert not Appointment.objects.exists()


def test_a_forged_counsellor_id_answers_404(migrant):
    response = post(api_client(migrant), "/api/appointments", booking(make_user(Role.MIGRANT)))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_client_is_always_the_signed_in_person(migrant, counsellor):
    someone_else = make_user(Role.MIGRANT)

    post(api_client(migrant), "/api/appointments", booking(counsellor, client=someone_else.pk))

    assert Appointment.objects.get().client == migrant


def test_the_api_needs_a_signed_in_person_and_a_csrf_token(migrant, counsellor):
    assert Client().post("/api/appointments", {}, content_type="application/json").status_code == 401
    client = Client(enforce_csrf_checks=True)
    client.force_login(migrant)
    response = client.post(
        "/api/appointments", json.dumps(booking(counsellor)), content_type="application/json"
    )
    assert response.status_code == 403
    assert not Appointment.objects.exists()


def test_cancel_and_reschedule_through_the_api(migrant, counsellor):
    client = api_client(migrant)
    appointment_id = post(client, "/api/appointments", booking(counsellor)).json()["id"]

    moved = post(client, f"/api/appointments/{appointment_id}/reschedule", {"start": "2026-06-01T10:00:00Z"})
    cancelled = post(client, f"/api/appointments/{appointment_id}/cancel", {"reason": "Found work"})

    assert moved.status_code == 200
    assert moved.json()["start"] == "2026-06-01T10:00:00Z"
    assert cancelled.json()["status"] == "cancelled"


def test_someone_elses_appointment_does_not_exist_for_you(migrant, counsellor):
    appointment_id = post(api_client(migrant), "/api/appointments", booking(counsellor)).json()["id"]

    response = post(api_client(make_user(Role.MIGRANT)), f"/api/appointments/{appointment_id}/cancel", {})

    assert response.status_code == 404
    assert Appointment.objects.get().status == "booked"
