"""The learning records API: `/api/xapi/statements`, lesson progress and H5P state."""

import json
import uuid

import pytest
from django.test import Client

from courses.models import H5PUserState, LessonProgress, XAPIStatement
from courses.services.progress import enrolment_create
from tests.courses.factories import lessons_of, make_course
from tests.courses.test_progress import statement
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def api_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/accounts/profile/")  # sets the CSRF cookie, as a page visit does
    return client


def send(client: Client, url: str, body, method: str = "post"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return getattr(client, method)(
        url, data, content_type="application/json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value
    )


@pytest.fixture
def setup():
    learner = make_user()
    course = make_course(modules=(("text", "video"), ("h5p",)))
    enrolment_create(user=learner, course=course)
    return learner, lessons_of(course), api_client(learner)


def test_a_statement_is_stored_and_a_replay_answers_the_same(setup):
    learner, lessons, client = setup
    sent = statement(lessons[2].pk, "completed")
    first = send(client, "/api/xapi/statements", sent)
    again = send(client, "/api/xapi/statements", sent)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == [sent["id"]]
    assert XAPIStatement.objects.count() == 1
    assert LessonProgress.objects.get(user=learner, lesson=lessons[2]).is_complete


def test_a_list_of_statements_is_stored_in_one_request(setup):
    _learner, lessons, client = setup
    sent = [statement(lessons[2].pk, "answered", raw=3), statement(lessons[2].pk, "completed")]
    response = send(client, "/api/xapi/statements", sent)
    assert response.json() == [s["id"] for s in sent]


def test_a_conflicting_replay_is_a_409_naming_the_id(setup):
    _learner, lessons, client = setup
    sent = statement(lessons[2].pk, "answered", raw=3)
    send(client, "/api/xapi/statements", sent)
    response = send(
        client, "/api/xapi/statements", {**sent, "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert response.json()["error"]["ids"] == [sent["id"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "invalid"),
        ("[]", "invalid"),
        ('"a string"', "invalid"),
        (json.dumps({"verb": {"id": "x"}}), "invalid"),
        (b"\xff\xfe", "invalid"),
    ],
)
def test_unreadable_bodies_are_a_400_with_a_message(setup, body, code):
    _learner, _lessons, client = setup
    response = send(client, "/api/xapi/statements", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert XAPIStatement.objects.count() == 0


def test_a_body_over_the_limit_is_refused(setup):
    _learner, lessons, client = setup
    big = [statement(lessons[2].pk, padding="x" * 30_000) for _ in range(40)]
    response = send(client, "/api/xapi/statements", big)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_large"


def test_statements_need_a_session_and_a_csrf_token(setup):
    _learner, lessons, client = setup
    anonymous = Client().post(
        "/api/xapi/statements", json.dumps(statement(lessons[2].pk)), content_type="application/json"
    )
    assert anonymous.status_code == 401
    response = client.post(
        "/api/xapi/statements", json.dumps(statement(lessons[2].pk)), content_type="application/json"
    )
    assert response.status_code == 403
    assert XAPIStatement.objects.count() == 0


def test_statements_for_a_course_one_is_not_enrolled_in_are_a_403(setup):
    other = make_course(modules=(("h5p",),))
    _learner, _lessons, client = setup
    response = send(client, "/api/xapi/statements", statement(lessons_of(other)[0].pk))
    assert response.status_code == 403


def test_a_progress_report_answers_with_the_lesson_state(setup):
    _learner, lessons, client = setup
    body = {"event_id": str(uuid.uuid4()), "duration": 10, "watched": [[0, 9.5]], "position": 9.5}
    first = send(client, f"/api/courses/lessons/{lessons[1].pk}/progress", body)
    again = send(client, f"/api/courses/lessons/{lessons[1].pk}/progress", body)
    assert first.status_code == again.status_code == 200
    assert first.json() | {"stored": None} == again.json() | {"stored": None}
    assert (first.json()["stored"], again.json()["stored"]) == (True, False)
    assert first.json()["complete"] is True
    assert first.json()["watched_seconds"] == 10


@pytest.mark.parametrize(
    "body",
    [
        {"read_to_end": True},
        {"event_id": "nope", "read_to_end": True},
        ["a", "list"],
    ],
)
def test_a_progress_report_without_a_usable_id_is_a_400(setup, body):
    _learner, lessons, client = setup
    response = send(client, f"/api/courses/lessons/{lessons[0].pk}/progress", body)
    assert response.status_code == 400
    assert LessonProgress.objects.count() == 0


def test_a_progress_report_for_an_unknown_lesson_is_a_404(setup):
    _learner, _lessons, client = setup
    response = send(client, "/api/courses/lessons/999999/progress", {"event_id": str(uuid.uuid4())})
    assert response.status_code == 404


def test_the_h5p_state_is_saved_for_the_learner(setup):
    learner, lessons, client = setup
    url = f"/api/courses/lessons/{lessons[2].pk}/h5p-state"
    body = {"state": '{"answers":[1]}', "saved_at": "2026-11-23T08:00:00Z"}
    assert send(client, url, body, method="put").json() == {"stored": True}
    assert H5PUserState.objects.get(user=learner).state == '{"answers":[1]}'
    older = {"state": "{}", "saved_at": "2026-11-23T07:00:00Z"}
    assert send(client, url, older, method="put").json() == {"stored": False}


def test_an_h5p_state_for_a_text_lesson_is_a_400(setup):
    _learner, lessons, client = setup
    body = {"state": "{}", "saved_at": "2026-11-23T08:00:00Z"}
    response = send(client, f"/api/courses/lessons/{lessons[0].pk}/h5p-state", body, method="put")
    assert response.status_code == 400
