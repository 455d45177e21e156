"""Serving files from a folder on disk: uploads (`/media/`) and the H5P content store.

Caddy in front only proxies (platform/Caddyfile), so the app serves these itself, safely:
- nothing outside the folder (no `..`, no odd names, no link that leads out), only regular files;
- only known types are served as themselves; anything else is a download, never a page, and
  every file carries a `sandbox` CSP and `nosniff`, so an uploaded SVG or HTML cannot run script;
- ETag/Last-Modified with 304s, long caching where names never change, and single byte ranges
  (a video player seeks with Range requests; without them a phone downloads the whole file).
"""

import re
from collections.abc import Iterator, Mapping
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
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

# What may be served as itself; anything else is downloaded, never rendered.
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
# Uploads are images, videos and captions only (courses.uploads checks them by content).
MEDIA_TYPES = {ext: CONTENT_TYPES[ext] for ext in ("png", "jpg", "jpeg", "webp", "mp4", "webm", "vtt")}
# A served file never runs as a page: opened directly, it is sandboxed and inert.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
YEAR = 60 * 60 * 24 * 365
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def safe_file(root: Path, relative: str) -> Path:
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
    root = root.resolve()
    try:
        target = (root / relative).resolve()
    except (OSError, RuntimeError):
        raise Http404 from None
    if not target.is_relative_to(root) or not target.is_file():
        raise Http404
    return target


def file_response(
    request: HttpRequest,
    target: Path,
    *,
    max_age: int,
    immutable: bool = False,
    types: Mapping[str, str] = CONTENT_TYPES,
    headers: Mapping[str, str] | None = None,
) -> HttpResponseBase:
    """`target` (already checked with `safe_file`) as a response, with validators, caching,
    ranges and the headers that keep it inert."""
    stat = target.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    extension = target.suffix[1:].lower()
    content_type = types.get(extension, "application/octet-stream")

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
    response.headers["Last-Modified"] = http_date(stat.st_mtime)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Cache-Control"] = f"public, max-age={max_age}" + (", immutable" if immutable else "")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    if extension not in types:
        response.headers["Content-Disposition"] = "attachment"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _read_range(file: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    with file:
        file.seek(start)
        while length > 0:
            chunk = file.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


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
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """An uploaded file (course covers, lesson images, videos, posters, captions). Uploads are
    stored under random names that are never reused, so they are cached for a year."""
    target = safe_file(Path(settings.MEDIA_ROOT), path)
    return file_response(request, target, max_age=YEAR, immutable=True, types=MEDIA_TYPES)
