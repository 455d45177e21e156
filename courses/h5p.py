"""Checking an uploaded `.h5p` package before anything of it is written to disk.

An `.h5p` file is a zip archive: `h5p.json` (title, main library, dependencies), the content in
`content/` (`content/content.json` and its media), and one folder per library,
`Name-Major.Minor/` with its `library.json`, scripts and styles. Packages come from authors'
H5P editors and carry JavaScript by design, so everything about the archive is checked from its
central directory first (names, kinds of file, sizes, counts), then every entry is read once
with a cap, which catches archives that lie about their sizes. Nothing is extracted here.

The rules follow H5P core (allowed extensions; SVG no longer allowed in content) plus what
core leaves out: traversal in `preloadedJs`/`preloadedCss`, symlinks, absolute paths,
backslashes, duplicate names and zip bombs.
"""

import json
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

from django.utils.translation import gettext as _

# What H5P core accepts in content/ (FIELD-NOTES: current core, SVG removed).
CONTENT_EXTENSIONS = frozenset(
    {
        "json",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "bmp",
        "tif",
        "tiff",
        "eot",
        "ttf",
        "woff",
        "woff2",
        "otf",
        "webm",
        "mp4",
        "ogg",
        "mp3",
        "m4a",
        "wav",
        "txt",
        "pdf",
        "rtf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "ods",
        "odp",
        "csv",
        "diff",
        "patch",
        "swf",
        "md",
        "textile",
        "vtt",
        "webvtt",
        "gltf",
        "glb",
    }
)
# Libraries may also bring their code and vector images.
LIBRARY_EXTENSIONS = CONTENT_EXTENSIONS | {"js", "css", "svg", "xml"}
LIBRARY_FOLDER = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z0-9._-]{0,126})-(?P<major>\d{1,4})\.(?P<minor>\d{1,4})$"
)
JSON_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    archive_bytes: int = 200 * 1024 * 1024
    unpacked_bytes: int = 500 * 1024 * 1024
    entries: int = 3000
    # Text and media compress, but not by a thousand: above this an entry is a zip bomb.
    ratio: int = 200
    path_chars: int = 240


DEFAULT_LIMITS = Limits()


class PackageError(Exception):
    """The package is refused; `message` says why in the uploader's language and names the
    problem (the file or the rule), `code` is stable for programs and tests."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Library:
    name: str
    major: int
    minor: int

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.major}.{self.minor}"


@dataclass
class Package:
    title: str
    main_library: Library
    dependencies: list[Library]
    libraries: list[Library]  # the library folders the archive brings
    content_files: list[str] = field(default_factory=list)
    unpacked_bytes: int = 0


def package_inspect(file: IO[bytes], *, size: int, limits: Limits = DEFAULT_LIMITS) -> Package:
    """Check a whole `.h5p` archive (`size` bytes, read from `file`) and describe it; raise
    `PackageError` for the first problem found."""
    if size > limits.archive_bytes:
        raise PackageError(
            "too_large",
            _("The package is larger than %(mb)d MB.") % {"mb": limits.archive_bytes // (1024 * 1024)},
        )
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PackageError(
            "not_zip", _("This file is not an H5P package (it is not a zip archive).")
        ) from None
    with archive:
        entries = archive.infolist()
        _check_entries(entries, limits)
        files = {e.filename: e for e in entries if not e.is_dir()}
        for required in ("h5p.json", "content/content.json"):
            if required not in files:
                raise PackageError("missing_file", _("The package has no %(name)s.") % {"name": required})
        _read_all(archive, entries)
        manifest = _json(archive, files["h5p.json"])
        _json(archive, files["content/content.json"])
        libraries = _check_libraries(archive, files)
        package = _describe(manifest, libraries)
        package.content_files = sorted(n for n in files if n.startswith("content/"))
        package.unpacked_bytes = sum(e.file_size for e in entries)
        return package


def _check_entries(entries: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(entries) > limits.entries:
        raise PackageError(
            "too_many_files",
            _("The package has %(n)d files; at most %(max)d are accepted.")
            % {"n": len(entries), "max": limits.entries},
        )
    total = 0
    seen: set[str] = set()
    for entry in entries:
        name = entry.filename
        _check_name(name, limits)
        folded = name.rstrip("/").casefold()
        if folded in seen:
            raise PackageError("duplicate", _("The package contains %(name)s twice.") % {"name": name})
        seen.add(folded)
        mode = entry.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise PackageError(
                "symlink",
                _("The package contains a link (%(name)s); links are not accepted.") % {"name": name},
            )
        if entry.flag_bits & 0x1:
            raise PackageError(
                "encrypted", _("The package contains an encrypted file (%(name)s).") % {"name": name}
            )
        if entry.is_dir():
            continue
        total += entry.file_size
        if total > limits.unpacked_bytes:
            raise PackageError(
                "too_large_unpacked",
                _("Unpacked, the package would be larger than %(mb)d MB.")
                % {"mb": limits.unpacked_bytes // (1024 * 1024)},
            )
        if entry.file_size > 1024 * 1024 and entry.file_size > limits.ratio * max(entry.compress_size, 1):
            raise PackageError(
                "zip_bomb",
                _("%(name)s unpacks to far more than its packed size; the package is refused.")
                % {"name": name},
            )
        _check_kind(name)


def _check_name(name: str, limits: Limits) -> None:
    bad = (
        not name
        or len(name) > limits.path_chars
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or re.match(r"^[A-Za-z]:", name) is not None
    )
    parts = name.rstrip("/").split("/")
    if bad or any(part in ("", ".", "..") for part in parts):
        raise PackageError(
            "bad_path",
            _("The package contains a file name that is not allowed: %(name)s") % {"name": name[:120]},
        )


def _extension(name: str) -> str:
    suffix = PurePosixPath(name).suffix
    return suffix[1:].lower() if suffix else ""


def _check_kind(name: str) -> None:
    top, _sep, rest = name.partition("/")
    if not rest:
        if name != "h5p.json":
            raise PackageError(
                "unexpected_file",
                _("The package has a file it should not have at its top: %(name)s") % {"name": name},
            )
        return
    if top == "content":
        allowed = CONTENT_EXTENSIONS
    elif LIBRARY_FOLDER.match(top):
        allowed = LIBRARY_EXTENSIONS
    else:
        raise PackageError(
            "bad_library_folder",
            _("%(folder)s is not a library folder (Name-Major.Minor) or the content folder.")
            % {"folder": top},
        )
    if _extension(name) not in allowed:
        raise PackageError(
            "file_type", _("Files of this type are not accepted in a package: %(name)s") % {"name": name}
        )


def _read_all(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Read every entry to its end with a cap: an entry that unpacks to more than it declares,
    or fails its checksum, is refused before anything is written."""
    for entry in entries:
        if entry.is_dir():
            continue
        read = 0
        try:
            with archive.open(entry) as stream:
                while chunk := stream.read(1024 * 1024):
                    read += len(chunk)
                    if read > entry.file_size:
                        raise PackageError(
                            "size_mismatch",
                            _("%(name)s is larger than the package says; the package is refused.")
                            % {"name": entry.filename},
                        )
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            raise PackageError(
                "corrupt", _("%(name)s in the package is damaged.") % {"name": entry.filename}
            ) from None


def _json(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> Any:
    if entry.file_size > JSON_MAX_BYTES:
        raise PackageError("json_too_large", _("%(name)s is too large.") % {"name": entry.filename})
    try:
        return json.loads(archive.read(entry).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PackageError("bad_json", _("%(name)s is not valid JSON.") % {"name": entry.filename}) from None


def _library_ref(value: Any, where: str) -> Library:
    if not isinstance(value, dict):
        raise PackageError("bad_manifest", _("%(where)s names a library wrongly.") % {"where": where})
    name, major, minor = value.get("machineName"), value.get("majorVersion"), value.get("minorVersion")
    if (
        not isinstance(name, str)
        or not isinstance(major, int)
        or not isinstance(minor, int)
        or isinstance(major, bool)
        or isinstance(minor, bool)
        or LIBRARY_FOLDER.match(f"{name}-{major}.{minor}") is None
    ):
        raise PackageError("bad_manifest", _("%(where)s names a library wrongly.") % {"where": where})
    return Library(name=name, major=major, minor=minor)


def _check_libraries(archive: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo]) -> list[Library]:
    folders = sorted({name.split("/", 1)[0] for name in files if "/" in name} - {"content"})
    libraries = []
    for folder in folders:
        descriptor = files.get(f"{folder}/library.json")
        if descriptor is None:
            raise PackageError(
                "missing_file", _("The library folder %(folder)s has no library.json.") % {"folder": folder}
            )
        data = _json(archive, descriptor)
        library = _library_ref(data, f"{folder}/library.json")
        if library.folder != folder:
            raise PackageError(
                "bad_library_folder",
                _("The folder %(folder)s holds the library %(library)s; the names must match.")
                % {"folder": folder, "library": library.folder},
            )
        for key in ("preloadedJs", "preloadedCss"):
            for item in data.get(key) or []:
                path = item.get("path") if isinstance(item, dict) else None
                if not isinstance(path, str):
                    raise PackageError(
                        "bad_manifest",
                        _("%(folder)s/library.json lists a file wrongly.") % {"folder": folder},
                    )
                _check_library_path(folder, path, files)
        libraries.append(library)
    return libraries


def _check_library_path(folder: str, path: str, files: dict[str, zipfile.ZipInfo]) -> None:
    """A library's own scripts and styles stay inside its folder and exist."""
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(part in ("", ".", "..") for part in parts):
        raise PackageError(
            "bad_path",
            _("%(folder)s/library.json points outside its folder: %(path)s")
            % {"folder": folder, "path": path[:120]},
        )
    if f"{folder}/{path}" not in files:
        raise PackageError(
            "missing_file",
            _("%(folder)s/library.json lists %(path)s, which the package does not contain.")
            % {"folder": folder, "path": path[:120]},
        )


def _describe(manifest: Any, libraries: list[Library]) -> Package:
    if not isinstance(manifest, dict):
        raise PackageError("bad_manifest", _("h5p.json does not describe a package."))
    title = manifest.get("title")
    main = manifest.get("mainLibrary")
    dependencies = manifest.get("preloadedDependencies")
    if (
        not isinstance(title, str)
        or not title.strip()
        or not isinstance(main, str)
        or not isinstance(dependencies, list)
    ):
        raise PackageError("bad_manifest", _("h5p.json needs a title, a main library and its dependencies."))
    refs = [_library_ref(d, "h5p.json") for d in dependencies]
    present = {lib.folder for lib in libraries}
    main_refs = [ref for ref in refs if ref.name == main]
    if not main_refs:
        raise PackageError(
            "bad_manifest",
            _("h5p.json names %(library)s as its main library but does not depend on it.")
            % {"library": main[:120]},
        )
    for ref in refs:
        if ref.folder not in present:
            raise PackageError(
                "missing_library",
                _("The package needs the library %(library)s but does not contain it.")
                % {"library": ref.folder},
            )
    return Package(
        title=title.strip()[:255], main_library=main_refs[0], dependencies=refs, libraries=libraries
    )
