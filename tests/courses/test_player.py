"""The sandboxed player page and the content store's files: right types and headers for an
opaque-origin player, nothing outside the store, and nobody's session involved."""

import base64
import hashlib
import io
import json
import re

import pytest
from django.urls import reverse

from accounts.models import Role
from courses.h5p_pack import demo_package
from courses.models import H5PContent
from courses.services import h5p_content_upload
from courses.views.player import EMBED_BOOTSTRAP, EMBED_BOOTSTRAP_HASH
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
    assert again.status_code == 304
    assert client.get(content_url(content, "h5p.json")).status_code == 200


def test_content_files_are_immutable_since_every_upload_gets_a_new_id(client, content):
    response = client.get(content_url(content, "content/content.json"))

    assert response["Cache-Control"] == f"public, max-age={60 * 60 * 24 * 365}, immutable"


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
    assert directives["script-src"] == f"'self' {EMBED_BOOTSTRAP_HASH} blob:"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    html = response.content.decode()
    # One inline script, the bootstrap the hash allows; no script loaded from the network.
    inline = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert inline == [EMBED_BOOTSTRAP]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" == EMBED_BOOTSTRAP_HASH
    assert "<script src" not in html
    assert '<link rel="stylesheet"' not in html
    assert content.content_id in html
    config = json.loads(
        re.search(r'<script id="h5p-config" type="application/json">(.*?)</script>', html).group(1)
    )
    assert config["embedJs"].endswith("courses/h5p-embed.js")
    assert config["mainJs"].endswith("h5p-standalone/main.bundle.js")


def test_the_embed_page_stays_in_the_cache_for_a_saved_lesson(client, content):
    response = client.get(reverse("courses:h5p_embed", kwargs={"content_id": content.content_id}))

    assert response["Cache-Control"] == f"public, max-age={60 * 60 * 24 * 30}"


def test_the_asset_list_names_every_file_the_player_needs(client, content, store):
    url = reverse("courses:h5p_assets", kwargs={"content_id": content.content_id})
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    urls = {file["url"]: file["size"] for file in data["files"]}
    assert (
        urls[content_url(content, "h5p.json")]
        == (store / "content" / content.content_id / "h5p.json").stat().st_size
    )
    assert content_url(content, "content/content.json") in urls
    assert library_url("H5P.PassageMultiChoice-1.1/multichoice.js") in urls
    assert library_url("H5P.PassageQuestion-1.1/question.css") in urls
    assert any(u.endswith("h5p-standalone/frame.bundle.js") for u in urls)
    assert any(u.endswith("courses/h5p-embed.js") for u in urls)
    assert data["size"] == sum(urls.values())
    assert set(data["player"]) == {"embedJs", "mainJs", "frameJs", "frameCss"}
    assert all(data["player"][name] in urls for name in data["player"])
    assert "public" in response["Cache-Control"]
    assert "Set-Cookie" not in response
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_the_asset_list_of_an_unknown_package_does_not_exist(client, store):
    assert client.get(reverse("courses:h5p_assets", kwargs={"content_id": "f" * 32})).status_code == 404
    assert client.get("/courses/h5p/not-an-id/assets.json").status_code == 404


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
