"""Learning records: enrolments, xAPI statements, progress reports and what they complete.

Progress is a state that only moves forward, never an increment: a lesson once complete stays
complete, the best score is kept, and watched video seconds are a union of intervals. A report
sent twice (a retry, an offline queue replayed) therefore changes nothing the second time; the
ids chosen by the browser (`XAPIStatement.statement_id`, `ProgressEvent.event_id`) make the
replay visible, and a replay with different content is refused as a conflict.

Completion rules (issue "Courses"):
- text: read to the end;
- video: at least `VIDEO_SHARE` of its distinct seconds watched (seeking does not count, because
  only the intervals the browser actually played are reported);
- H5P: a top-level completed or passed statement, or an answered one that says it is complete;
  when the author set a score that completes it, that score instead.
A course is complete when every lesson is; its certificate is issued then.
"""

import hashlib
import json
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from courses.models import (
    Course,
    Enrolment,
    H5PUserState,
    Lesson,
    LessonProgress,
    ProgressEvent,
    XAPIStatement,
)

VIDEO_SHARE = 0.9
# The lesson a statement belongs to travels in a context extension set by the lesson page (the
# player never knows it). Sub-content statements carry H5P's own extension and are stored only.
LESSON_EXTENSION = "urn:x-passage:lesson"
SUBCONTENT_EXTENSION = "http://h5p.org/x-api/h5p-subContentId"
VERBS_THAT_COUNT = {
    "http://adlnet.gov/expapi/verbs/completed": "completed",
    "http://adlnet.gov/expapi/verbs/answered": "answered",
    "http://adlnet.gov/expapi/verbs/passed": "passed",
    "http://adlnet.gov/expapi/verbs/failed": "failed",
}
MAX_STATEMENTS = 50
MAX_STATEMENT_BYTES = 32_000
MAX_STATE_CHARS = 64_000
MAX_VIDEO_SECONDS = 6 * 60 * 60
MAX_INTERVALS = 500


class Conflict(Exception):
    """The id was used before for something else (HTTP 409)."""

    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(", ".join(ids))
        self.ids = list(ids)


@dataclass(frozen=True)
class Outcome:
    """What one report changed: the lesson's progress, and whether it was new."""

    progress: LessonProgress | None
    stored: bool


def enrolment_create(*, user: User, course: Course) -> Enrolment:
    """Enrol a learner in a published course; enrolling twice returns the first enrolment."""
    if course.status != Course.Status.PUBLISHED:
        raise ValidationError(_("This course is not open for learners yet."), code="not_published")
    try:
        with transaction.atomic():
            enrolment, _created = Enrolment.objects.get_or_create(user=user, course=course)
    except IntegrityError:  # two taps at once: the other one enrolled
        enrolment = Enrolment.objects.get(user=user, course=course)
    return enrolment


def _enrolment_for(*, user: User, lesson: Lesson) -> Enrolment:
    # An unpublished course is closed to learners until its author publishes it again.
    if lesson.module.course.status != Course.Status.PUBLISHED:
        raise PermissionDenied(_("This course is not open for learners at the moment."))
    enrolment = Enrolment.objects.filter(user=user, course_id=lesson.module.course_id).first()
    if enrolment is None:
        raise PermissionDenied(_("Enrol in this course first."))
    return enrolment


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _actor(user: User) -> dict[str, Any]:
    # The actor is who is signed in, whatever the body says; no e-mail address leaves the server.
    return {"objectType": "Agent", "account": {"homePage": "urn:x-passage:user", "name": str(user.pk)}}


@dataclass(frozen=True)
class _Checked:
    statement_id: uuid.UUID
    statement: dict[str, Any]
    digest: str
    verb: str
    object_id: str
    lesson_id: int | None
    top_level: bool


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _check_statement(raw: Any, *, user: User) -> _Checked:
    if not isinstance(raw, dict):
        raise ValidationError(_("Each statement must be a JSON object."), code="invalid")
    if len(json.dumps(raw)) > MAX_STATEMENT_BYTES:
        raise ValidationError(_("This statement is too large."), code="too_large")
    try:
        statement_id = uuid.UUID(str(raw.get("id", "")))
    except ValueError:
        raise ValidationError(_("Each statement needs an id (a UUID)."), code="invalid") from None
    verb = raw.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    target = raw.get("object")
    object_id = target.get("id") if isinstance(target, dict) else None
    if not isinstance(verb_id, str) or not verb_id or len(verb_id) > 255:
        raise ValidationError(_("The statement has no verb."), code="invalid")
    if not isinstance(object_id, str) or not object_id or len(object_id) > 2048:
        raise ValidationError(_("The statement has no object."), code="invalid")
    extensions = _object(_object(raw.get("context")).get("extensions"))
    lesson = extensions.get(LESSON_EXTENSION)
    if lesson is not None and (isinstance(lesson, bool) or not isinstance(lesson, int)):
        raise ValidationError(_("The statement names a lesson that does not exist."), code="invalid")
    statement = {**raw, "id": str(statement_id), "actor": _actor(user)}
    statement.pop("stored", None)
    statement.pop("authority", None)
    return _Checked(
        statement_id=statement_id,
        statement=statement,
        digest=_digest(statement),
        verb=verb_id,
        object_id=object_id,
        lesson_id=lesson,
        top_level=SUBCONTENT_EXTENSION not in extensions,
    )


def _score_percent(result: dict[str, Any]) -> tuple[int | None, float | None, float | None]:
    score = _object(result.get("score"))
    raw, top, scaled = score.get("raw"), score.get("max"), score.get("scaled")
    number = (int, float)
    if (
        isinstance(raw, number)
        and isinstance(top, number)
        and not isinstance(raw, bool)
        and math.isfinite(raw)
        and math.isfinite(top)
        and top > 0
    ):
        return max(0, min(100, math.floor(100 * raw / top + 1e-9))), float(raw), float(top)
    if isinstance(scaled, number) and not isinstance(scaled, bool) and math.isfinite(scaled):
        return max(0, min(100, math.floor(100 * scaled + 1e-9))), None, None
    return None, None, None


def xapi_statements_store(*, user: User, statements: Iterable[Any]) -> list[str]:
    """Store xAPI statements for the signed-in learner and apply the top-level ones to their
    progress. All or nothing: a conflicting id anywhere refuses the whole batch (`Conflict`)."""
    batch = list(statements)
    if not batch:
        raise ValidationError(_("Send at least one statement."), code="invalid")
    if len(batch) > MAX_STATEMENTS:
        raise ValidationError(
            _("Send at most %(count)d statements at a time.") % {"count": MAX_STATEMENTS}, code="too_many"
        )
    checked = [_check_statement(raw, user=user) for raw in batch]
    if len({c.statement_id for c in checked}) != len(checked):
        raise ValidationError(_("Two statements in this batch have the same id."), code="invalid")
    lessons = {
        lesson.pk: lesson
        for lesson in Lesson.objects.select_related("module__course").filter(
            pk__in={c.lesson_id for c in checked if c.lesson_id is not None}
        )
    }
    if any(c.lesson_id is not None and c.lesson_id not in lessons for c in checked):
        raise ValidationError(_("The statement names a lesson that does not exist."), code="invalid")
    with transaction.atomic():
        known = {
            str(row.statement_id): row.digest
            for row in XAPIStatement.objects.select_for_update().filter(
                statement_id__in=[c.statement_id for c in checked]
            )
        }
        conflicts = [
            str(c.statement_id) for c in checked if known.get(str(c.statement_id), c.digest) != c.digest
        ]
        if conflicts:
            raise Conflict(conflicts)
        enrolled: set[int] = set()  # courses checked once per batch
        for item in checked:
            if str(item.statement_id) in known:
                continue  # an identical replay: nothing to do
            lesson = lessons.get(item.lesson_id) if item.lesson_id is not None else None
            if lesson is not None and lesson.module.course_id not in enrolled:
                _enrolment_for(user=user, lesson=lesson)
                enrolled.add(lesson.module.course_id)
            try:
                with transaction.atomic():
                    XAPIStatement.objects.create(
                        statement_id=item.statement_id,
                        user=user,
                        lesson=lesson,
                        verb=item.verb,
                        object_id=item.object_id,
                        statement=item.statement,
                        digest=item.digest,
                    )
            except IntegrityError:
                # The same id arrived at the same moment on another request; compare with it.
                other = XAPIStatement.objects.get(statement_id=item.statement_id)
                if other.digest != item.digest:
                    raise Conflict([str(item.statement_id)]) from None
                continue
            if lesson is not None and item.top_level and item.verb in VERBS_THAT_COUNT:
                _apply_result(
                    user=user, lesson=lesson, verb=VERBS_THAT_COUNT[item.verb], statement=item.statement
                )
    return [str(c.statement_id) for c in checked]


def _progress_for_update(*, user: User, lesson: Lesson) -> LessonProgress:
    progress, _created = LessonProgress.objects.select_for_update().get_or_create(user=user, lesson=lesson)
    return progress


def _apply_result(*, user: User, lesson: Lesson, verb: str, statement: dict[str, Any]) -> None:
    result = _object(statement.get("result"))
    percent, raw, top = _score_percent(result)
    progress = _progress_for_update(user=user, lesson=lesson)
    if percent is not None and (progress.best_score is None or percent > progress.best_score):
        progress.best_score, progress.score_raw, progress.score_max = percent, raw, top
    if verb == "passed" or (result.get("success") is True and verb != "failed"):
        progress.passed = True
    if lesson.pass_score is not None:
        done = progress.best_score is not None and progress.best_score >= lesson.pass_score
    else:
        done = verb in ("completed", "passed") or (verb == "answered" and result.get("completion") is True)
    _save(progress, lesson=lesson, complete=done)


def _save(progress: LessonProgress, *, lesson: Lesson, complete: bool) -> None:
    """Save the progress and move the enrolment's "continue" point. `lesson` is the one the
    caller holds (with its module loaded), so that nothing is read again."""
    now = timezone.now()
    progress.updated_at = now
    newly_complete = complete and progress.completed_at is None
    if newly_complete:
        progress.completed_at = now
    progress.save()
    enrolment = Enrolment.objects.select_for_update().get(
        user_id=progress.user_id, course_id=lesson.module.course_id
    )
    enrolment.last_lesson = lesson
    enrolment.last_activity_at = now
    enrolment.save(update_fields=["last_lesson", "last_activity_at"])
    if newly_complete and enrolment.completed_at is None:
        _course_check_complete(enrolment=enrolment, now=now)


def _course_check_complete(*, enrolment: Enrolment, now: datetime) -> None:
    lessons = Lesson.objects.filter(module__course_id=enrolment.course_id)
    done = LessonProgress.objects.filter(
        user_id=enrolment.user_id, lesson__in=lessons, completed_at__isnull=False
    ).count()
    if done < lessons.count():
        return
    enrolment.completed_at = now
    enrolment.save(update_fields=["completed_at"])
    from courses.services.certificates import certificate_issue

    certificate_issue(user=enrolment.user, course=enrolment.course)


def intervals_merge(intervals: Iterable[Sequence[float]], *, limit: int) -> list[list[int]]:
    """Whole seconds covered by `intervals`, as sorted, non-overlapping [start, end) pairs
    clipped to [0, limit). A second counts when any part of it was played."""
    spans = sorted(
        (max(0, math.floor(start)), min(limit, math.ceil(end))) for start, end in intervals if end > start
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _intervals(value: Any) -> list[tuple[float, float]]:
    if not isinstance(value, list) or len(value) > MAX_INTERVALS:
        raise ValidationError(_("The watched parts of the video are not readable."), code="invalid")
    spans = []
    for pair in value:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(
                isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in pair
            )
            or pair[0] < 0
            or pair[1] < pair[0]
        ):
            raise ValidationError(_("The watched parts of the video are not readable."), code="invalid")
        spans.append((float(pair[0]), float(pair[1])))
    return spans


def progress_report(*, user: User, lesson: Lesson, event_id: uuid.UUID, data: dict[str, Any]) -> Outcome:
    """Apply a progress report from a lesson page: `{"read_to_end": true, "position": 0.4}` for
    text, `{"duration": 312, "watched": [[0, 40.5], ...], "position": 40.5}` for video, or just a
    resume `position`. A report sent twice counts once (`event_id`)."""
    _enrolment_for(user=user, lesson=lesson)
    position = data.get("position")
    if position is not None and (
        isinstance(position, bool) or not isinstance(position, int | float) or not math.isfinite(position)
    ):
        raise ValidationError(_("The place in the lesson is not readable."), code="invalid")
    watched: list[tuple[float, float]] = []
    duration = None
    if lesson.kind == Lesson.Kind.VIDEO and ("watched" in data or "duration" in data):
        duration = data.get("duration")
        if (
            isinstance(duration, bool)
            or not isinstance(duration, int | float)
            or not 0 < duration <= MAX_VIDEO_SECONDS
        ):
            raise ValidationError(_("The length of the video is not readable."), code="invalid")
        watched = _intervals(data.get("watched", []))
    read_to_end = data.get("read_to_end") is True and lesson.kind == Lesson.Kind.TEXT
    digest = _digest({"lesson": lesson.pk, "data": data})
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProgressEvent.objects.create(event_id=event_id, user=user, lesson=lesson, digest=digest)
        except IntegrityError:
            other = ProgressEvent.objects.get(event_id=event_id)
            if other.digest != digest or other.user_id != user.pk:
                raise Conflict([str(event_id)]) from None
            return Outcome(
                progress=LessonProgress.objects.filter(user=user, lesson=lesson).first(), stored=False
            )
        progress = _progress_for_update(user=user, lesson=lesson)
        if position is not None:
            progress.resume_at = max(0.0, min(float(position), float(MAX_VIDEO_SECONDS)))
        complete = False
        if lesson.kind == Lesson.Kind.TEXT:
            progress.read_to_end = progress.read_to_end or read_to_end
            complete = progress.read_to_end
        elif lesson.kind == Lesson.Kind.VIDEO and duration is not None:
            # The first duration reported stands, so that a later, shorter one cannot shrink
            # the 90% asked for.
            progress.video_duration = progress.video_duration or math.ceil(duration)
            limit = progress.video_duration
            progress.watched = intervals_merge([*progress.watched, *watched], limit=limit)
            progress.watched_seconds = sum(end - start for start, end in progress.watched)
            complete = progress.watched_seconds >= VIDEO_SHARE * limit
        _save(progress, lesson=lesson, complete=complete or progress.completed_at is not None)
    return Outcome(progress=progress, stored=True)


def h5p_state_save(*, user: User, lesson: Lesson, state: str, saved_at: datetime) -> bool:
    """Keep the H5P player's state so the learner resumes inside the activity. A state saved
    earlier than the one stored (an old one replayed from an offline queue) is ignored."""
    if lesson.kind != Lesson.Kind.H5P:
        raise ValidationError(_("This lesson has no exercise."), code="invalid")
    if len(state) > MAX_STATE_CHARS:
        raise ValidationError(_("The saved exercise is too large."), code="too_large")
    _enrolment_for(user=user, lesson=lesson)
    saved_at = min(saved_at, timezone.now())
    with transaction.atomic():
        row = H5PUserState.objects.select_for_update().filter(user=user, lesson=lesson).first()
        if row is None:
            try:
                with transaction.atomic():
                    H5PUserState.objects.create(user=user, lesson=lesson, state=state, updated_at=saved_at)
                return True
            except IntegrityError:
                row = H5PUserState.objects.select_for_update().get(user=user, lesson=lesson)
        if row.updated_at >= saved_at:
            return False
        row.state, row.updated_at = state, saved_at
        row.save(update_fields=["state", "updated_at"])
    return True


def lesson_open(*, user: User, lesson: Lesson) -> None:
    """Remember the lesson a learner opened, for "continue where you left off"."""
    Enrolment.objects.filter(user=user, course_id=lesson.module.course_id).update(
        last_lesson=lesson, last_activity_at=timezone.now()
    )
    LessonProgress.objects.get_or_create(user=user, lesson=lesson)
