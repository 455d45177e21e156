"""Unpacking checked packages into the store: libraries once per name and version, content per
package, nothing written for a refused package and nothing outside the store."""

import io
import threading

import pytest

from courses.h5p import PackageError
from courses.h5p_store import package_remove, package_store
from tests.courses.test_h5p_package import HOSTILE, pack, valid_files


def store(root, data: bytes):
    return package_store(io.BytesIO(data), size=len(data), root=root)


def everything_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_a_package_is_unpacked_into_its_content_folder_and_the_shared_libraries(tmp_path):
    stored = store(tmp_path, pack(valid_files()))

    content = tmp_path / "content" / stored.content_id
    assert (content / "h5p.json").is_file()
    assert (content / "content" / "content.json").is_file()
    assert (
        (tmp_path / "libraries" / "Passage.TrueFalse-1.2" / "truefalse.js").read_bytes().startswith(b"H5P.")
    )
    assert stored.new_libraries == ["Passage.TrueFalse-1.2"]
    assert not any((tmp_path / "tmp").iterdir())  # the work folder is gone


def test_a_second_package_with_the_same_library_shares_it(tmp_path):
    first = store(tmp_path, pack(valid_files()))
    second = store(tmp_path, pack(valid_files()))

    assert second.new_libraries == []
    assert first.content_id != second.content_id
    assert [p.name for p in (tmp_path / "libraries").iterdir()] == ["Passage.TrueFalse-1.2"]


def test_two_uploads_of_the_same_library_at_once_leave_one_copy(tmp_path):
    data = pack(valid_files())
    results, errors = [], []

    def upload():
        try:
            results.append(store(tmp_path, data))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=upload) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and len(results) == 6
    assert sum(len(r.new_libraries) for r in results) == 1
    assert everything_under(tmp_path / "libraries" / "Passage.TrueFalse-1.2") == sorted(
        ["icon.svg", "library.json", "truefalse.css", "truefalse.js"]
    )


@pytest.mark.parametrize(
    "case",
    ["zip-slip", "symlink", "zip bomb", "traversal in preloadedJs", "an entry that lies about its size"],
)
def test_a_refused_package_writes_nothing(tmp_path, case):
    build, _code, _named = HOSTILE[case]
    root = tmp_path / "store"

    with pytest.raises(PackageError):
        store(root, build())

    assert not root.exists() or everything_under(root) == []
    assert everything_under(tmp_path) in ([], ["store"])


def test_removing_a_package_keeps_the_libraries_others_use(tmp_path):
    first = store(tmp_path, pack(valid_files()))
    second = store(tmp_path, pack(valid_files()))

    package_remove(root=tmp_path, content_id=first.content_id)

    assert not (tmp_path / "content" / first.content_id).exists()
    assert (tmp_path / "content" / second.content_id / "h5p.json").exists()
    assert (tmp_path / "libraries" / "Passage.TrueFalse-1.2" / "library.json").exists()
