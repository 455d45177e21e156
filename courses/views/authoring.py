"""Course authors' pages: my courses, the course editor, module and lesson editors.

Authors and administrators only (others: 403); a course the person may not edit does not exist
for them (404). Every change is a form post that calls a service.

Uploads: Django streams files above FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, the default) to
temporary files on disk, never into memory; no setting limits a request's total size, so each
upload view does: a declared Content-Length above the view's limit is answered 413 before the
body is read, and a body that turns out larger (no or a false Content-Length) is cut off while
it streams. Upload handlers can only be changed before the body is read, which CSRF checking
does; so these views are csrf_exempt on the outside and csrf_protect inside (Django's documented
pattern), after the size guard.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, User
from accounts.permissions import role_required
from courses import uploads
from courses.forms_authoring import (
    LESSON_FORMS,
    CourseForm,
    LessonForm,
    LessonImageForm,
    ModuleForm,
)
from courses.h5p import PackageError
from courses.markdown import markdown_render
from courses.models import Course, Lesson, LessonImage, Module
from courses.selectors import authoring as selectors
from courses.services import authoring as services
from courses.services import h5p_content_upload
from frontend.forms import apply_errors, flash_errors

AUTHORS = (Role.AUTHOR, Role.ADMIN)
SLACK = 1 * uploads.MB  # form fields and multipart boundaries around the files
COURSE_REQUEST_MAX = uploads.IMAGE_MAX_BYTES + SLACK
IMAGE_REQUEST_MAX = uploads.IMAGE_MAX_BYTES + SLACK
LESSON_REQUEST_MAX = (
    max(uploads.VIDEO_MAX_BYTES + uploads.IMAGE_MAX_BYTES + uploads.CAPTIONS_MAX_BYTES, uploads.H5P_MAX_BYTES)
    + SLACK
)


# --- Upload size guard ------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


class _LimitHandler(FileUploadHandler):
    """Counts the bytes of every file in the request as they stream; stops past the limit."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.total = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.total += len(raw_data)
        if self.total > self.limit:
            raise _TooLarge
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    return render(
        request,
        "courses/author/too_large.html",
        {"limit": uploads.size_label(limit - SLACK)},
        status=413,
    )


View = Callable[..., HttpResponse]


def _uploads(limit: Callable[[], int]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                most = limit()
                try:
                    declared = int(request.META.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    declared = 0
                if declared > most:
                    return _too_large(request, most)
                request.upload_handlers.insert(0, _LimitHandler(request, most))
                try:
                    request.POST  # noqa: B018 (reads the body now, under the limit)
                except _TooLarge:
                    return _too_large(request, most)
            return protected(request, *args, **kwargs)

        return wrapper

    return decorator


# --- Lookups ----------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _course(request: HttpRequest, slug: str) -> Course:
    course = selectors.course_get_for_author(user=_user(request), slug=slug)
    if course is None:
        raise Http404
    return course


def _module(course: Course, module_id: int) -> Module:
    module = get_object_or_404(Module, pk=module_id, course=course)
    module.course = course
    return module


def _lesson(course: Course, lesson_id: int) -> Lesson:
    lesson = get_object_or_404(
        Lesson.objects.select_related("module", "h5p"), pk=lesson_id, module__course=course
    )
    lesson.module.course = course
    return lesson


def _editor_url(course: Course, anchor: str = "") -> str:
    url = reverse("courses:author_course", args=[course.slug])
    return f"{url}#{anchor}" if anchor else url


# --- My courses -------------------------------------------------------------------------------


@role_required(*AUTHORS)
@require_GET
def author_home(request: HttpRequest) -> HttpResponse:
    courses = list(selectors.course_list_for_author(user=_user(request)))
    for course in courses:
        course.completion = selectors.completion_rate(course)  # type: ignore[attr-defined]
    return render(request, "courses/author/home.html", {"courses": courses})


@role_required(*AUTHORS)
@require_http_methods(["GET", "POST"])
@_uploads(lambda: COURSE_REQUEST_MAX)
def author_course_new(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        cover = data.pop("cover") or None
        try:
            course = services.course_create(author=_user(request), cover=cover, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Course created. Now add its first module."))
            return redirect(_editor_url(course, "modules"))
    status = 400 if request.method == "POST" else 200
    return render(request, "courses/author/course_new.html", {"form": form}, status=status)


# --- Course editor ----------------------------------------------------------------------------


def _lesson_rows(module: Module) -> list[dict[str, Any]]:
    return [
        {
            "lesson": lesson,
            "size": uploads.size_label(selectors.lesson_download_bytes(lesson)),
            "first": index == 0,
            "last": index == len(module.lessons.all()) - 1,
        }
        for index, lesson in enumerate(module.lessons.all())
    ]


def _editor(
    request: HttpRequest, course: Course, *, form: CourseForm | None = None, status: int = 200
) -> HttpResponse:
    outline = selectors.course_outline(course=course)
    modules = [
        {"module": module, "lessons": _lesson_rows(module), "first": i == 0, "last": i == len(outline) - 1}
        for i, module in enumerate(outline)
    ]
    context = {
        "course": course,
        "form": form or CourseForm(initial=CourseForm.initial_for(course)),
        "details_open": form is not None,
        "modules": modules,
        "module_form": ModuleForm(),
        "problems": selectors.course_publish_problems(course=course),
        "kinds": Lesson.Kind.choices,
        "completion": selectors.completion_rate(course),
    }
    return render(request, "courses/author/course.html", context, status=status)


@role_required(*AUTHORS)
@require_http_methods(["GET", "POST"])
@_uploads(lambda: COURSE_REQUEST_MAX)
def author_course(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course(request, slug)
    if request.method == "GET":
        return _editor(request, course)
    form = CourseForm(request.POST, request.FILES)
    if form.is_valid():
        data = dict(form.cleaned_data)
        cover = data.pop("cover") or None
        try:
            services.course_update(user=_user(request), course=course, cover=cover, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Course details saved."))
            return redirect(_editor_url(course))
    return _editor(request, course, form=form, status=400)


@role_required(*AUTHORS)
@require_POST
def author_course_publish(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course(request, slug)
    try:
        services.course_publish(user=_user(request), course=course)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The course is published: learners can find it in the catalogue."))
    return redirect(_editor_url(course))


@role_required(*AUTHORS)
@require_POST
def author_course_unpublish(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course(request, slug)
    services.course_unpublish(user=_user(request), course=course)
    messages.success(request, _("The course is a draft again: new learners cannot find it."))
    return redirect(_editor_url(course))


# --- Modules ----------------------------------------------------------------------------------


@role_required(*AUTHORS)
@require_POST
def author_module_new(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course(request, slug)
    form = ModuleForm(request.POST)
    if form.is_valid():
        module = services.module_create(user=_user(request), course=course, title=form.cleaned_data["title"])
        messages.success(request, _("Module added."))
        return redirect(_editor_url(course, f"module-{module.pk}"))
    flash_errors(request, form)
    return redirect(_editor_url(course, "modules"))


@role_required(*AUTHORS)
@require_http_methods(["GET", "POST"])
def author_module(request: HttpRequest, slug: str, module_id: int) -> HttpResponse:
    course = _course(request, slug)
    module = _module(course, module_id)
    form = ModuleForm(request.POST or None, initial={"title": module.title})
    if request.method == "POST" and form.is_valid():
        services.module_update(user=_user(request), module=module, title=form.cleaned_data["title"])
        messages.success(request, _("Module saved."))
        return redirect(_editor_url(course, f"module-{module.pk}"))
    status = 400 if request.method == "POST" else 200
    context = {"course": course, "module": module, "form": form}
    return render(request, "courses/author/module.html", context, status=status)


@role_required(*AUTHORS)
@require_POST
def author_module_move(request: HttpRequest, slug: str, module_id: int) -> HttpResponse:
    course = _course(request, slug)
    module = _module(course, module_id)
    direction = request.POST.get("direction")
    if direction in ("up", "down"):
        services.module_move(user=_user(request), module=module, direction=direction)  # type: ignore[arg-type]
    return redirect(_editor_url(course, f"module-{module.pk}"))


@role_required(*AUTHORS)
@require_http_methods(["GET", "POST"])
def author_module_delete(request: HttpRequest, slug: str, module_id: int) -> HttpResponse:
    course = _course(request, slug)
    module = _module(course, module_id)
    if request.method == "POST":
        try:
            services.module_delete(user=_user(request), module=module)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(_editor_url(course, f"module-{module.pk}"))
        messages.success(request, _("Module deleted."))
        return redirect(_editor_url(course, "modules"))
    context = {
        "course": course,
        "module": module,
        "lesson_count": module.lessons.count(),
        "learners": course.learner_count,  # type: ignore[attr-defined]
    }
    return render(request, "courses/author/module_delete.html", context)


# --- Lessons ----------------------------------------------------------------------------------


def _lesson_page(
    request: HttpRequest,
    *,
    course: Course,
    module: Module,
    kind: str,
    form: LessonForm,
    lesson: Lesson | None = None,
    preview: str | None = None,
    image_form: LessonImageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    images = list(lesson.images.all()) if lesson is not None and kind == Lesson.Kind.TEXT else []
    body = preview if preview is not None else (lesson.body if lesson is not None else "")
    context = {
        "course": course,
        "module": module,
        "lesson": lesson,
        "kind": kind,
        "kind_label": Lesson.Kind(kind).label,
        "form": form,
        "images": images,
        "image_form": image_form or LessonImageForm(),
        "preview": markdown_render(body, images={i.pk: i for i in images}) if body.strip() else "",
        "previewing": preview is not None,
        "modules": [m for m in course.modules.all() if lesson is None or m.pk != lesson.module_id],
        "size": uploads.size_label(selectors.lesson_download_bytes(lesson)) if lesson is not None else "",
        "learners": selectors.lesson_learner_count(lesson=lesson) if lesson is not None else 0,
    }
    return render(request, "courses/author/lesson.html", context, status=status)


def _save_lesson(
    request: HttpRequest, form: LessonForm, save: Callable[[dict[str, Any]], Lesson]
) -> tuple[Lesson | None, int]:
    """Upload a package if one was sent, then save; (the lesson, 200) or (None, error status)."""
    fields = form.service_fields()
    package = form.cleaned_data.get("package")
    try:
        if package:
            fields["h5p"] = h5p_content_upload(uploader=_user(request), file=package, size=package.size)
        return save(fields), 200
    except PackageError as error:
        form.add_error("package", error.message)
        return None, 413 if error.code == "too_large" else 400
    except ValidationError as error:
        apply_errors(form, error)
        return None, 400


@role_required(*AUTHORS)
@require_http_methods(["GET", "POST"])
@_uploads(lambda: LESSON_REQUEST_MAX)
def author_lesson_new(request: HttpRequest, slug: str, module_id: int, kind: str) -> HttpResponse:
    course = _course(request, slug)
    module = _module(course, module_id)
    if kind not in LESSON_FORMS:
        raise Http404
    user = _user(request)
    form = LESSON_FORMS[kind](request.POST or None, request.FILES or None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            lesson, status = _save_lesson(
                request,
                form,
                lambda fields: services.lesson_create(user=user, module=module, kind=kind, **fields),
            )
            if lesson is not None:
                messages.success(request, _("Lesson added."))
                return redirect("courses:author_lesson", slug=course.slug, lesson_id=lesson.pk)
    return _lesson_page(request, course=course, module=module, kind=kind, form=form, status=status)


@role_required(*AUTHORS)
@require_http_methods(["GET", "POST"])
@_uploads(lambda: LESSON_REQUEST_MAX)
def author_lesson(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    course = _course(request, slug)
    lesson = _lesson(course, lesson_id)
    user = _user(request)
    form_class = LESSON_FORMS[lesson.kind]
    if request.method == "GET":
        initial = {
            "title": lesson.title,
            "minutes": lesson.minutes,
            "body": lesson.body,
            "pass_score": lesson.pass_score,
        }
        form = form_class(initial=initial, user=user, lesson=lesson)
        return _lesson_page(
            request, course=course, module=lesson.module, kind=lesson.kind, form=form, lesson=lesson
        )
    form = form_class(request.POST, request.FILES, user=user, lesson=lesson)
    page: dict[str, Any] = {
        "course": course,
        "module": lesson.module,
        "kind": lesson.kind,
        "form": form,
        "lesson": lesson,
    }
    if not form.is_valid():
        return _lesson_page(request, **page, status=400)
    if "preview" in request.POST and lesson.kind == Lesson.Kind.TEXT:
        # Shown, not saved: the author saves once the preview looks right.
        return _lesson_page(request, **page, preview=form.cleaned_data["body"])

    def save(fields: dict[str, Any]) -> Lesson:
        if lesson.kind == Lesson.Kind.H5P and fields.get("pass_score") is None:
            fields["clear_pass_score"] = True
        return services.lesson_update(user=user, lesson=lesson, **fields)

    saved, status = _save_lesson(request, form, save)
    if saved is None:
        return _lesson_page(request, **page, status=status)
    messages.success(request, _("Lesson saved."))
    return redirect("courses:author_lesson", slug=course.slug, lesson_id=lesson.pk)


@role_required(*AUTHORS)
@require_POST
def author_lesson_move(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    course = _course(request, slug)
    lesson = _lesson(course, lesson_id)
    user = _user(request)
    direction = request.POST.get("direction")
    target = request.POST.get("module", "")
    if target.isdigit():
        to_module = _module(course, int(target))
        services.lesson_move(user=user, lesson=lesson, to_module=to_module)
        messages.success(request, _("Lesson moved to “%(module)s”.") % {"module": to_module.title})
    elif direction in ("up", "down"):
        services.lesson_move(user=user, lesson=lesson, direction=direction)  # type: ignore[arg-type]
    return redirect(_editor_url(course, f"lesson-{lesson.pk}"))


@role_required(*AUTHORS)
@require_http_methods(["GET", "POST"])
def author_lesson_delete(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    course = _course(request, slug)
    lesson = _lesson(course, lesson_id)
    if request.method == "POST":
        try:
            services.lesson_delete(user=_user(request), lesson=lesson)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("courses:author_lesson", slug=course.slug, lesson_id=lesson.pk)
        messages.success(request, _("Lesson deleted."))
        return redirect(_editor_url(course, f"module-{lesson.module_id}"))
    context = {"course": course, "lesson": lesson, "learners": selectors.lesson_learner_count(lesson=lesson)}
    return render(request, "courses/author/lesson_delete.html", context)


# --- Lesson images ----------------------------------------------------------------------------


@role_required(*AUTHORS)
@require_POST
@_uploads(lambda: IMAGE_REQUEST_MAX)
def author_lesson_image_add(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    course = _course(request, slug)
    lesson = _lesson(course, lesson_id)
    form = LessonImageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            image = services.lesson_image_add(
                user=_user(request),
                lesson=lesson,
                file=form.cleaned_data["image"],
                alt=form.cleaned_data["alt"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Image added. Put it in the text with this line: %(line)s")
                % {"line": f"![{image.alt}](image:{image.pk})"},
            )
            return redirect(reverse("courses:author_lesson", args=[course.slug, lesson.pk]) + "#images")
    initial = {"title": lesson.title, "minutes": lesson.minutes, "body": lesson.body}
    lesson_form = LESSON_FORMS[lesson.kind](initial=initial, user=_user(request), lesson=lesson)
    return _lesson_page(
        request,
        course=course,
        module=lesson.module,
        kind=lesson.kind,
        form=lesson_form,
        lesson=lesson,
        image_form=form,
        status=400,
    )


@role_required(*AUTHORS)
@require_POST
def author_lesson_image_remove(
    request: HttpRequest, slug: str, lesson_id: int, image_id: int
) -> HttpResponse:
    course = _course(request, slug)
    lesson = _lesson(course, lesson_id)
    image = get_object_or_404(LessonImage, pk=image_id, lesson=lesson)
    image.lesson = lesson
    services.lesson_image_remove(user=_user(request), image=image)
    messages.success(request, _("Image removed."))
    return redirect(reverse("courses:author_lesson", args=[course.slug, lesson.pk]) + "#images")


urlpatterns: list[URLPattern] = [
    path("courses/author/", author_home, name="author_home"),
    path("courses/author/new/", author_course_new, name="author_course_new"),
    path("courses/author/<slug:slug>/", author_course, name="author_course"),
    path("courses/author/<slug:slug>/publish/", author_course_publish, name="author_course_publish"),
    path("courses/author/<slug:slug>/unpublish/", author_course_unpublish, name="author_course_unpublish"),
    path("courses/author/<slug:slug>/modules/new/", author_module_new, name="author_module_new"),
    path("courses/author/<slug:slug>/modules/<int:module_id>/", author_module, name="author_module"),
    path(
        "courses/author/<slug:slug>/modules/<int:module_id>/move/",
        author_module_move,
        name="author_module_move",
    ),
    path(
        "courses/author/<slug:slug>/modules/<int:module_id>/delete/",
        author_module_delete,
        name="author_module_delete",
    ),
    path(
        "courses/author/<slug:slug>/modules/<int:module_id>/new/<str:kind>/",
        author_lesson_new,
        name="author_lesson_new",
    ),
    path("courses/author/<slug:slug>/lessons/<int:lesson_id>/", author_lesson, name="author_lesson"),
    path(
        "courses/author/<slug:slug>/lessons/<int:lesson_id>/move/",
        author_lesson_move,
        name="author_lesson_move",
    ),
    path(
        "courses/author/<slug:slug>/lessons/<int:lesson_id>/delete/",
        author_lesson_delete,
        name="author_lesson_delete",
    ),
    path(
        "courses/author/<slug:slug>/lessons/<int:lesson_id>/images/",
        author_lesson_image_add,
        name="author_lesson_image_add",
    ),
    path(
        "courses/author/<slug:slug>/lessons/<int:lesson_id>/images/<int:image_id>/remove/",
        author_lesson_image_remove,
        name="author_lesson_image_remove",
    ),
]
