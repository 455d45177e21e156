"""What a lesson needs to work offline ("Save for offline"): every URL with its size in bytes.

The list feeds two things: the lesson's offline manifest (`courses:lesson_offline`), which the
service worker caches URL by URL, and the "Download size: 240 KB" line on the lesson page. Sizes
come from the file system (media storage, static files, the H5P content store), so the figure
the learner is shown is what their phone will download, give or take HTTP headers.

Videos are listed apart: they are often larger than everything else put together, so the
learner chooses whether to save the lesson "with video".
"""

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Prefetch
from django.db.models.fields.files import FieldFile
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from courses.models import Course, H5PContent, H5PLibrary, Lesson, LessonImage

# Pages are rendered per request, so their size is not on disk: an estimate from the lesson's
# text plus the page around it (header, navigation, forms), measured on the demo lessons.
PAGE_OVERHEAD_BYTES = 12_000
EMBED_PAGE_BYTES = 3_000
ASSETS_LIST_BYTES = 2_000

# Static files of the lesson page. The page's own <script>/<link> files are added by
# offline.js when it saves, so a file missing here is still cached; listing them here makes the
# download size right. Files that do not exist (yet) are left out.
LESSON_PAGE_STATIC = (
    "frontend/css/passage.css",
    "frontend/js/app.js",
    "frontend/img/icon.svg",
    "courses/lesson.js",
    "courses/lesson.css",
    "courses/records.js",
    "courses/offline.js",
    "courses/datasaver.js",
)
# What the H5P player needs besides libraries and content (courses/player/embed.html inlines its
# own bootstrap and styles; the lesson page hands these files to it, see lesson.js). Of the
# player's fonts only the two icon fonts are kept: the text fonts (Open Sans, Inter) weigh
# about 1 MB and the browser falls back to the phone's own font without them.
H5P_PLAYER_STATIC = (
    "courses/h5p-embed.js",
    "h5p-standalone/main.bundle.js",
    "h5p-standalone/frame.bundle.js",
    "h5p-standalone/styles/h5p.css",
    "h5p-standalone/fonts/h5p-core-30.woff2",
    "h5p-standalone/fonts/h5p-theme.woff2",
    "h5p-standalone/images/throbber.gif",
)


@dataclass(frozen=True)
class OfflineFile:
    """One URL a saved lesson needs. `immutable`: its content never changes under this URL
    (hashed static files, versioned H5P library folders), so a cached copy is always right."""

    url: str
    size: int
    kind: str
    immutable: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def lesson_for_offline(*, user: User, slug: str, lesson_id: int) -> Lesson | None:
    """The lesson, if `user` is enrolled in its course and the course is published; else None."""
    if not user.is_authenticated:
        return None
    return (
        Lesson.objects.select_related("module__course", "h5p")
        .prefetch_related(
            Prefetch("images", queryset=LessonImage.objects.order_by("pk")),
            Prefetch("h5p__libraries", queryset=H5PLibrary.objects.order_by("name", "major", "minor")),
        )
        .filter(
            pk=lesson_id,
            module__course__slug=slug,
            module__course__status=Course.Status.PUBLISHED,
            module__course__enrolments__user=user,
        )
        .first()
    )


def lesson_page_url(lesson: Lesson) -> str:
    kwargs = {"slug": lesson.module.course.slug, "lesson_id": lesson.pk}
    try:
        return reverse("courses:lesson", kwargs=kwargs)
    except NoReverseMatch:  # the lesson page's URL as DESIGN.md states it
        return f"/courses/{kwargs['slug']}/lessons/{lesson.pk}/"


def _field_file(field: FieldFile, kind: str) -> OfflineFile | None:
    if not field or not field.name:
        return None
    try:
        size = field.storage.size(field.name)
    except OSError:  # the row names a file that is gone: nothing to save
        return None
    return OfflineFile(url=field.url, size=size, kind=kind)


def _static_file(path: str, kind: str = "static") -> OfflineFile | None:
    found = finders.find(path)
    if found is None:
        return None
    location = found[0] if isinstance(found, list) else found
    # static() gives the hashed name with the manifest storage (production): immutable.
    return OfflineFile(url=static(path), size=os.path.getsize(location), kind=kind, immutable=True)


def _walk(root: Path) -> list[tuple[str, int]]:
    """(path relative to root with '/', size) of every regular file under root, sorted."""
    if not root.is_dir():
        return []
    files = []
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                files.append((path.relative_to(root).as_posix(), path.stat().st_size))
    return sorted(files)


def h5p_player_files(content: H5PContent) -> list[OfflineFile]:
    """Every file the H5P player needs to play `content`: the player's static files, the
    libraries the package uses and the package's own files (h5p.json, content/...). The lesson
    page fetches them and hands them to the sandboxed player (courses.views.player.assets)."""
    store = Path(settings.H5P_ROOT)
    files = [f for f in (_static_file(p, "h5p-player") for p in H5P_PLAYER_STATIC) if f is not None]
    for library in content.libraries.all():
        for relative, size in _walk(store / "libraries" / library.folder):
            url = reverse("courses:h5p_library_file", kwargs={"path": f"{library.folder}/{relative}"})
            # A library folder is named by its major.minor version and never rewritten.
            files.append(OfflineFile(url=url, size=size, kind="h5p-library", immutable=True))
    for relative, size in _walk(store / "content" / content.content_id):
        url = reverse("courses:h5p_content_file", kwargs={"content_id": content.content_id, "path": relative})
        files.append(OfflineFile(url=url, size=size, kind="h5p-content"))
    return files


def _h5p_files(lesson: Lesson) -> list[OfflineFile]:
    content = lesson.h5p
    if content is None:
        return []
    kwargs = {"content_id": content.content_id}
    files = [
        OfflineFile(url=reverse("courses:h5p_embed", kwargs=kwargs), size=EMBED_PAGE_BYTES, kind="h5p-embed"),
        OfflineFile(
            url=reverse("courses:h5p_assets", kwargs=kwargs), size=ASSETS_LIST_BYTES, kind="h5p-assets"
        ),
    ]
    return files + h5p_player_files(content)


def lesson_offline_files(*, lesson: Lesson, with_video: bool = False) -> list[OfflineFile]:
    """Every URL the lesson needs offline, the lesson page first; the video file only when
    `with_video`. Each URL once."""
    files: list[OfflineFile | None] = [
        OfflineFile(
            url=lesson_page_url(lesson),
            size=PAGE_OVERHEAD_BYTES + len(lesson.body.encode()),
            kind="page",
        )
    ]
    files += [_static_file(path) for path in LESSON_PAGE_STATIC]
    files += [_field_file(image.image, "image") for image in lesson.images.all()]
    if lesson.kind == Lesson.Kind.VIDEO:
        files.append(_field_file(lesson.poster, "poster"))
        files.append(_field_file(lesson.captions, "captions"))
        if with_video:
            files.append(lesson_video_file(lesson=lesson))
    elif lesson.kind == Lesson.Kind.H5P:
        files += _h5p_files(lesson)
    seen: set[str] = set()
    unique = []
    for file in files:
        if file is not None and file.url not in seen:
            seen.add(file.url)
            unique.append(file)
    return unique


def lesson_video_file(*, lesson: Lesson) -> OfflineFile | None:
    """The lesson's video file, if it has one."""
    if lesson.kind != Lesson.Kind.VIDEO:
        return None
    return _field_file(lesson.video, "video")


def lesson_download_size(*, lesson: Lesson, with_video: bool = False) -> int:
    """Bytes to download to save the lesson for offline use."""
    return sum(file.size for file in lesson_offline_files(lesson=lesson, with_video=with_video))


def lesson_offline_manifest(*, lesson: Lesson) -> dict[str, Any]:
    """The lesson's offline manifest: the files without the video, and the video apart, with
    both totals, so that the page can offer "with video"."""
    files = lesson_offline_files(lesson=lesson)
    video = lesson_video_file(lesson=lesson)
    size = sum(file.size for file in files)
    return {
        "lesson": lesson.pk,
        "title": lesson.title,
        "course": lesson.module.course.slug,
        "page": lesson_page_url(lesson),
        "files": [file.as_json() for file in files],
        "size": size,
        "video": video.as_json() if video is not None else None,
        "size_with_video": size + (video.size if video is not None else 0),
    }
