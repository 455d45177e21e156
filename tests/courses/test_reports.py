"""Course reports: who sees them, the progress table equals its CSV, figures come from the
database in a fixed number of queries, the learner detail and the chart."""

import csv
import io
import itertools
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from accounts.models import Role
from courses.models import Enrolment, LessonProgress
from courses.selectors.reports import course_enrolment_series, course_progress_rows
from courses.views.reports import csv_safe
from tests.counselling.interpreter_factories import make_interpreter
from tests.courses.factories import lessons_of, make_course
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def enrol(course, name, *, done=0, scores=(), days_ago=3):
    user = make_user(Role.MIGRANT, display_name=name)
    now = timezone.now()
    enrolment = Enrolment.objects.create(user=user, course=course, enrolled_at=now - timedelta(days=days_ago))
    for i, lesson in enumerate(lessons_of(course)):
        score = scores[i] if i < len(scores) else None
        if i < done or score is not None:
            LessonProgress.objects.create(
                user=user, lesson=lesson, completed_at=now if i < done else None, best_score=score
            )
    if done == len(lessons_of(course)):
        enrolment.completed_at = now
        enrolment.save()
    return user


@pytest.fixture
def course(author):
    course = make_course(author=author, modules=(("text", "video"), ("h5p", "h5p")))
    enrol(course, "Zainab", done=4, scores=(None, None, 80, 91))
    enrol(course, "amir", done=1, scores=(None, None, 40), days_ago=10)
    enrol(course, '=HYPERLINK("http://x")', done=0)
    return course


class _Table(HTMLParser):
    """The cells of #progress-table: text, and each <time>'s datetime attribute."""

    def __init__(self):
        super().__init__()
        self.rows, self.inside, self.cell = [], False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "progress-table":
            self.inside = True
        elif self.inside and tag == "tr" and "data-user" in attrs:
            self.rows.append([])
        elif self.inside and tag in ("td", "th") and self.rows:
            self.cell = ""
        elif self.inside and tag == "time" and self.cell is not None:
            self.cell += "@" + attrs["datetime"]

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None and not self.cell.startswith("@"):
            self.cell += data


def table_rows(html: str) -> list[tuple]:
    parser = _Table()
    parser.feed(html)
    rows = []
    for name, lessons, score, percent, enrolled, last, completed in parser.rows:
        done, total = (int(x) for x in lessons.split("/"))
        rows.append(
            (
                name,
                done,
                total,
                "" if score == "\u2013" else score.rstrip("%"),
                percent.split()[-1].rstrip("%"),
                enrolled.lstrip("@"),
                last.lstrip("@"),
                "" if completed == "\u2013" else completed.lstrip("@"),
            )
        )
    return rows


def csv_rows(content: bytes) -> list[tuple]:
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    next(reader)
    return [
        (name.removeprefix("'"), int(done), int(total), score, percent, enrolled, last, completed)
        for name, done, total, score, percent, enrolled, last, completed in reader
    ]


def test_the_csv_holds_the_same_rows_and_figures_as_the_table(client_for, author, course):
    client = client_for(author)
    html = client.get(reverse("courses:progress", args=[course.slug])).content.decode()
    response = client.get(reverse("courses:progress_csv", args=[course.slug]))
    content = b"".join(response.streaming_content)

    shown = table_rows(html)
    assert shown == csv_rows(content)
    assert [r[0] for r in shown] == ['=HYPERLINK("http://x")', "amir", "Zainab"]
    assert shown[2][1:5] == (4, 4, "86", "100")  # mean of 80 and 91, rounded
    assert shown[1][1:5] == (1, 4, "40", "25")
    assert shown[0][3] == ""  # no score yet


def test_the_csv_is_marked_as_personal_data_and_defuses_formulas(client_for, author, course):
    response = client_for(author).get(reverse("courses:progress_csv", args=[course.slug]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response["Content-Type"].startswith("text/csv")
    assert "personal-data" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert '"\'=HYPERLINK(""http://x"")"' in text


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(value):
    assert csv_safe(value) == "'" + value


def test_ordinary_cells_stay_as_they_are():
    assert csv_safe("Amina") == "Amina" and csv_safe(42) == "42" and csv_safe(None) == ""


def test_the_rows_take_the_same_number_of_queries_for_few_or_many_learners(author):
    small = make_course(author=author, modules=(("text", "h5p"),))
    large = make_course(author=author, modules=(("text", "h5p"),))
    enrol(small, "One", done=1)
    for n in range(12):
        enrol(large, f"Learner {n}", done=n % 3, scores=(None, 50 + n))

    def queries(course):
        with CaptureQueriesContext(connection) as captured:
            rows = course_progress_rows(course=course)
            list(rows[0:50])
            list(rows)
        return len(captured)

    # The lesson count, a page, the CSV (and nothing per learner).
    assert queries(small) == queries(large) <= 4


def test_the_progress_page_is_paginated(client_for, author, settings):
    course = make_course(author=author, modules=(("text",),))
    for n in range(55):
        enrol(course, f"Learner {n:02}")

    html = (
        client_for(author).get(reverse("courses:progress", args=[course.slug]), {"page": 2}).content.decode()
    )

    assert len(table_rows(html)) == 5
    assert "Page 2 of 2" in html


def test_the_progress_page_takes_as_many_queries_for_many_learners(client_for, author):
    small = make_course(author=author)
    large = make_course(author=author)
    enrol(small, "One")
    for n in range(20):
        enrol(large, f"Learner {n}", done=1)
    client = client_for(author)
    client.get(reverse("courses:progress", args=[small.slug]))  # warm caches (session, roles)

    def queries(course):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("courses:progress", args=[course.slug])).status_code == 200
        return len(captured)

    assert queries(small) == queries(large)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_see_every_course(client_for, course, role):
    client = client_for(make_user(role))

    assert client.get(reverse("courses:progress", args=[course.slug])).status_code == 200
    assert course.title in client.get(reverse("courses:report_list")).content.decode()


def test_another_author_is_told_the_course_does_not_exist(client_for, course):
    other = client_for(make_user(Role.AUTHOR))

    assert other.get(reverse("courses:progress", args=[course.slug])).status_code == 404
    assert other.get(reverse("courses:progress_csv", args=[course.slug])).status_code == 404
    assert course.title not in other.get(reverse("courses:report_list")).content.decode()


@pytest.mark.parametrize("role", [Role.MIGRANT, Role.COUNSELLOR, Role.INTERPRETER])
def test_learners_and_other_staff_may_not_see_reports(client_for, course, role):
    client = client_for(make_interpreter() if role == Role.INTERPRETER else make_user(role))

    assert client.get(reverse("courses:progress", args=[course.slug])).status_code == 403
    assert client.get(reverse("courses:progress_csv", args=[course.slug])).status_code == 403


def test_the_course_list_shows_learners_and_completion_rate(client_for, coordinator, course):
    html = client_for(coordinator).get(reverse("courses:report_list")).content.decode()

    assert '<td class="num">3</td>' in html  # learners
    assert '<td class="num">33%</td>' in html  # 1 of 3 completed


def test_the_learner_detail_shows_each_lesson(client_for, author, course):
    learner = Enrolment.objects.get(course=course, user__display_name="amir").user
    video = lessons_of(course)[1]
    LessonProgress.objects.filter(user=learner, lesson=video).delete()
    LessonProgress.objects.create(user=learner, lesson=video, watched_seconds=30, video_duration=120)

    html = (
        client_for(author)
        .get(reverse("courses:progress_learner", args=[course.slug, learner.pk]))
        .content.decode()
    )

    assert html.count("lesson-report__item--complete") == 1
    assert "Watched 30 of 120 seconds" in html
    assert "Best score: 40%" in html
    assert "Not started" in html


def test_the_learner_detail_of_someone_not_enrolled_does_not_exist(client_for, author, course):
    url = reverse("courses:progress_learner", args=[course.slug, make_user(Role.MIGRANT).pk])

    assert client_for(author).get(url).status_code == 404


def test_the_series_counts_enrolments_and_completions_cumulatively(course):
    zone = timezone.get_current_timezone()
    step, points = course_enrolment_series(course=course, zone=zone, today=timezone.now().date())

    assert step == "day"
    assert next(p.enrolled for p in points) == 1
    assert points[-1].enrolled == 3 and points[-1].completed == 1
    assert all(a.enrolled <= b.enrolled for a, b in itertools.pairwise(points))


def test_the_chart_is_an_accessible_svg_with_its_figures_in_a_table(client_for, author, course):
    html = client_for(author).get(reverse("courses:progress", args=[course.slug])).content.decode()

    assert '<svg class="chart"' in html and 'role="img"' in html
    assert "<title id=" in html and "<desc id=" in html
    assert "3 enrolled, 1 completed" in html
    assert "Show the figures" in html


def test_the_chart_runs_right_to_left_in_arabic(client_for, author, course):
    author.language = "ar"
    author.save()

    html = client_for(author).get(reverse("courses:progress", args=[course.slug])).content.decode()

    assert 'dir="rtl"' in html and "<svg" in html


def test_the_report_paths_are_not_taken_for_course_slugs():
    assert resolve("/courses/reports/").view_name == "courses:report_list"
