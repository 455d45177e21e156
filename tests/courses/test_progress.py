"""Learning records: xAPI statements and progress reports, and what they complete."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from courses.models import Course, Enrolment, H5PUserState, LessonProgress, XAPIStatement
from courses.services import progress as services
from courses.services.progress import LESSON_EXTENSION, SUBCONTENT_EXTENSION, Conflict, intervals_merge
from tests.courses.factories import LessonFactory, lessons_of, make_course
from tests.factories import make_user

pytestmark = pytest.mark.django_db

VERB = "http://adlnet.gov/expapi/verbs/"


def statement(
    lesson_id: int | None,
    verb: str = "completed",
    *,
    raw: float | None = None,
    top: float = 10,
    success: bool | None = None,
    completion: bool | None = None,
    sub: bool = False,
    **extra: object,
) -> dict:
    extensions: dict = {}
    if lesson_id is not None:
        extensions[LESSON_EXTENSION] = lesson_id
    if sub:
        extensions[SUBCONTENT_EXTENSION] = "abc"
    result: dict = {}
    if raw is not None:
        result["score"] = {"raw": raw, "max": top, "min": 0, "scaled": raw / top}
    if success is not None:
        result["success"] = success
    if completion is not None:
        result["completion"] = completion
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:someone-else@example.org"},
        "verb": {"id": VERB + verb, "display": {"en-US": verb}},
        "object": {"id": "http://example.org/h5p/1", "objectType": "Activity"},
        "context": {"extensions": extensions},
        "result": result,
        **extra,
    }


@pytest.fixture
def learner() -> User:
    return make_user()


@pytest.fixture
def course() -> Course:
    return make_course(modules=(("text", "video"), ("h5p", "h5p")))


@pytest.fixture
def enrolled(learner: User, course: Course) -> Enrolment:
    return services.enrolment_create(user=learner, course=course)


def progress_of(user: User, lesson) -> LessonProgress:
    return LessonProgress.objects.get(user=user, lesson=lesson)


def test_enrolling_twice_keeps_one_enrolment(learner, course):
    first = services.enrolment_create(user=learner, course=course)
    assert services.enrolment_create(user=learner, course=course) == first
    assert Enrolment.objects.filter(user=learner).count() == 1


def test_a_draft_course_cannot_be_enrolled_in(learner):
    with pytest.raises(ValidationError):
        services.enrolment_create(user=learner, course=make_course(published=False))


# xAPI


def test_the_actor_is_the_signed_in_learner_whatever_the_body_says(learner, course, enrolled):
    h5p = lessons_of(course)[2]
    sent = statement(h5p.pk)
    services.xapi_statements_store(user=learner, statements=[sent])
    stored = XAPIStatement.objects.get(statement_id=sent["id"])
    assert stored.user == learner
    assert stored.statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "urn:x-passage:user", "name": str(learner.pk)},
    }
    assert "someone-else" not in str(stored.statement)


def test_an_identical_replay_is_a_no_op(learner, course, enrolled):
    h5p = lessons_of(course)[2]
    sent = statement(h5p.pk, "answered", raw=4, completion=True)
    assert services.xapi_statements_store(user=learner, statements=[sent]) == [sent["id"]]
    completed_at = progress_of(learner, h5p).completed_at
    assert services.xapi_statements_store(user=learner, statements=[sent]) == [sent["id"]]
    assert XAPIStatement.objects.count() == 1
    assert progress_of(learner, h5p).completed_at == completed_at


def test_a_replay_with_different_content_is_a_conflict_and_stores_nothing_of_its_batch(
    learner, course, enrolled
):
    h5p = lessons_of(course)[2]
    first = statement(h5p.pk, "answered", raw=4)
    services.xapi_statements_store(user=learner, statements=[first])
    changed = {**first, "result": {"score": {"raw": 10, "max": 10}}}
    fresh = statement(h5p.pk, "completed")
    with pytest.raises(Conflict) as refused:
        services.xapi_statements_store(user=learner, statements=[fresh, changed])
    assert refused.value.ids == [first["id"]]
    assert not XAPIStatement.objects.filter(statement_id=fresh["id"]).exists()
    assert progress_of(learner, h5p).best_score == 40


def test_another_learner_reusing_an_id_is_a_conflict(learner, course, enrolled):
    h5p = lessons_of(course)[2]
    sent = statement(h5p.pk)
    services.xapi_statements_store(user=learner, statements=[sent])
    other = make_user()
    services.enrolment_create(user=other, course=course)
    with pytest.raises(Conflict):
        services.xapi_statements_store(user=other, statements=[sent])


def test_the_best_score_is_kept(learner, course, enrolled):
    h5p = lessons_of(course)[2]
    for raw in (3, 8, 5):
        services.xapi_statements_store(user=learner, statements=[statement(h5p.pk, "answered", raw=raw)])
    progress = progress_of(learner, h5p)
    assert (progress.best_score, progress.score_raw, progress.score_max) == (80, 8, 10)


def test_completed_or_passed_completes_an_exercise_without_a_threshold(learner, course, enrolled):
    first, second = lessons_of(course)[2:]
    services.xapi_statements_store(user=learner, statements=[statement(first.pk, "completed")])
    services.xapi_statements_store(user=learner, statements=[statement(second.pk, "passed", raw=6)])
    assert progress_of(learner, first).is_complete
    assert progress_of(learner, second).is_complete
    assert progress_of(learner, second).passed


def test_an_answered_statement_that_is_not_complete_does_not_complete(learner, course, enrolled):
    h5p = lessons_of(course)[2]
    services.xapi_statements_store(user=learner, statements=[statement(h5p.pk, "answered", raw=2)])
    assert not progress_of(learner, h5p).is_complete
    services.xapi_statements_store(
        user=learner, statements=[statement(h5p.pk, "answered", raw=2, completion=True)]
    )
    assert progress_of(learner, h5p).is_complete


def test_a_failed_statement_never_completes(learner, course, enrolled):
    h5p = lessons_of(course)[2]
    services.xapi_statements_store(
        user=learner, statements=[statement(h5p.pk, "failed", raw=2, completion=True)]
    )
    assert not progress_of(learner, h5p).is_complete


def test_with_a_threshold_only_the_score_completes(learner, course, enrolled):
    h5p = lessons_of(course)[2]
    h5p.pass_score = 70
    h5p.save()
    services.xapi_statements_store(user=learner, statements=[statement(h5p.pk, "completed", raw=6)])
    assert not progress_of(learner, h5p).is_complete
    services.xapi_statements_store(user=learner, statements=[statement(h5p.pk, "answered", raw=7)])
    assert progress_of(learner, h5p).is_complete


def test_sub_content_statements_are_stored_but_do_not_count(learner, course, enrolled):
    h5p = lessons_of(course)[2]
    services.xapi_statements_store(
        user=learner, statements=[statement(h5p.pk, "completed", raw=10, sub=True)]
    )
    assert XAPIStatement.objects.count() == 1
    assert not LessonProgress.objects.filter(user=learner, lesson=h5p, completed_at__isnull=False).exists()


def test_a_lower_score_later_never_undoes_completion(learner, course, enrolled):
    h5p = lessons_of(course)[2]
    h5p.pass_score = 50
    h5p.save()
    services.xapi_statements_store(user=learner, statements=[statement(h5p.pk, "answered", raw=9)])
    done = progress_of(learner, h5p).completed_at
    services.xapi_statements_store(user=learner, statements=[statement(h5p.pk, "failed", raw=1)])
    progress = progress_of(learner, h5p)
    assert progress.completed_at == done
    assert progress.best_score == 90


def test_statements_for_a_course_one_is_not_enrolled_in_are_refused(learner, course):
    with pytest.raises(PermissionDenied):
        services.xapi_statements_store(user=learner, statements=[statement(lessons_of(course)[2].pk)])
    assert XAPIStatement.objects.count() == 0


def test_statements_for_an_unpublished_course_are_refused(learner, course, enrolled):
    course.status, course.published_at = Course.Status.DRAFT, None
    course.save()
    with pytest.raises(PermissionDenied):
        services.xapi_statements_store(user=learner, statements=[statement(lessons_of(course)[2].pk)])


@pytest.mark.parametrize(
    "broken",
    [
        "not an object",
        {"verb": {"id": VERB + "completed"}, "object": {"id": "x"}},
        {"id": "not-a-uuid", "verb": {"id": VERB + "completed"}, "object": {"id": "x"}},
        {"id": str(uuid.uuid4()), "object": {"id": "x"}},
        {"id": str(uuid.uuid4()), "verb": {"id": VERB + "completed"}},
        {"id": str(uuid.uuid4()), "verb": "completed", "object": {"id": "x"}},
        {
            "id": str(uuid.uuid4()),
            "verb": {"id": VERB + "completed"},
            "object": {"id": "x"},
            "context": {"extensions": {LESSON_EXTENSION: "1"}},
        },
        {
            "id": str(uuid.uuid4()),
            "verb": {"id": VERB + "completed"},
            "object": {"id": "x"},
            "context": {"extensions": {LESSON_EXTENSION: 999_999}},
        },
        {"id": str(uuid.uuid4()), "verb": {"id": VERB + "completed"}, "object": {"id": "x" * 100_000}},
    ],
)
def test_broken_statements_are_refused_with_a_reason(learner, enrolled, broken):
    with pytest.raises(ValidationError) as refused:
        services.xapi_statements_store(user=learner, statements=[broken])
    assert refused.value.messages[0]
    assert XAPIStatement.objects.count() == 0


def test_two_statements_with_one_id_in_a_batch_are_refused(learner, course, enrolled):
    sent = statement(lessons_of(course)[2].pk)
    with pytest.raises(ValidationError):
        services.xapi_statements_store(
            user=learner, statements=[sent, {**sent, "verb": {"id": VERB + "failed"}}]
        )


def test_a_batch_checks_the_enrolment_once_per_course_not_once_per_statement(learner, course, enrolled):
    lesson = lessons_of(course)[2].pk
    # Sub-content answers: stored, counted for nothing, so only the enrolment check reads enrolments.
    batch = [statement(lesson, "answered", sub=True) for _ in range(10)]
    with CaptureQueriesContext(connection) as queries:
        stored = services.xapi_statements_store(user=learner, statements=batch)
    assert len(stored) == 10
    assert sum('FROM "courses_enrolment"' in q["sql"] for q in queries.captured_queries) == 1


def test_too_many_statements_at_once_are_refused(learner, course, enrolled):
    lesson = lessons_of(course)[2].pk
    with pytest.raises(ValidationError):
        services.xapi_statements_store(user=learner, statements=[statement(lesson) for _ in range(51)])


# Text and video


def report(user, lesson, **data):
    return services.progress_report(user=user, lesson=lesson, event_id=uuid.uuid4(), data=data)


def test_a_text_lesson_is_complete_when_read_to_the_end(learner, course, enrolled):
    text = lessons_of(course)[0]
    report(learner, text, position=0.5)
    assert not progress_of(learner, text).is_complete
    report(learner, text, position=1.0, read_to_end=True)
    assert progress_of(learner, text).is_complete


def test_a_text_report_sent_twice_counts_once_and_a_changed_one_is_a_conflict(learner, course, enrolled):
    text = lessons_of(course)[0]
    event = uuid.uuid4()
    assert services.progress_report(
        user=learner, lesson=text, event_id=event, data={"read_to_end": True}
    ).stored
    again = services.progress_report(user=learner, lesson=text, event_id=event, data={"read_to_end": True})
    assert not again.stored
    with pytest.raises(Conflict):
        services.progress_report(user=learner, lesson=text, event_id=event, data={"position": 0.2})


def test_watching_ninety_percent_of_distinct_seconds_completes_a_video(learner, course, enrolled):
    video = lessons_of(course)[1]
    report(learner, video, duration=100, watched=[[0, 50]])
    report(learner, video, duration=100, watched=[[0, 50], [50, 89]])
    assert not progress_of(learner, video).is_complete
    assert progress_of(learner, video).watched_seconds == 89
    report(learner, video, duration=100, watched=[[89, 90.2]])
    assert progress_of(learner, video).is_complete


def test_seeking_to_the_end_of_a_video_does_not_complete_it(learner, course, enrolled):
    video = lessons_of(course)[1]
    # Watched the first ten seconds, jumped to the end and played the last five.
    report(learner, video, duration=300, watched=[[0, 10], [295, 300]], position=300)
    progress = progress_of(learner, video)
    assert progress.watched_seconds == 15
    assert not progress.is_complete


def test_watching_the_same_minute_again_adds_nothing(learner, course, enrolled):
    video = lessons_of(course)[1]
    for _ in range(20):
        report(learner, video, duration=600, watched=[[0, 60]])
    assert progress_of(learner, video).watched_seconds == 60
    assert progress_of(learner, video).watched == [[0, 60]]


def test_a_shorter_duration_reported_later_cannot_lower_the_bar(learner, course, enrolled):
    video = lessons_of(course)[1]
    report(learner, video, duration=600, watched=[[0, 60]])
    report(learner, video, duration=60, watched=[[0, 60]])
    assert not progress_of(learner, video).is_complete
    assert progress_of(learner, video).video_duration == 600


@pytest.mark.parametrize(
    "data",
    [
        {"duration": 100, "watched": [[10, 5]]},
        {"duration": 100, "watched": [[-5, 5]]},
        {"duration": 100, "watched": [[0, float("nan")]]},
        {"duration": 100, "watched": "0-10"},
        {"duration": 100, "watched": [[0, 1, 2]]},
        {"duration": 100, "watched": [[0, True]]},
        {"duration": 0, "watched": [[0, 1]]},
        {"duration": 10**9, "watched": [[0, 1]]},
        {"duration": 100, "watched": [[i, i + 0.5] for i in range(501)]},
        {"position": "end"},
    ],
)
def test_unreadable_video_reports_are_refused_and_change_nothing(learner, course, enrolled, data):
    video = lessons_of(course)[1]
    with pytest.raises(ValidationError):
        report(learner, video, **data)
    assert not LessonProgress.objects.filter(user=learner, lesson=video).exists()


def test_intervals_are_merged_into_whole_seconds():
    assert intervals_merge([[0, 1.5], [1.2, 3], [10, 12], [11, 20], [50, 80]], limit=60) == [
        [0, 3],
        [10, 20],
        [50, 60],
    ]


def test_progress_reports_need_an_enrolment(learner, course):
    with pytest.raises(PermissionDenied):
        report(learner, lessons_of(course)[0], read_to_end=True)


def test_reports_keep_the_resume_point_and_the_last_lesson(learner, course, enrolled):
    video = lessons_of(course)[1]
    report(learner, video, duration=600, watched=[[0, 42]], position=42.5)
    assert progress_of(learner, video).resume_at == 42.5
    enrolled.refresh_from_db()
    assert enrolled.last_lesson == video


# H5P state


def test_the_newest_h5p_state_wins_even_when_an_older_one_arrives_later(learner, course, enrolled):
    h5p = lessons_of(course)[2]
    now = timezone.now()
    assert services.h5p_state_save(user=learner, lesson=h5p, state='{"answers":[2]}', saved_at=now)
    assert not services.h5p_state_save(
        user=learner, lesson=h5p, state='{"answers":[1]}', saved_at=now - timedelta(minutes=5)
    )
    assert H5PUserState.objects.get(user=learner, lesson=h5p).state == '{"answers":[2]}'


def test_an_oversized_h5p_state_is_refused(learner, course, enrolled):
    with pytest.raises(ValidationError):
        services.h5p_state_save(
            user=learner, lesson=lessons_of(course)[2], state="x" * 64_001, saved_at=timezone.now()
        )


# Roll-up


def test_completing_every_lesson_completes_the_course_once_and_issues_one_certificate(
    learner, course, enrolled
):
    text, video, first, second = lessons_of(course)
    report(learner, text, read_to_end=True)
    report(learner, video, duration=10, watched=[[0, 10]])
    services.xapi_statements_store(user=learner, statements=[statement(first.pk, "completed")])
    enrolled.refresh_from_db()
    assert enrolled.completed_at is None
    assert not learner.certificates.exists()
    services.xapi_statements_store(user=learner, statements=[statement(second.pk, "passed")])
    enrolled.refresh_from_db()
    done_at = enrolled.completed_at
    assert done_at is not None
    certificate = learner.certificates.get()
    assert (certificate.course, certificate.hours) == (course, course.estimated_hours)
    # Going over it again changes neither the date nor the certificate.
    services.xapi_statements_store(user=learner, statements=[statement(second.pk, "completed")])
    enrolled.refresh_from_db()
    assert enrolled.completed_at == done_at
    assert learner.certificates.get() == certificate


def test_a_lesson_added_after_completion_leaves_the_course_complete(learner, course, enrolled):
    text, video, first, second = lessons_of(course)
    report(learner, text, read_to_end=True)
    report(learner, video, duration=10, watched=[[0, 10]])
    services.xapi_statements_store(user=learner, statements=[statement(first.pk), statement(second.pk)])
    enrolled.refresh_from_db()
    done_at = enrolled.completed_at
    LessonFactory(module=text.module, kind="text", position=5, body="New.")
    report(learner, text, position=0.5)
    enrolled.refresh_from_db()
    assert enrolled.completed_at == done_at is not None
