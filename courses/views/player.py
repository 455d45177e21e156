"""The sandboxed H5P player and the files of the H5P content store.

H5P packages carry JavaScript by design. That script must never act with the learner's session,
so it runs only in the embed page, which is sandboxed twice: the lesson page frames it with
`<iframe sandbox="allow-scripts">` (no `allow-same-origin`), and the page's own CSP says
`sandbox allow-scripts`, so even opened directly it lives in an opaque origin that holds no
cookies and cannot call our API. It talks to the lesson page only by postMessage
(courses/static/courses/h5p-embed.js documents the protocol).

Because the player's origin is opaque, everything it fetches (h5p.json, content.json, library
files, fonts) is a cross-origin request: the file views answer with
`Access-Control-Allow-Origin: *`. They hold nothing secret beyond the content id, a random
128-bit capability, and send no cookies-dependent answer.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import URLPattern, path, reverse
from django.utils.csp import CSP
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from courses.models import H5PContent

CONTENT_ID = re.compile(r"^[0-9a-f]{32}$")

# What the store may serve as itself; anything else is downloaded, never rendered.
CONTENT_TYPES = {
    "json": "application/json",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "eot": "application/vnd.ms-fontobject",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "ogg": "audio/ogg",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "vtt": "text/vtt; charset=utf-8",
    "webvtt": "text/vtt; charset=utf-8",
}
# Served files never run as a page: an SVG or JSON opened directly is sandboxed and inert.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
LIBRARY_MAX_AGE = 60 * 60 * 24 * 365  # a library folder (Name-Major.Minor) is never rewritten
CONTENT_MAX_AGE = 60 * 60
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024

# The embed page's policy, found by running the player in Chromium with nothing allowed and
# adding only what it needed:
# - `sandbox allow-scripts`: an opaque origin even when opened outside the lesson's iframe.
# - scripts only from our origin ('self' still names our origin inside the sandbox): the player
#   bundle, h5p-embed.js and the libraries, which h5p-standalone adds as <script src>.
# - style-src 'unsafe-inline': H5P core and its jQuery build markup with style="" attributes
#   and inject <style> (e.g. the resizer); without it content types lose their layout.
#   Inline styles cannot run script; script stays locked down.
# - connect-src 'self': h5p.json, content.json and library.json are fetched.
# - frame-ancestors 'self': only our lesson pages may frame it.
EMBED_CSP = {
    "sandbox": ["allow-scripts"],
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
}


def _store() -> Path:
    return Path(settings.H5P_ROOT).resolve()


def _safe_file(root: Path, relative: str) -> Path:
    """The file `relative` names under `root`, or 404: no '..', no absolute or odd names,
    nothing that resolves (through links) outside `root`, only regular files."""
    parts = relative.split("/")
    if (
        not relative
        or "\\" in relative
        or "\x00" in relative
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise Http404
    try:
        target = (root / relative).resolve()
    except (OSError, RuntimeError):
        raise Http404 from None
    if not target.is_relative_to(root) or not target.is_file():
        raise Http404
    return target


def _content_type(target: Path) -> tuple[str, bool]:
    """(content type, whether to force a download)."""
    extension = target.suffix[1:].lower()
    if extension in CONTENT_TYPES:
        return CONTENT_TYPES[extension], False
    return "application/octet-stream", True


def _read_range(file: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    with file:
        file.seek(start)
        while length > 0:
            chunk = file.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def _serve(request: HttpRequest, target: Path, *, max_age: int, immutable: bool) -> HttpResponseBase:
    stat = target.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    last_modified = http_date(stat.st_mtime)
    content_type, download = _content_type(target)

    if_none_match = request.headers.get("If-None-Match")
    if_modified_since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    not_modified = (
        etag in [tag.strip() for tag in if_none_match.split(",")]
        if if_none_match
        else if_modified_since is not None and int(stat.st_mtime) <= if_modified_since
    )
    response: HttpResponseBase
    if not_modified:
        response = HttpResponseNotModified()
    else:
        response = _body(request, target, stat.st_size, content_type)
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = last_modified
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Cache-Control"] = f"public, max-age={max_age}" + (", immutable" if immutable else "")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    if download:
        response.headers["Content-Disposition"] = "attachment"
    return response


def _body(request: HttpRequest, target: Path, size: int, content_type: str) -> HttpResponseBase:
    match = RANGE.match(request.headers.get("Range", "").strip())
    if match is None or match.groups() == ("", ""):
        return FileResponse(target.open("rb"), content_type=content_type)
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:  # "bytes=-N": the last N bytes
        start, end = max(size - int(last), 0), size - 1
    if start >= size or start > end:
        refused = HttpResponse(status=416)
        refused.headers["Content-Range"] = f"bytes */{size}"
        return refused
    length = end - start + 1
    response = StreamingHttpResponse(
        _read_range(target.open("rb"), start, length), status=206, content_type=content_type
    )
    response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    response.headers["Content-Length"] = str(length)
    return response


@require_safe
def library_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """A file of an H5P library in the store, shared by every package."""
    target = _safe_file(_store() / "libraries", path)
    return _serve(request, target, max_age=LIBRARY_MAX_AGE, immutable=True)


@require_safe
def content_file(request: HttpRequest, content_id: str, path: str) -> HttpResponseBase:
    """A file of one package: its h5p.json and everything under content/."""
    if not CONTENT_ID.match(content_id) or not H5PContent.objects.filter(content_id=content_id).exists():
        raise Http404
    target = _safe_file(_store() / "content" / content_id, path)
    return _serve(request, target, max_age=CONTENT_MAX_AGE, immutable=False)


def _embed_type(content_dir: Path) -> str:
    """'div' when the package allows it: H5P then runs in the embed page itself instead of a
    second iframe inside it (less to load, and one document to measure and talk to)."""
    try:
        manifest = json.loads((content_dir / "h5p.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Http404 from None
    types = manifest.get("embedTypes") if isinstance(manifest, dict) else None
    return "div" if isinstance(types, list) and "div" in types else "iframe"


@require_safe
@xframe_options_sameorigin
@csp_override(EMBED_CSP)
@cache_control(public=True, max_age=300)
def embed(request: HttpRequest, content_id: str) -> HttpResponse:
    """The player page framed by a lesson. It does not depend on who is signed in (it never
    reads the session): whoever holds the content id sees the same page."""
    content = H5PContent.objects.filter(content_id=content_id).only("content_id", "title").first()
    if content is None:
        raise Http404
    files = reverse("courses:h5p_content_file", kwargs={"content_id": content_id, "path": "h5p.json"})
    base = files.rsplit("/", 1)[0]
    libraries = reverse("courses:h5p_library_file", kwargs={"path": "x"}).rsplit("/", 1)[0]
    config = {
        "id": content_id,
        "title": content.title,
        "h5pJsonPath": base,
        "contentJsonPath": f"{base}/content",
        "librariesPath": libraries,
        "frameJs": static("h5p-standalone/frame.bundle.js"),
        "frameCss": static("h5p-standalone/styles/h5p.css"),
        "embedType": _embed_type(_store() / "content" / content_id),
    }
    return render(request, "courses/player/embed.html", {"config": config, "content": content})


urlpatterns: list[URLPattern] = [
    path("courses/h5p/<str:content_id>/embed/", embed, name="h5p_embed"),
    path("courses/h5p/files/libraries/<path:path>", library_file, name="h5p_library_file"),
    path("courses/h5p/files/content/<str:content_id>/<path:path>", content_file, name="h5p_content_file"),
]
