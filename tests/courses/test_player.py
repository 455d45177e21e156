"""The sandboxed player page and the content store's files: right types and headers for an
opaque-origin player, nothing outside the store, and nobody's session involved."""

import io

import pytest
from django.urls import reverse

from accounts.models import Role
from courses.h5p_pack import demo_package
from courses.models import H5PContent
from courses.services import h5p_content_upload
from tests.courses.h5p_samples import SAMPLES
from tests.factories import make_user

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def store(settings, tmp_path):
    settings.H5P_ROOT = tmp_path / "h5p"
    # A file beside the store that no URL may reach.
    (tmp_path / "secret.json").write_text('{"secret": true}', encoding="utf-8")
    return settings.H5P_ROOT


@pytest.fixture
def content(store) -> H5PContent:
    kind, title, language, params = SAMPLES["multichoice-en"]
    data = demo_package(kind, title=title, language=language, params=params)
    return h5p_content_upload(uploader=make_user(Role.AUTHOR), file=io.BytesIO(data), size=len(data))


def content_url(content: H5PContent, path: str) -> str:
    return reverse("courses:h5p_content_file", kwargs={"content_id": content.content_id, "path": path})


def library_url(path: str) -> str:
    return reverse("courses:h5p_library_file", kwargs={"path": path})


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("H5P.PassageMultiChoice-1.1/library.json", "application/json"),
        ("H5P.PassageMultiChoice-1.1/multichoice.js", "text/javascript; charset=utf-8"),
        ("H5P.PassageQuestion-1.1/question.css", "text/css; charset=utf-8"),
    ],
)
def test_library_files_are_served_with_their_type_for_an_opaque_origin(client, content, path, content_type):
    response = client.get(library_url(path))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "immutable" in response["Cache-Control"]
    assert response["ETag"] and response["Last-Modified"]
    assert "Set-Cookie" not in response


def test_content_files_are_served_and_revalidated(client, content):
    url = content_url(content, "content/content.json")
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert first["Content-Type"] == "application/json"
    assert b"Which word is a greeting?" in b"".join(first.streaming_content)
    assert first["Content-Security-Policy"].startswith("sandbox")
    assert "immutable" not in first["Cache-Control"]
    assert again.status_code == 304
    assert client.get(content_url(content, "h5p.json")).status_code == 200


def test_other_files_are_downloads_never_pages(client, content, store):
    media = store / "content" / content.content_id / "content" / "notes.pdf"
    media.write_bytes(b"%PDF-1.4 <script>alert(1)</script>")

    response = client.get(content_url(content, "content/notes.pdf"))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"


def test_a_range_of_a_media_file_is_served(client, content, store):
    (store / "content" / content.content_id / "content" / "clip.mp4").write_bytes(bytes(range(100)))
    url = content_url(content, "content/clip.mp4")

    part = client.get(url, HTTP_RANGE="bytes=10-19")
    tail = client.get(url, HTTP_RANGE="bytes=-5")
    beyond = client.get(url, HTTP_RANGE="bytes=200-")

    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 10-19/100"
    assert b"".join(part.streaming_content) == bytes(range(10, 20))
    assert b"".join(tail.streaming_content) == bytes(range(95, 100))
    assert beyond.status_code == 416


@pytest.mark.parametrize(
    "path",
    [
        "../secret.json",
        "../../secret.json",
        "%2e%2e/secret.json",
        "%2e%2e%2fsecret.json",
        "H5P.PassageQuestion-1.1/../../../secret.json",
        "/etc/passwd",
        "//etc/passwd",
        "H5P.PassageQuestion-1.1\\question.js",
        "H5P.PassageQuestion-1.1",  # a directory
        "H5P.PassageQuestion-1.1/",
        "H5P.PassageQuestion-1.1/missing.js",
        "./H5P.PassageQuestion-1.1/question.js",
    ],
)
def test_nothing_outside_the_library_store_is_served(client, content, path):
    assert client.get("/courses/h5p/files/libraries/" + path).status_code == 404


@pytest.mark.parametrize("path", ["../../secret.json", "%2e%2e/%2e%2e/secret.json", "content", "/h5p.json"])
def test_nothing_outside_a_package_is_served(client, content, path):
    assert client.get(f"/courses/h5p/files/content/{content.content_id}/{path}").status_code == 404


def test_a_link_inside_the_store_pointing_out_is_not_followed(client, content, store, tmp_path):
    (store / "libraries" / "H5P.PassageQuestion-1.1" / "leak.json").symlink_to(tmp_path / "secret.json")

    assert client.get(library_url("H5P.PassageQuestion-1.1/leak.json")).status_code == 404


def test_files_of_an_unknown_package_do_not_exist(client, content, store):
    unknown = "0" * 32
    (store / "content" / unknown).mkdir()
    (store / "content" / unknown / "h5p.json").write_text("{}", encoding="utf-8")

    assert client.get(f"/courses/h5p/files/content/{unknown}/h5p.json").status_code == 404
    assert client.get("/courses/h5p/files/content/not-an-id/h5p.json").status_code == 404


def test_the_embed_page_is_sandboxed_and_may_be_framed_only_by_our_pages(client, content):
    response = client.get(reverse("courses:h5p_embed", kwargs={"content_id": content.content_id}))

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict([*d.strip().split(" ", 1), ""][:2] for d in csp.split(";"))
    assert directives["sandbox"] == "allow-scripts"
    assert directives["frame-ancestors"] == "'self'"
    assert "'unsafe-eval'" not in csp
    assert "allow-same-origin" not in csp
    assert directives["script-src"] == "'self'"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    html = response.content.decode()
    assert "h5p-standalone/main.bundle.js" in html
    assert "courses/h5p-embed.js" in html
    assert content.content_id in html


def test_the_embed_page_is_the_same_for_everyone(client_for, content):
    url = reverse("courses:h5p_embed", kwargs={"content_id": content.content_id})
    visitor = client_for(None).get(url)
    learner = client_for(make_user(Role.MIGRANT)).get(url)

    assert visitor.content == learner.content
    assert "public" in visitor["Cache-Control"]
    assert "Set-Cookie" not in learner


def test_the_embed_page_of_an_unknown_package_does_not_exist(client, store):
    assert client.get(reverse("courses:h5p_embed", kwargs={"content_id": "f" * 32})).status_code == 404


def test_the_notice_served_beside_the_player_is_the_repository_notice():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    served = root / "courses" / "static" / "courses" / "h5p-player-NOTICE.txt"

    assert served.read_text(encoding="utf-8") == (root / "NOTICE").read_text(encoding="utf-8")
    assert "GPL-3.0" in served.read_text(encoding="utf-8")
