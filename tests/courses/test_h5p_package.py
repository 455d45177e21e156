"""The `.h5p` check: a corpus of hostile archives, each refused with a reason that names the
problem, and valid packages accepted. Archives are built here, in memory."""

import io
import json
import struct
import zipfile

import pytest

from courses.h5p import Limits, PackageError, package_inspect

LIBRARY = {"machineName": "Passage.TrueFalse", "majorVersion": 1, "minorVersion": 2}
MANIFEST = {
    "title": "Is Berlin in Germany?",
    "mainLibrary": "Passage.TrueFalse",
    "preloadedDependencies": [LIBRARY],
}
LIBRARY_JSON = {
    **LIBRARY,
    "title": "True/false",
    "preloadedJs": [{"path": "truefalse.js"}],
    "preloadedCss": [{"path": "truefalse.css"}],
}


def valid_files() -> dict[str, bytes]:
    return {
        "h5p.json": json.dumps(MANIFEST).encode(),
        "content/content.json": json.dumps({"question": "Berlin is in Germany.", "correct": True}).encode(),
        "content/images/map.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        "Passage.TrueFalse-1.2/library.json": json.dumps(LIBRARY_JSON).encode(),
        "Passage.TrueFalse-1.2/truefalse.js": b"H5P.TrueFalse = function () {};",
        "Passage.TrueFalse-1.2/truefalse.css": b".h5p-true-false { color: black; }",
        "Passage.TrueFalse-1.2/icon.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    }


def pack(files: dict[str, bytes], *, extra: list[zipfile.ZipInfo] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for info, data in extra or []:
            archive.writestr(info, data)
    return buffer.getvalue()


def inspect(data: bytes, **kwargs):
    return package_inspect(io.BytesIO(data), size=len(data), **kwargs)


def refused(data: bytes, **kwargs) -> PackageError:
    with pytest.raises(PackageError) as error:
        inspect(data, **kwargs)
    return error.value


def with_files(**changes: bytes | None) -> bytes:
    files = valid_files()
    for name, data in changes.items():
        name = name.replace("__", "/")
        if data is None:
            files.pop(name)
        else:
            files[name] = data
    return pack(files)


def test_a_valid_package_is_described():
    package = inspect(pack(valid_files()))

    assert package.title == "Is Berlin in Germany?"
    assert package.main_library.folder == "Passage.TrueFalse-1.2"
    assert [lib.folder for lib in package.libraries] == ["Passage.TrueFalse-1.2"]
    assert "content/images/map.png" in package.content_files


def test_a_package_with_several_libraries_and_media_is_accepted():
    files = valid_files()
    question = {"machineName": "H5P.Question", "majorVersion": 1, "minorVersion": 5}
    files["H5P.Question-1.5/library.json"] = json.dumps(question).encode()
    files["content/audio/hello.mp3"] = b"ID3" + b"\0" * 100
    files["content/captions.vtt"] = b"WEBVTT\n"
    manifest = {**MANIFEST, "preloadedDependencies": [LIBRARY, question]}
    files["h5p.json"] = json.dumps(manifest).encode()

    assert len(inspect(pack(files)).libraries) == 2


def symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16
    return info, target.encode()


def patch_headers(data: bytes, name: str, patch) -> bytes:
    """Change the local and the central header of one entry (what a forged archive does)."""
    patched = bytearray(data)
    for signature, header, length_at in ((b"PK\x03\x04", 30, 26), (b"PK\x01\x02", 46, 28)):
        start = 0
        while (start := patched.find(signature, start)) >= 0:
            (length,) = struct.unpack_from("<H", patched, start + length_at)
            if bytes(patched[start + header : start + header + length]) == name.encode():
                patch(patched, start, signature)
            start += 4
    return bytes(patched)


def encrypted() -> bytes:
    def set_flag(patched, start, signature):
        at = start + (6 if signature == b"PK\x03\x04" else 8)
        (flags,) = struct.unpack_from("<H", patched, at)
        struct.pack_into("<H", patched, at, flags | 0x1)

    return patch_headers(
        pack({**valid_files(), "content/secret.json": b"{}"}), "content/secret.json", set_flag
    )


def lying_about_its_size() -> bytes:
    """A deflated entry whose headers say it unpacks to 10 bytes; it unpacks to 100,000."""

    def shrink(patched, start, signature):
        struct.pack_into("<I", patched, start + (22 if signature == b"PK\x03\x04" else 24), 10)

    return patch_headers(
        pack({**valid_files(), "content/big.txt": b"a" * 100_000}), "content/big.txt", shrink
    )


HOSTILE = {
    # name: (archive, expected code, a word the message must name)
    "zip-slip": (lambda: with_files(**{"../evil.js": b"alert(1)"}), "bad_path", "../evil.js"),
    "traversal inside content": (
        lambda: with_files(**{"content/../../etc/cron.json": b"{}"}),
        "bad_path",
        "cron.json",
    ),
    "absolute path": (lambda: with_files(**{"/etc/passwd.txt": b"x"}), "bad_path", "/etc/passwd.txt"),
    "backslashes": (
        lambda: pack({**valid_files(), "content\\..\\evil.json": b"{}"}),
        "bad_path",
        "evil.json",
    ),
    "drive letter": (lambda: pack({**valid_files(), "C:/evil.json": b"{}"}), "bad_path", "C:/evil.json"),
    "symlink": (
        lambda: pack(valid_files(), extra=[symlink("content/link.json", "/etc/passwd")]),
        "symlink",
        "link.json",
    ),
    "zip bomb": (
        lambda: pack({**valid_files(), "content/zeros.txt": b"\0" * (60 * 1024 * 1024)}),
        "zip_bomb",
        "zeros.txt",
    ),
    "10,000 entries": (
        lambda: pack({**valid_files(), **{f"content/{i}.txt": b"" for i in range(10_000)}}),
        "too_many_files",
        "10007",
    ),
    "PHP in content": (
        lambda: with_files(**{"content__shell.php": b"<?php system($_GET['c']);"}),
        "file_type",
        "shell.php",
    ),
    "HTML in content": (
        lambda: with_files(**{"content__page.html": b"<script>alert(1)</script>"}),
        "file_type",
        "page.html",
    ),
    "SVG with a script in content": (
        lambda: with_files(**{"content__logo.svg": b"<svg onload='fetch(`/accounts/email/`)'/>"}),
        "file_type",
        "logo.svg",
    ),
    "missing h5p.json": (lambda: with_files(**{"h5p.json": None}), "missing_file", "h5p.json"),
    "missing content.json": (
        lambda: with_files(**{"content__content.json": None}),
        "missing_file",
        "content/content.json",
    ),
    "library folder without a version": (
        lambda: pack({**valid_files(), "H5P.Evil/library.json": b"{}"}),
        "bad_library_folder",
        "H5P.Evil",
    ),
    "library folder that does not match library.json": (
        lambda: pack({**valid_files(), "H5P.Other-1.0/library.json": json.dumps(LIBRARY).encode()}),
        "bad_library_folder",
        "H5P.Other-1.0",
    ),
    "traversal in preloadedJs": (
        lambda: with_files(
            **{
                "Passage.TrueFalse-1.2__library.json": json.dumps(
                    {**LIBRARY_JSON, "preloadedJs": [{"path": "../../h5p.json"}]}
                ).encode()
            }
        ),
        "bad_path",
        "../../h5p.json",
    ),
    "preloadedJs that is not in the package": (
        lambda: with_files(**{"Passage.TrueFalse-1.2__truefalse.js": None}),
        "missing_file",
        "truefalse.js",
    ),
    "a dependency the package does not bring": (
        lambda: with_files(
            **{
                "Passage.TrueFalse-1.2__library.json": None,
                "Passage.TrueFalse-1.2__truefalse.js": None,
                "Passage.TrueFalse-1.2__truefalse.css": None,
                "Passage.TrueFalse-1.2__icon.svg": None,
            }
        ),
        "missing_library",
        "Passage.TrueFalse-1.2",
    ),
    "h5p.json that is not JSON": (
        lambda: with_files(**{"h5p.json": b"{title: oops"}),
        "bad_json",
        "h5p.json",
    ),
    "h5p.json without a main library": (
        lambda: with_files(**{"h5p.json": json.dumps({"title": "x", "preloadedDependencies": []}).encode()}),
        "bad_manifest",
        "h5p.json",
    ),
    "an unexpected file at the top": (
        lambda: with_files(**{"index.html": b"<script></script>"}),
        "unexpected_file",
        "index.html",
    ),
    "the same name twice, in other case": (
        lambda: with_files(**{"content__Images__map.png": b"\x89PNG"}),
        "duplicate",
        "Images/map.png",
    ),
    "an encrypted entry": (encrypted, "encrypted", "secret.json"),
    "an entry that lies about its size": (lying_about_its_size, None, "big.txt"),
    "not a zip at all": (lambda: b"<html><body>not a package</body></html>", "not_zip", "zip"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_package_is_refused_with_a_reason_naming_the_problem(case):
    build, code, named = HOSTILE[case]

    error = refused(build())

    if code is not None:
        assert error.code == code
    else:
        assert error.code in {"size_mismatch", "corrupt"}
    assert named in error.message


def test_the_corpus_has_at_least_fifteen_hostile_archives():
    assert len(HOSTILE) >= 15


def test_an_archive_over_the_upload_limit_is_refused_before_it_is_opened():
    data = pack(valid_files())

    error = refused(data, limits=Limits(archive_bytes=len(data) - 1))

    assert error.code == "too_large"


def test_an_archive_that_unpacks_beyond_the_limit_is_refused():
    data = pack({**valid_files(), "content/notes.txt": bytes(range(256)) * 4096})

    assert refused(data, limits=Limits(unpacked_bytes=512 * 1024)).code == "too_large_unpacked"
