"""Writes of course authoring: courses, modules, lessons, lesson images, publishing.

Every function checks that the person may change the course (its author or an administrator),
locks the course row so that two editors' reorderings cannot interleave, keeps positions dense
(0..n-1) and touches `Course.updated_at`.

Uploaded files are checked (`courses.uploads`) before anything is written, stored under a
random name (never the uploader's), removed again if the transaction fails, and a replaced file
is removed only after the commit.

Deleting content learners have worked on: while a course is published, a lesson that any
learner has progress in cannot be deleted (nor a module holding one), and the last lesson of a
published course cannot be deleted either. Moodle deletes such progress with a warning; here the
author unpublishes first, a deliberate step learners notice (the course leaves the catalogue),
after which deletion removes that lesson's progress. Enrolments and certificates stay.
"""

import uuid
from collections.abc import Callable, Iterable
from typing import IO, Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Role, User
from courses import uploads
from courses.models import Course, H5PContent, Lesson, LessonImage, LessonProgress, Module
from courses.selectors.authoring import author_may_edit, course_publish_problems

Direction = Literal["up", "down"]
# Slugs that would collide with fixed paths under courses/ (courses/urls.py puts the
# `courses/<slug>/` pages last, so these paths win and such a course would be unreachable).
RESERVED_SLUGS = frozenset(
    {"new", "author", "learn", "catalogue", "h5p", "reports", "verify", "certificates"}
)
SLUG_MAX = 80


# --- Helpers ----------------------------------------------------------------------------------


def _may_author(user: User) -> None:
    if not (user.has_role(Role.AUTHOR) or user.has_role(Role.ADMIN)):
        raise PermissionDenied(_("Only course authors can do this."))


def _lock(*, user: User, course: Course) -> Course:
    """Check permission and lock the course row for the rest of the transaction."""
    if not author_may_edit(user=user, course=course):
        raise PermissionDenied(_("Only the author of this course can change it."))
    return Course.objects.select_for_update().get(pk=course.pk)


def _touch(course: Course) -> None:
    course.updated_at = timezone.now()
    Course.objects.filter(pk=course.pk).update(updated_at=course.updated_at)


def _renumber(items: Iterable[Any]) -> None:
    """Positions 0..n-1 in the given order, writing only the rows that change."""
    changed: list[Any] = []
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            changed.append(item)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])


class _Files:
    """Files written during one service call: removed if it fails, and the files they replace
    removed only once it has committed."""

    def __init__(self) -> None:
        self.written: list[FieldFile] = []

    def put(self, field: FieldFile, file: IO[bytes], extension: str) -> None:
        old = field.name
        field.save(f"{uuid.uuid4().hex}.{extension}", File(file), save=False)
        self.written.append(field)
        if old:
            storage, name = field.storage, str(old)
            transaction.on_commit(lambda: storage.delete(name))

    def discard(self) -> None:
        for field in self.written:
            if field.name:
                field.storage.delete(field.name)


def _with_files(work: Callable[[_Files], Any]) -> Any:
    files = _Files()
    try:
        with transaction.atomic():
            return work(files)
    except BaseException:
        files.discard()
        raise


def _slug_for(title: str) -> str:
    """From the title; titles in other scripts (Arabic, Persian...) give no Latin letters, so
    those courses are `course`, `course-2`... A slug never changes after creation."""
    base = slugify(title)[: SLUG_MAX - 6].strip("-") or "course"
    if base in RESERVED_SLUGS:
        base = f"{base}-course"
    taken = set(Course.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _clean(instance: Course | Module | Lesson | LessonImage, *, exclude: list[str] | None = None) -> None:
    instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    if isinstance(instance, Course):
        # The model stores codes; only the platform's languages make sense to learners.
        known = {code for code, _name in settings.LANGUAGES}
        errors = {}
        if instance.language not in known:
            errors["language"] = _("Choose a language from the list.")
        if instance.language_taught and instance.language_taught not in known:
            errors["language_taught"] = _("Choose a language from the list.")
        if errors:
            raise ValidationError(errors)


# --- Courses ----------------------------------------------------------------------------------

COURSE_FIELDS = (
    "title",
    "summary",
    "language",
    "language_taught",
    "level",
    "category",
    "audience",
    "estimated_hours",
)


def course_create(
    *,
    author: User,
    title: str,
    summary: str,
    language: str,
    category: str,
    estimated_hours: int,
    language_taught: str = "",
    level: str = "any",
    audience: str = "",
    cover: IO[bytes] | None = None,
) -> Course:
    """A draft course by `author`, with a unique slug made from its title."""
    _may_author(author)
    checked = uploads.image_check(cover) if cover is not None else None

    def work(files: _Files) -> Course:
        now = timezone.now()
        course = Course(
            author=author,
            title=title,
            summary=summary,
            language=language,
            language_taught=language_taught,
            level=level,
            category=category,
            audience=audience,
            estimated_hours=estimated_hours,
            created_at=now,
            updated_at=now,
        )
        _clean(course, exclude=["slug"])
        if cover is not None and checked is not None:
            files.put(course.cover, cover, checked.extension)
        # Two authors may pick the same title at once: the unique index decides, we retry.
        for _attempt in range(5):
            course.slug = _slug_for(title)
            try:
                with transaction.atomic():
                    course.save()
                return course
            except IntegrityError:
                continue
        course.slug = f"course-{uuid.uuid4().hex[:12]}"
        course.save()
        return course

    return _with_files(work)  # type: ignore[no-any-return]


def course_update(*, user: User, course: Course, cover: IO[bytes] | None = None, **fields: Any) -> Course:
    """Change a course's details (any of COURSE_FIELDS) and optionally its cover."""
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise TypeError(f"course_update() got unexpected fields: {sorted(unknown)}")
    checked = uploads.image_check(cover) if cover is not None else None

    def work(files: _Files) -> Course:
        locked = _lock(user=user, course=course)
        for name, value in fields.items():
            setattr(locked, name, value)
        _clean(locked)
        if cover is not None and checked is not None:
            files.put(locked.cover, cover, checked.extension)
        locked.updated_at = timezone.now()
        locked.save()
        return locked

    return _with_files(work)  # type: ignore[no-any-return]


def course_cover_remove(*, user: User, course: Course) -> Course:
    """Take the cover image off a course."""
    with transaction.atomic():
        locked = _lock(user=user, course=course)
        if locked.cover:
            storage, name = locked.cover.storage, str(locked.cover.name)
            transaction.on_commit(lambda: storage.delete(name))
            locked.cover = ""
            locked.updated_at = timezone.now()
            locked.save(update_fields=["cover", "updated_at"])
        return locked


@transaction.atomic
def course_publish(*, user: User, course: Course) -> Course:
    """Open the course to learners; refused, naming what is missing, while it is incomplete."""
    locked = _lock(user=user, course=course)
    problems = course_publish_problems(course=locked)
    if problems:
        raise ValidationError(problems, code="incomplete")
    if locked.status != Course.Status.PUBLISHED:
        locked.status = Course.Status.PUBLISHED
        locked.published_at = timezone.now()
        locked.updated_at = locked.published_at
        locked.save(update_fields=["status", "published_at", "updated_at"])
    return locked


@transaction.atomic
def course_unpublish(*, user: User, course: Course) -> Course:
    """Take the course out of the catalogue; enrolled learners keep their progress."""
    locked = _lock(user=user, course=course)
    if locked.status != Course.Status.DRAFT:
        locked.status = Course.Status.DRAFT
        # published_at stays: when it was last published (the constraint allows it on drafts).
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "updated_at"])
    return locked


# --- Modules ----------------------------------------------------------------------------------


@transaction.atomic
def module_create(*, user: User, course: Course, title: str) -> Module:
    """A module at the end of the course."""
    locked = _lock(user=user, course=course)
    last = locked.modules.aggregate(m=Max("position"))["m"]
    module = Module(course=locked, title=title, position=0 if last is None else last + 1)
    _clean(module)
    module.save()
    _touch(locked)
    return module


@transaction.atomic
def module_update(*, user: User, module: Module, title: str) -> Module:
    """Rename a module."""
    course = _lock(user=user, course=module.course)
    module.title = title
    _clean(module)
    module.save(update_fields=["title"])
    _touch(course)
    return module


def _check_deletable(course: Course, lessons: list[Lesson]) -> None:
    if course.status != Course.Status.PUBLISHED or not lessons:
        return
    ids = [lesson.pk for lesson in lessons]
    if LessonProgress.objects.filter(lesson_id__in=ids).exists():
        raise ValidationError(
            _(
                "Learners have started this lesson. To delete it, unpublish the course first: "
                "their progress in it will be deleted."
            ),
            code="has_progress",
        )
    remaining = Lesson.objects.filter(module__course=course).exclude(pk__in=ids).exists()
    if not remaining:
        raise ValidationError(
            _("A published course needs at least one lesson. Unpublish the course first."),
            code="last_lesson",
        )


@transaction.atomic
def module_delete(*, user: User, module: Module) -> None:
    """Delete a module and its lessons (see the module docstring for when this is refused)."""
    course = _lock(user=user, course=module.course)
    _check_deletable(course, list(module.lessons.all()))
    _delete_lesson_files(Lesson.objects.filter(module=module))
    module.delete()
    _renumber(course.modules.order_by("position", "pk"))
    _touch(course)


@transaction.atomic
def module_move(*, user: User, module: Module, direction: Direction) -> Module:
    """Swap a module with its neighbour above or below; at either end nothing changes."""
    course = _lock(user=user, course=module.course)
    modules = list(course.modules.order_by("position", "pk"))
    _swap(modules, module.pk, direction)
    _renumber(modules)
    _touch(course)
    return next(m for m in modules if m.pk == module.pk)


def _swap(items: list[Any], pk: int, direction: Direction) -> None:
    index = next(i for i, item in enumerate(items) if item.pk == pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]


# --- Lessons ----------------------------------------------------------------------------------


def _check_h5p(user: User, course: Course, h5p: H5PContent | None) -> None:
    # An activity is reused only by whoever uploaded it (or for that person's course).
    if h5p is not None and h5p.uploaded_by_id not in {user.pk, course.author_id}:
        raise PermissionDenied(_("You can only use activities that you uploaded."))


def _put_video_files(
    files: _Files,
    lesson: Lesson,
    *,
    video: IO[bytes] | None,
    captions: IO[bytes] | None,
    poster: IO[bytes] | None,
) -> None:
    for field, file, check in (
        (lesson.video, video, uploads.video_check),
        (lesson.captions, captions, uploads.captions_check),
        (lesson.poster, poster, uploads.image_check),
    ):
        if file is not None:
            files.put(field, file, check(file).extension)


def _check_video_files(
    *, video: IO[bytes] | None, captions: IO[bytes] | None, poster: IO[bytes] | None
) -> None:
    """All three checked before any is written, with every problem named at once."""
    errors: dict[str, list[ValidationError]] = {}
    for name, file, check in (
        ("video", video, uploads.video_check),
        ("captions", captions, uploads.captions_check),
        ("poster", poster, uploads.image_check),
    ):
        if file is not None:
            try:
                check(file)
            except ValidationError as error:
                errors[name] = [error]
    if errors:
        raise ValidationError(errors)


def lesson_create(
    *,
    user: User,
    module: Module,
    kind: str,
    title: str,
    minutes: int = 10,
    body: str = "",
    video: IO[bytes] | None = None,
    captions: IO[bytes] | None = None,
    poster: IO[bytes] | None = None,
    h5p: H5PContent | None = None,
    pass_score: int | None = None,
) -> Lesson:
    """A lesson of `kind` at the end of `module`. Only the fields of its kind are kept."""
    if kind == Lesson.Kind.VIDEO:
        _check_video_files(video=video, captions=captions, poster=poster)
    elif kind == Lesson.Kind.H5P and h5p is None:
        raise ValidationError({"h5p": _("Upload an H5P package or choose one you uploaded before.")})

    def work(files: _Files) -> Lesson:
        course = _lock(user=user, course=module.course)
        _check_h5p(user, course, h5p)
        last = module.lessons.aggregate(m=Max("position"))["m"]
        lesson = Lesson(
            module=module,
            kind=kind,
            title=title,
            minutes=minutes,
            position=0 if last is None else last + 1,
            body=body if kind == Lesson.Kind.TEXT else "",
            h5p=h5p if kind == Lesson.Kind.H5P else None,
            pass_score=pass_score if kind == Lesson.Kind.H5P else None,
        )
        _clean(lesson, exclude=["video", "captions", "poster"])
        if kind == Lesson.Kind.VIDEO:
            _put_video_files(files, lesson, video=video, captions=captions, poster=poster)
        lesson.save()
        _touch(course)
        return lesson

    return _with_files(work)  # type: ignore[no-any-return]


def lesson_update(
    *,
    user: User,
    lesson: Lesson,
    title: str | None = None,
    minutes: int | None = None,
    body: str | None = None,
    video: IO[bytes] | None = None,
    captions: IO[bytes] | None = None,
    poster: IO[bytes] | None = None,
    h5p: H5PContent | None = None,
    pass_score: int | None = None,
    clear_pass_score: bool = False,
) -> Lesson:
    """Change a lesson; None leaves a field as it is. Files given replace the current ones."""
    if lesson.kind == Lesson.Kind.VIDEO:
        _check_video_files(video=video, captions=captions, poster=poster)

    def work(files: _Files) -> Lesson:
        course = _lock(user=user, course=lesson.module.course)
        if title is not None:
            lesson.title = title
        if minutes is not None:
            lesson.minutes = minutes
        if lesson.kind == Lesson.Kind.TEXT and body is not None:
            lesson.body = body
        if lesson.kind == Lesson.Kind.H5P:
            if h5p is not None:
                _check_h5p(user, course, h5p)
                lesson.h5p = h5p
            if pass_score is not None or clear_pass_score:
                lesson.pass_score = pass_score
        _clean(lesson, exclude=["video", "captions", "poster"])
        if lesson.kind == Lesson.Kind.VIDEO:
            _put_video_files(files, lesson, video=video, captions=captions, poster=poster)
        lesson.save()
        _touch(course)
        return lesson

    return _with_files(work)  # type: ignore[no-any-return]


def _delete_lesson_files(lessons: Any) -> None:
    names: list[tuple[Any, str]] = []
    for lesson in lessons.prefetch_related("images"):
        for field in (lesson.video, lesson.captions, lesson.poster):
            if field:
                names.append((field.storage, field.name))
        names += [(image.image.storage, image.image.name) for image in lesson.images.all()]

    def remove() -> None:
        for storage, name in names:
            storage.delete(name)

    transaction.on_commit(remove)


@transaction.atomic
def lesson_delete(*, user: User, lesson: Lesson) -> None:
    """Delete a lesson (see the module docstring for when this is refused)."""
    course = _lock(user=user, course=lesson.module.course)
    _check_deletable(course, [lesson])
    module = lesson.module
    _delete_lesson_files(Lesson.objects.filter(pk=lesson.pk))
    lesson.delete()
    _renumber(module.lessons.order_by("position", "pk"))
    _touch(course)


@transaction.atomic
def lesson_move(
    *, user: User, lesson: Lesson, direction: Direction | None = None, to_module: Module | None = None
) -> Lesson:
    """Move a lesson up or down within its module, or to the end of another module of the
    same course."""
    course = _lock(user=user, course=lesson.module.course)
    if to_module is not None and to_module.pk != lesson.module_id:
        if to_module.course_id != course.pk:
            raise ValidationError(_("A lesson can only move to a module of the same course."))
        source = lesson.module
        last = to_module.lessons.aggregate(m=Max("position"))["m"]
        lesson.module = to_module
        lesson.position = 0 if last is None else last + 1
        lesson.save(update_fields=["module", "position"])
        _renumber(source.lessons.order_by("position", "pk"))
    elif direction is not None:
        lessons = list(lesson.module.lessons.order_by("position", "pk"))
        _swap(lessons, lesson.pk, direction)
        _renumber(lessons)
        lesson.position = next(item.position for item in lessons if item.pk == lesson.pk)
    _touch(course)
    return lesson


# --- Lesson images ----------------------------------------------------------------------------


def lesson_image_add(*, user: User, lesson: Lesson, file: IO[bytes], alt: str) -> LessonImage:
    """An image for a text lesson, to be placed in its text as `![description](image:<id>)`."""
    if lesson.kind != Lesson.Kind.TEXT:
        raise ValidationError(_("Only text lessons have images."))
    checked = uploads.image_check(file)

    def work(files: _Files) -> LessonImage:
        course = _lock(user=user, course=lesson.module.course)
        image = LessonImage(lesson=lesson, alt=alt, size_bytes=checked.size)
        _clean(image, exclude=["image"])
        files.put(image.image, file, checked.extension)
        image.save()
        _touch(course)
        return image

    return _with_files(work)  # type: ignore[no-any-return]


@transaction.atomic
def lesson_image_remove(*, user: User, image: LessonImage) -> None:
    """Delete an image of a lesson; its reference in the text then shows nothing."""
    course = _lock(user=user, course=image.lesson.module.course)
    storage, name = image.image.storage, str(image.image.name)
    image.delete()
    transaction.on_commit(lambda: storage.delete(name))
    _touch(course)
