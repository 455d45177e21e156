"""Courses: a course is modules of lessons; a lesson is text, a video or an H5P activity.

H5P packages are unpacked into the content store (`courses.h5p_store`); the database keeps
what the store holds: each library once (`H5PLibrary`) and each uploaded activity
(`H5PContent`)."""

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    LANGUAGE = "language", _("Language")
    SOFT_SKILLS = "soft_skills", _("Soft skills")
    DIGITAL = "digital_literacy", _("Digital skills")
    COUNSELLOR_TRAINING = "counsellor_training", _("Counsellor training")


class Level(models.TextChoices):
    EVERYONE = "any", _("For everyone")
    A1 = "a1", _("A1 (beginner)")
    A2 = "a2", _("A2 (elementary)")
    B1 = "b1", _("B1 (intermediate)")
    B2 = "b2", _("B2 (upper intermediate)")
    C1 = "c1", _("C1 (advanced)")


IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]


class Course(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=2000)
    # The language the course is taught in, and the language it teaches (language courses).
    language = models.CharField(_("language of instruction"), max_length=8)
    language_taught = models.CharField(_("language taught"), max_length=8, blank=True)
    level = models.CharField(_("level"), max_length=4, choices=Level.choices, default=Level.EVERYONE)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    audience = models.CharField(_("for whom"), max_length=200, blank=True)
    estimated_hours = models.PositiveSmallIntegerField(
        _("estimated hours"), validators=[MaxValueValidator(500)]
    )
    cover = models.FileField(
        _("cover image"),
        upload_to="courses/covers/",
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS)],
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_courses"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["status", "language", "category"], name="course_catalogue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="course_status_known"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False), name="course_published_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class H5PLibrary(models.Model):
    """A library in the content store, once per name and major.minor version."""

    name = models.CharField(max_length=127)
    major = models.PositiveSmallIntegerField()
    minor = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "major", "minor"]
        constraints = [models.UniqueConstraint(fields=["name", "major", "minor"], name="h5p_library_once")]

    def __str__(self) -> str:
        return self.folder

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.major}.{self.minor}"


class H5PContent(models.Model):
    """One uploaded H5P activity: its folder in the content store and the libraries it needs."""

    content_id = models.CharField(max_length=32, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=255)
    main_library = models.ForeignKey(H5PLibrary, on_delete=models.PROTECT, related_name="+")
    libraries = models.ManyToManyField(H5PLibrary, related_name="contents")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    size_bytes = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        VIDEO = "video", _("Video")
        H5P = "h5p", _("Exercise (H5P)")

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    # Text lessons: Markdown, sanitised when shown.
    body = models.TextField(_("text"), blank=True, max_length=50_000)
    video = models.FileField(
        _("video"),
        upload_to="courses/videos/",
        blank=True,
        validators=[FileExtensionValidator(["mp4", "webm"])],
    )
    captions = models.FileField(
        _("captions (WebVTT)"),
        upload_to="courses/captions/",
        blank=True,
        validators=[FileExtensionValidator(["vtt"])],
    )
    poster = models.FileField(
        _("poster image"),
        upload_to="courses/posters/",
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS)],
    )
    h5p = models.ForeignKey(
        H5PContent, on_delete=models.PROTECT, null=True, blank=True, related_name="lessons"
    )
    # H5P lessons: completed or passed completes them; or a score (percent) the author sets.
    pass_score = models.PositiveSmallIntegerField(
        _("score that completes it (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=10, validators=[MaxValueValidator(600)])

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["text", "video", "h5p"]), name="lesson_kind_known"),
            models.CheckConstraint(
                condition=~Q(kind="h5p") | Q(h5p__isnull=False), name="lesson_h5p_has_content"
            ),
            models.CheckConstraint(
                condition=Q(pass_score__isnull=True) | Q(pass_score__lte=100),
                name="lesson_pass_score_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LessonImage(models.Model):
    """An image for a text lesson, referenced from its Markdown as `![description](image:<id>)`,
    so that pages can show its size and hold it back in data-saver mode."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(
        _("image"), upload_to="courses/images/", validators=[FileExtensionValidator(IMAGE_EXTENSIONS)]
    )
    alt = models.CharField(_("description"), max_length=300)
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.alt


class Enrolment(models.Model):
    """A learner taking a course. `last_lesson` is where "continue" takes them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    enrolled_at = models.DateTimeField(default=timezone.now)
    last_lesson = models.ForeignKey(
        "Lesson", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_activity_at = models.DateTimeField(default=timezone.now)
    # Set once, when every lesson of the course is complete; never cleared.
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_activity_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="enrolment_once")]
        indexes = [models.Index(fields=["course", "enrolled_at"], name="enrolment_course_time")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id}"


class LessonProgress(models.Model):
    """One learner's progress in one lesson. Every field only moves forward: completion is never
    undone, the best score is kept, and watched video seconds are a union (Kolibri's lesson:
    progress is a state, not increments, so a retried request cannot count twice)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Best score in percent (H5P), with the raw figures of that attempt.
    best_score = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(100)])
    score_raw = models.FloatField(null=True, blank=True)
    score_max = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(default=False)
    # Video: duration in whole seconds and the distinct seconds watched, as sorted, merged
    # [start, end) intervals; text: whether the learner reached the end.
    video_duration = models.PositiveIntegerField(null=True, blank=True)
    watched = models.JSONField(default=list, blank=True)
    watched_seconds = models.PositiveIntegerField(default=0)
    read_to_end = models.BooleanField(default=False)
    # Where to resume: seconds into a video, or a fraction of a text (0..1).
    resume_at = models.FloatField(default=0)

    class Meta:
        ordering = ["lesson__module__position", "lesson__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lesson_progress_once"),
            models.CheckConstraint(
                condition=Q(best_score__isnull=True) | Q(best_score__lte=100), name="progress_score_percent"
            ),
        ]
        indexes = [models.Index(fields=["lesson", "completed_at"], name="progress_lesson_done")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.lesson_id}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


class ProgressEvent(models.Model):
    """A progress report from a page (text read, video seconds watched, resume point), kept by
    the id the browser chose so that a report queued offline and sent twice counts once."""

    event_id = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.event_id)


class XAPIStatement(models.Model):
    """An xAPI statement as received, with the actor replaced by the signed-in learner. Its id
    makes a replay a no-op; `digest` tells an identical replay from a conflicting one."""

    statement_id = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    verb = models.CharField(max_length=255)
    object_id = models.CharField(max_length=2048)
    statement = models.JSONField()
    digest = models.CharField(max_length=64)
    stored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["user", "lesson"], name="xapi_user_lesson")]

    def __str__(self) -> str:
        return str(self.statement_id)


class H5PUserState(models.Model):
    """The H5P player's own state for one learner in one lesson, so they resume inside it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    state = models.TextField(max_length=64_000)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="h5p_state_once")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.lesson_id}"


class Certificate(models.Model):
    """Issued once when a course is complete. Name, title and hours are copied at issue time so
    that the certificate says what was true then; `code` is what the public page verifies."""

    code = models.CharField(max_length=16, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    learner_name = models.CharField(max_length=200)
    course_title = models.CharField(max_length=200)
    hours = models.PositiveSmallIntegerField()
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="certificate_once")]

    def __str__(self) -> str:
        return self.code
