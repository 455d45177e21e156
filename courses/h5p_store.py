"""The H5P content store: where checked packages are unpacked.

    <root>/libraries/<Name-Major.Minor>/   each library once, shared by every package
    <root>/content/<id>/h5p.json           one folder per package: its manifest...
    <root>/content/<id>/content/...        ...and its content (content.json and media)

A package is checked completely first (`courses.h5p.package_inspect`); only then is it unpacked
into a temporary folder inside the store, from which libraries and content are moved into place
with `os.rename` (atomic on one file system). A library folder that already exists is kept: two
uploads bringing the same library at once both succeed and one copy remains. Every path written
is checked to stay under the store, whatever the checks before it missed.
"""

import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from courses.h5p import DEFAULT_LIMITS, Limits, Package, PackageError, package_inspect


@dataclass(frozen=True)
class StoredPackage:
    content_id: str
    package: Package
    # The libraries this upload added to the store (the others were there already).
    new_libraries: list[str]


def package_store(
    file: IO[bytes], *, size: int, root: Path, limits: Limits = DEFAULT_LIMITS
) -> StoredPackage:
    """Check a `.h5p` archive and unpack it into the store at `root`; raise `PackageError`
    (and write nothing) if it is refused."""
    package = package_inspect(file, size=size, limits=limits)
    file.seek(0)
    root = root.resolve()
    content_id = uuid.uuid4().hex
    work = root / "tmp" / content_id
    work.mkdir(parents=True)
    try:
        with zipfile.ZipFile(file) as archive:
            for entry in archive.infolist():
                if not entry.is_dir():
                    _unpack(archive, entry, work)
        new_libraries = [lib.folder for lib in package.libraries if _place_library(work / lib.folder, root)]
        content = root / "content" / content_id
        content.mkdir(parents=True)
        os.rename(work / "h5p.json", content / "h5p.json")
        os.rename(work / "content", content / "content")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return StoredPackage(content_id=content_id, package=package, new_libraries=new_libraries)


def _unpack(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, work: Path) -> None:
    target = (work / entry.filename).resolve()
    if not target.is_relative_to(work):
        # Checked already by package_inspect: this is defence in depth.
        raise PackageError("bad_path", _("The package could not be unpacked safely."))
    target.parent.mkdir(parents=True, exist_ok=True)
    left = entry.file_size
    with archive.open(entry) as source, open(target, "xb") as out:
        while chunk := source.read(min(1024 * 1024, left + 1)):
            left -= len(chunk)
            if left < 0:
                raise PackageError("size_mismatch", _("The package could not be unpacked safely."))
            out.write(chunk)


def _place_library(unpacked: Path, root: Path) -> bool:
    """Move a library into the store unless that name and version is there already."""
    libraries = root / "libraries"
    libraries.mkdir(parents=True, exist_ok=True)
    destination = libraries / unpacked.name
    if destination.exists():
        return False
    try:
        os.rename(unpacked, destination)
    except OSError:
        if destination.exists():
            return False  # another upload placed the same library a moment ago
        raise
    return True


def package_remove(*, root: Path, content_id: str) -> None:
    """Remove one package's content (libraries stay: other packages may use them)."""
    if not content_id.isalnum():
        raise ValueError("not a content id")
    shutil.rmtree(root.resolve() / "content" / content_id, ignore_errors=True)
