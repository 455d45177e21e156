"""Packing Passage's own H5P content types into `.h5p` archives.

No registry ships real H5P content types, so demo courses and tests use ours (MIT, in
`courses/h5p_types/<Name-Major.Minor>/`, in the real H5P library format). `demo_package` builds
an archive that passes `courses.h5p.package_inspect` and plays in h5p-standalone:

    data = demo_package("truefalse", title="Berlin", language="en",
                        params={"question": "Berlin is in Germany.", "correct": True})
    h5p_content_upload(uploader=author, file=io.BytesIO(data), size=len(data))

The archive is the same bytes for the same arguments (fixed timestamps, sorted entries, sorted
JSON), so seeding twice or comparing in tests is stable.
"""

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

TYPES_DIR = Path(__file__).resolve().parent / "h5p_types"
Kind = Literal["multichoice", "fillblanks", "truefalse"]
MAIN_LIBRARIES: dict[str, str] = {
    "multichoice": "H5P.PassageMultiChoice",
    "fillblanks": "H5P.PassageFillBlanks",
    "truefalse": "H5P.PassageTrueFalse",
}
# Zip's epoch: a fixed time keeps archives identical from one build to the next.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# The texts of our content types. They travel inside content.json (H5P content carries its own
# words), written in the content's language when a translation exists.
L10N = {
    "check": _("Check"),
    "retry": _("Try again"),
    "showSolution": _("Show solution"),
    "correct": _("Correct"),
    "incorrect": _("Not correct"),
    "rightAnswer": _("Right answer"),
    "allCorrect": _("All correct!"),
    # :num and :total are filled in by the activity.
    "score": _("You got :num out of :total."),
    "answerNotGiven": _("Please answer first."),
    "chooseOne": _("Choose one answer."),
    "chooseAll": _("Choose all that apply."),
    "trueText": _("True"),
    "falseText": _("False"),
    # :num is the blank's number and :total the number of blanks.
    "gapLabel": _("Blank :num of :total"),
    # :answer is the expected answer.
    "solutionLabel": _("Answer: :answer"),
}


def text_direction(language: str) -> Literal["ltr", "rtl"]:
    return "rtl" if language.split("-")[0].lower() in settings.LANGUAGES_BIDI else "ltr"


def default_l10n(language: str) -> dict[str, str]:
    """The content types' texts in `language` (English where no translation exists)."""
    with translation.override(language):
        return {key: str(text) for key, text in L10N.items()}


def demo_package(kind: Kind, *, title: str, language: str, params: dict[str, Any]) -> bytes:
    """A valid `.h5p` archive (bytes) of one of our content types with `params` as its
    content.json; `language` sets the content's language, direction and default texts."""
    if kind not in MAIN_LIBRARIES:
        raise ValueError(f"unknown content type {kind!r}; one of {sorted(MAIN_LIBRARIES)}")
    main = MAIN_LIBRARIES[kind]
    folders = _library_closure(_folder_of(main))
    content = {
        **params,
        "language": language,
        "dir": params.get("dir") or text_direction(language),
        "l10n": {**default_l10n(language), **(params.get("l10n") or {})},
    }
    manifest = {
        "title": title,
        "language": language,
        "mainLibrary": main,
        "embedTypes": ["div"],
        "license": "U",
        "preloadedDependencies": [_reference(folder) for folder in folders],
    }
    files: dict[str, bytes] = {
        "h5p.json": _json_bytes(manifest),
        "content/content.json": _json_bytes(content),
    }
    for folder in folders:
        for path in sorted((TYPES_DIR / folder).rglob("*")):
            if path.is_file():
                files[f"{folder}/{path.relative_to(TYPES_DIR / folder).as_posix()}"] = path.read_bytes()
    return _zip(files)


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def _descriptor(folder: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TYPES_DIR / folder / "library.json").read_text(encoding="utf-8"))
    return data


def _folder_of(machine_name: str) -> str:
    """The folder of the (only) version we ship of a library."""
    matches = sorted(p.name for p in TYPES_DIR.glob(f"{machine_name}-*.*") if p.is_dir())
    if len(matches) != 1:
        raise LookupError(f"expected one folder for {machine_name} in {TYPES_DIR}, found {matches}")
    return matches[0]


def _reference(folder: str) -> dict[str, Any]:
    data = _descriptor(folder)
    return {key: data[key] for key in ("machineName", "majorVersion", "minorVersion")}


def _library_closure(main_folder: str) -> list[str]:
    """The main library first, then every library it depends on (each once)."""
    order: list[str] = []
    pending = [main_folder]
    while pending:
        folder = pending.pop(0)
        if folder in order:
            continue
        order.append(folder)
        for dependency in _descriptor(folder).get("preloadedDependencies") or []:
            pending.append(
                f"{dependency['machineName']}-{dependency['majorVersion']}.{dependency['minorVersion']}"
            )
    return order


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, so the mode above means what it says everywhere
            archive.writestr(info, files[name])
    return buffer.getvalue()
