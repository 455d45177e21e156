"""Uploading H5P activities: only authors; a package is recorded with its shared libraries; a
refused one leaves no row and no file."""

import io

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Role
from courses.h5p import PackageError
from courses.models import H5PContent, H5PLibrary
from courses.services import h5p_content_upload
from tests.courses.test_h5p_package import HOSTILE, pack, valid_files
from tests.factories import make_user

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def store(settings, tmp_path):
    settings.H5P_ROOT = tmp_path / "h5p"
    return settings.H5P_ROOT


def upload(user, data: bytes) -> H5PContent:
    return h5p_content_upload(uploader=user, file=io.BytesIO(data), size=len(data))


def test_an_author_uploads_an_activity_and_its_library_is_recorded_once():
    author = make_user(Role.AUTHOR)

    first = upload(author, pack(valid_files()))
    second = upload(author, pack(valid_files()))

    assert first.title == "Is Berlin in Germany?"
    assert first.main_library.folder == "Passage.TrueFalse-1.2"
    assert H5PLibrary.objects.count() == 1
    assert list(second.libraries.all()) == [first.main_library]


def test_someone_who_is_not_an_author_cannot_upload(store):
    with pytest.raises(PermissionDenied):
        upload(make_user(Role.MIGRANT), pack(valid_files()))

    assert not H5PContent.objects.exists()
    assert not store.exists()


def test_a_refused_package_leaves_no_row_and_no_file(store):
    build, code, _named = HOSTILE["traversal in preloadedJs"]

    with pytest.raises(PackageError) as error:
        upload(make_user(Role.AUTHOR), build())

    assert error.value.code == code
    assert not H5PContent.objects.exists() and not H5PLibrary.objects.exists()
    assert not store.exists() or not any((store / "content").glob("*"))
