"""Passage's own H5P content types: every demo package is valid H5P that our strict check
accepts, uploads like an author's, and is packed the same way every time."""

import io
import json
import re
import zipfile

import pytest

from accounts.models import Role
from courses.h5p import package_inspect
from courses.h5p_pack import MAIN_LIBRARIES, TYPES_DIR, demo_package
from courses.models import H5PContent
from courses.services import h5p_content_upload
from tests.courses.h5p_samples import SAMPLES
from tests.factories import make_user


def build(sample: str) -> bytes:
    kind, title, language, params = SAMPLES[sample]
    return demo_package(kind, title=title, language=language, params=params)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_demo_package_passes_the_package_check(sample):
    data = build(sample)

    package = package_inspect(io.BytesIO(data), size=len(data))

    kind = SAMPLES[sample][0]
    assert package.main_library.name == MAIN_LIBRARIES[kind]
    assert package.main_library.minor >= 1, "minor version 0 breaks H5P's category IRI"
    assert {lib.folder for lib in package.libraries} == {
        f"{MAIN_LIBRARIES[kind]}-1.1",
        "H5P.PassageQuestion-1.1",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("sample", ["multichoice-en", "fillblanks-ar", "truefalse-en"])
def test_a_demo_package_uploads_like_an_authors_package(sample, settings, tmp_path):
    settings.H5P_ROOT = tmp_path / "h5p"
    data = build(sample)

    content = h5p_content_upload(uploader=make_user(Role.AUTHOR), file=io.BytesIO(data), size=len(data))

    assert H5PContent.objects.get(pk=content.pk).title == SAMPLES[sample][1]
    stored = tmp_path / "h5p" / "content" / content.content_id / "content" / "content.json"
    assert json.loads(stored.read_text(encoding="utf-8"))["language"] == SAMPLES[sample][2]
    assert (tmp_path / "h5p" / "libraries" / "H5P.PassageQuestion-1.1" / "question.js").is_file()


def test_packing_is_deterministic():
    assert build("fillblanks-en") == build("fillblanks-en")
    with zipfile.ZipFile(io.BytesIO(build("truefalse-en"))) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_content_carries_its_language_direction_and_every_visible_text():
    with zipfile.ZipFile(io.BytesIO(build("truefalse-ar"))) as archive:
        content = json.loads(archive.read("content/content.json"))
        manifest = json.loads(archive.read("h5p.json"))

    assert content["language"] == "ar"
    assert content["dir"] == "rtl"
    assert content["l10n"]["trueText"] == "صحيح"  # the author's own words win
    assert {"check", "retry", "showSolution", "score", "correct", "incorrect"} <= set(content["l10n"])
    assert manifest["language"] == "ar"
    assert "div" in manifest["embedTypes"]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown content type"):
        demo_package("essay", title="x", language="en", params={})  # type: ignore[arg-type]


@pytest.mark.parametrize("folder", sorted(p.name for p in TYPES_DIR.iterdir() if p.is_dir()))
def test_each_runnable_library_defines_the_class_h5p_core_looks_up(folder):
    """H5P core finds a runnable with H5P.classFromName(machineName): the part after the last
    dot, on the H5P object."""
    descriptor = json.loads((TYPES_DIR / folder / "library.json").read_text(encoding="utf-8"))
    scripts = "".join(
        (TYPES_DIR / folder / item["path"]).read_text(encoding="utf-8") for item in descriptor["preloadedJs"]
    )
    short_name = descriptor["machineName"].rsplit(".", 1)[1]

    assert folder == f"{descriptor['machineName']}-{descriptor['majorVersion']}.{descriptor['minorVersion']}"
    assert descriptor["minorVersion"] >= 1
    assert re.search(rf"\bH5P\.{short_name} = ", scripts)
    for item in descriptor["preloadedCss"]:
        assert (TYPES_DIR / folder / item["path"]).is_file()
