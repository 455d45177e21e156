"""Learner pages: catalogue, course page, enrolling, lessons, My learning."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import Category, Enrolment, LessonProgress, Level
from courses.selectors import learning as selectors
from courses.services.progress import enrolment_create
from tests.courses.factories import lessons_of, make_course
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_catalogue_lists_published_courses_with_lessons_only(client):
    shown = make_course(title="German A1")
    make_course(title="Draft course", published=False)
    make_course(title="Empty course", modules=())
    page = client.get(reverse("courses:catalogue"))
    assert page.status_code == 200
    assert list(page.context["page"].object_list) == [shown]


def test_the_catalogue_filters_by_language_level_and_category(client):
    german = make_course(title="German A1", language="en", language_taught="de", level=Level.A1)
    safety = make_course(
        title="Staying safe online", language="ar", language_taught="", category=Category.DIGITAL
    )
    found = lambda **query: list(client.get(reverse("courses:catalogue"), query).context["page"].object_list)  # noqa: E731
    assert found(language="de") == [german]
    assert found(language="ar") == [safety]
    assert found(level="a1") == [german]
    assert found(category="digital_literacy") == [safety]
    # A value that is not a choice counts as "any", never as an error.
    assert client.get(reverse("courses:catalogue"), {"level": "zz"}).status_code == 200


def test_a_visitor_sees_the_outline_but_no_lesson_links(client):
    course = make_course()
    page = client.get(reverse("courses:course", args=[course.slug]))
    assert page.status_code == 200
    assert (
        reverse("courses:lesson", args=[course.slug, lessons_of(course)[0].pk]) not in page.content.decode()
    )


def test_a_draft_course_page_is_not_found(client):
    assert client.get(reverse("courses:course", args=[make_course(published=False).slug])).status_code == 404


def test_enrolling_opens_the_first_lesson_and_twice_is_harmless(client_for):
    learner = make_user()
    course = make_course()
    client = client_for(learner)
    first = client.post(reverse("courses:enrol", args=[course.slug]))
    assert first.url == reverse("courses:lesson", args=[course.slug, lessons_of(course)[0].pk])
    client.post(reverse("courses:enrol", args=[course.slug]))
    assert Enrolment.objects.filter(user=learner, course=course).count() == 1


def test_a_lesson_needs_an_enrolment(client_for):
    course = make_course()
    response = client_for(make_user()).get(
        reverse("courses:lesson", args=[course.slug, lessons_of(course)[0].pk])
    )
    assert response.url == reverse("courses:course", args=[course.slug])


def test_a_lesson_of_another_course_is_not_found(client_for):
    learner = make_user()
    course, other = make_course(), make_course()
    enrolment_create(user=learner, course=course)
    url = reverse("courses:lesson", args=[course.slug, lessons_of(other)[0].pk])
    assert client_for(learner).get(url).status_code == 404


def test_opening_a_lesson_makes_it_the_place_to_continue(client_for):
    learner = make_user()
    course = make_course(modules=(("text", "text", "text"),))
    enrolment_create(user=learner, course=course)
    second = lessons_of(course)[1]
    client = client_for(learner)
    assert client.get(reverse("courses:lesson", args=[course.slug, second.pk])).status_code == 200
    my_learning = client.get(reverse("courses:my_learning"))
    assert my_learning.context["cards"][0].continue_lesson == second


def test_continue_skips_to_the_next_lesson_not_done(client_for):
    learner = make_user()
    course = make_course(modules=(("text", "text"), ("text",)))
    enrolment = enrolment_create(user=learner, course=course)
    first, second, third = lessons_of(course)
    LessonProgress.objects.create(user=learner, lesson=first, completed_at=enrolment.enrolled_at)
    LessonProgress.objects.create(user=learner, lesson=second, completed_at=enrolment.enrolled_at)
    enrolment.last_lesson = second
    enrolment.save()
    cards = selectors.learner_enrolments(user=learner)
    assert cards[0].continue_lesson == third
    assert (cards[0].tally.done, cards[0].tally.total, cards[0].tally.percent) == (2, 3, 66)


def test_the_lesson_page_shows_module_and_course_progress(client_for):
    learner = make_user()
    course = make_course(modules=(("text", "text"), ("text",)))
    enrolment = enrolment_create(user=learner, course=course)
    first, second, _third = lessons_of(course)
    LessonProgress.objects.create(user=learner, lesson=first, completed_at=enrolment.enrolled_at)
    page = client_for(learner).get(reverse("courses:lesson", args=[course.slug, second.pk]))
    assert (page.context["module_row"].tally.done, page.context["module_row"].tally.total) == (1, 2)
    assert (page.context["outline"].tally.done, page.context["outline"].tally.total) == (1, 3)
    html = page.content.decode()
    assert 'id="bar-module" data-done="1" data-total="2"' in html
    assert 'id="bar-course" data-done="1" data-total="3"' in html


def test_an_h5p_lesson_is_played_in_a_sandbox_without_the_session(client_for):
    learner = make_user()
    course = make_course(modules=(("h5p",),))
    enrolment_create(user=learner, course=course)
    html = (
        client_for(learner)
        .get(reverse("courses:lesson", args=[course.slug, lessons_of(course)[0].pk]))
        .content
    )
    assert b'sandbox="allow-scripts"' in html
    assert b"allow-same-origin" not in html


def test_a_video_never_autoplays_and_data_saver_loads_nothing_before_play(client_for):
    learner = make_user()
    course = make_course(modules=(("video",),))
    enrolment_create(user=learner, course=course)
    url = reverse("courses:lesson", args=[course.slug, lessons_of(course)[0].pk])
    client = client_for(learner)
    assert b"autoplay" not in client.get(url).content
    learner.data_saver = True
    learner.save()
    html = client.get(url).content.decode()
    assert 'preload="none"' in html
    assert "poster=" not in html


def test_the_course_outline_takes_a_fixed_number_of_queries():
    learner = make_user()
    small = make_course(modules=(("text",),))
    big = make_course(modules=(("text",) * 5, ("video",) * 5, ("h5p",) * 3))
    for course in (small, big):
        enrolment_create(user=learner, course=course)
    counts = []
    for course in (small, big):
        with CaptureQueriesContext(connection) as queries:
            selectors.course_outline(course=course, user=learner)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5


def test_my_learning_takes_a_fixed_number_of_queries():
    learner = make_user()
    enrolment_create(user=learner, course=make_course())
    with CaptureQueriesContext(connection) as one:
        selectors.learner_enrolments(user=learner)
    for _ in range(4):
        enrolment_create(user=learner, course=make_course())
    with CaptureQueriesContext(connection) as five:
        cards = selectors.learner_enrolments(user=learner)
    assert len(cards) == 5
    assert len(one) == len(five) == 3


def test_the_dashboard_offers_to_continue_the_course_in_progress(client_for):
    learner = make_user()
    course = make_course(modules=(("text", "text"),), title="Everyday German")
    enrolment_create(user=learner, course=course)
    html = client_for(learner).get(reverse("frontend:dashboard")).content.decode()
    assert "Continue learning" in html
    assert reverse("courses:lesson", args=[course.slug, lessons_of(course)[0].pk]) in html


def test_the_dashboard_leads_a_learner_without_a_course_to_the_catalogue(client_for):
    html = client_for(make_user()).get(reverse("frontend:dashboard")).content.decode()
    assert reverse("courses:catalogue") in html


def test_staff_who_take_no_course_get_no_learning_card(client_for):
    from accounts.models import Role

    html = client_for(make_user(Role.COUNSELLOR)).get(reverse("frontend:dashboard")).content.decode()
    assert "Continue learning" not in html
    assert reverse("courses:catalogue") not in html


def test_the_outline_shows_what_each_lesson_weighs():
    from courses.models import LessonImage

    course = make_course(modules=(("text", "h5p"),))
    text, exercise = lessons_of(course)
    text.body = "x" * 2000
    text.save()
    LessonImage.objects.create(lesson=text, image="courses/images/a.png", alt="A map", size_bytes=30_000)
    LessonImage.objects.create(lesson=text, image="courses/images/b.png", alt="A bus", size_bytes=10_000)
    rows = selectors.course_outline(course=course, user=None).lessons
    assert rows[0].content_bytes == 42_000
    assert rows[1].content_bytes == exercise.h5p.size_bytes
