"""Dashboard cards that courses contributes; registered in CoursesConfig.ready()."""

from django.utils.translation import gettext as _

from accounts.models import Role, User
from courses.selectors.authoring import completion_rate, course_list_for_author
from courses.selectors.learning import learner_enrolments
from frontend.dashboard import Card

CARD_COURSES = 5


def author_courses_card(user: User) -> Card | None:
    """Course authors: their courses with learners and completion rate (the newest changes)."""
    if not user.has_role(Role.AUTHOR):
        return None
    courses = list(course_list_for_author(user=user)[: CARD_COURSES + 1])
    for course in courses:
        course.completion = completion_rate(course)  # type: ignore[attr-defined]
    return Card(
        title=_("My courses"),
        template="courses/cards/author_courses.html",
        context={"courses": courses[:CARD_COURSES], "more": len(courses) > CARD_COURSES},
        order=20,
    )


def continue_learning_card(user: User) -> Card | None:
    """Learners: the course they were last busy with, its progress and "Continue"; for people
    who take no course yet (and are not staff), a way to the catalogue."""
    cards = learner_enrolments(user=user)
    if not cards and user.role_set - {Role.MIGRANT}:
        return None
    current = next((card for card in cards if card.enrolment.completed_at is None), None)
    return Card(
        title=_("Continue learning") if current else _("Learn"),
        template="courses/cards/continue_learning.html",
        context={"current": current, "others": len(cards) - (1 if current else 0)},
        order=30,
    )
