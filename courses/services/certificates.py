"""Certificates: issued once per learner and course, when every lesson of the course is complete.

The verification code is what a learner reads out or types, so it is random (60 bits: nobody
guesses one, and lookups are rate-limited besides) and drawn from 32 characters without the
look-alikes 0/O and 1/I. It is stored without dashes; people see it in groups of four.
"""

import re
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from courses.models import Certificate, Course, Lesson, LessonProgress

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12
_NOT_CODE = re.compile(r"[^0-9A-Z]")
# A fresh code colliding with an existing one is a 1-in-2^60 event per certificate; a few
# attempts make a failure practically impossible without looping forever on a broken database.
_CODE_ATTEMPTS = 5


def certificate_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def certificate_code_normalise(raw: str) -> str:
    """The stored form of a code as typed: upper case, without spaces, dashes or dots."""
    return _NOT_CODE.sub("", raw.upper())[: CODE_LENGTH + 4]


def certificate_code_display(code: str) -> str:
    """`K7M2QX9P4HTD` -> `K7M2-QX9P-4HTD`: groups of four are easier to read out and type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def course_complete_for(*, user: User, course: Course) -> bool:
    """True when the course has lessons and the learner has completed every one of them."""
    total = Lesson.objects.filter(module__course=course).count()
    done = LessonProgress.objects.filter(
        user=user, lesson__module__course=course, completed_at__isnull=False
    ).count()
    return total > 0 and done >= total


def certificate_issue(*, user: User, course: Course) -> Certificate:
    """The learner's certificate for a completed course: the existing one, or a new one."""
    existing = Certificate.objects.filter(user=user, course=course).first()
    if existing is not None:
        return existing
    if not course_complete_for(user=user, course=course):
        raise ValidationError(
            _("A certificate is issued only when every lesson of the course is complete."),
            code="course_incomplete",
        )
    for _attempt in range(_CODE_ATTEMPTS):
        try:
            # A savepoint: a refused insert must not break a transaction the caller holds open
            # (the progress service calls this inside its own).
            with transaction.atomic():
                return Certificate.objects.create(
                    code=certificate_code_new(),
                    user=user,
                    course=course,
                    learner_name=(user.get_full_name() or str(user))[:200],
                    course_title=course.title,
                    hours=course.estimated_hours,
                )
        except IntegrityError:
            # Either a concurrent request issued this certificate first (return theirs), or
            # the random code was taken (try another).
            existing = Certificate.objects.filter(user=user, course=course).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not find a free certificate code")  # pragma: no cover
