"""Checks of files that authors upload: sizes, and what the file really is, from its first bytes.

The extension and the browser's content type are the uploader's claims; the first bytes are
what a learner's phone will actually receive, so they decide. Pillow is not a dependency, hence
the signatures here. Every check raises a translated `ValidationError` that names the limit.
"""

from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from courses.h5p import DEFAULT_LIMITS

MB = 1024 * 1024
IMAGE_MAX_BYTES = 2 * MB
VIDEO_MAX_BYTES = 200 * MB
CAPTIONS_MAX_BYTES = 512 * 1024
H5P_MAX_BYTES = DEFAULT_LIMITS.archive_bytes
HEADER_BYTES = 64


@dataclass(frozen=True)
class Checked:
    extension: str  # what the bytes say the file is: "png", "mp4"...
    size: int


def _head(file: IO[bytes], n: int = HEADER_BYTES) -> bytes:
    file.seek(0)
    head = file.read(n)
    file.seek(0)
    return head


def _size(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    file.seek(0, 2)
    end = file.tell()
    file.seek(0)
    return end


def _too_large(limit: int) -> ValidationError:
    if limit >= MB:
        text = _("This file is too large: the limit is %(n)d MB.") % {"n": limit // MB}
    else:
        text = _("This file is too large: the limit is %(n)d KB.") % {"n": limit // 1024}
    return ValidationError(text, code="too_large")


def image_kind(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def video_kind(head: bytes) -> str | None:
    # ISO base media (MP4): a box size, then "ftyp". WebM: an EBML header whose doc type is webm.
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head:
        return "webm"
    return None


def image_check(file: IO[bytes], *, limit: int | None = None) -> Checked:
    """A PNG, JPEG or WebP image of at most 2 MB."""
    limit = IMAGE_MAX_BYTES if limit is None else limit
    size = _size(file)
    if size > limit:
        raise _too_large(limit)
    kind = image_kind(_head(file))
    if kind is None:
        raise ValidationError(_("This is not a PNG, JPEG or WebP image."), code="file_type")
    return Checked(kind, size)


def video_check(file: IO[bytes], *, limit: int | None = None) -> Checked:
    """An MP4 or WebM video of at most 200 MB."""
    limit = VIDEO_MAX_BYTES if limit is None else limit
    size = _size(file)
    if size > limit:
        raise _too_large(limit)
    kind = video_kind(_head(file))
    if kind is None:
        raise ValidationError(_("This is not an MP4 or WebM video."), code="file_type")
    return Checked(kind, size)


def captions_check(file: IO[bytes], *, limit: int | None = None) -> Checked:
    """WebVTT captions: UTF-8 text of at most 512 KB that starts with `WEBVTT`."""
    limit = CAPTIONS_MAX_BYTES if limit is None else limit
    size = _size(file)
    if size > limit:
        raise _too_large(limit)
    file.seek(0)
    data = file.read(limit + 1)
    file.seek(0)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The captions file is not UTF-8 text."), code="encoding") from None
    # "WEBVTT" alone, or followed by a space, tab or line break (WebVTT file signature).
    if not text.startswith("WEBVTT") or text[6:7] not in ("", " ", "\t", "\n", "\r"):
        raise ValidationError(
            _("This is not a WebVTT captions file: it must start with WEBVTT."), code="file_type"
        )
    return Checked("vtt", size)


def size_label(size: int) -> str:
    """A download size as people read it: "34 KB", "1.5 MB"."""
    if size < MB:
        return _("%(n)d KB") % {"n": max(1, -(-size // 1024))}
    return _("%(n)s MB") % {"n": f"{size / MB:.1f}"}
