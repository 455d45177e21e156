"""Uploaded files under /media/: served inert, cached, seekable, and nothing outside the folder."""

import pytest
from django.test import Client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "courses" / "videos").mkdir(parents=True)
    (tmp_path / "media" / "courses" / "videos" / "clip.mp4").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "media" / "courses" / "page.html").write_text("<script>alert(1)</script>")
    (tmp_path / "secret.txt").write_text("outside")
    return tmp_path / "media"


def test_a_video_is_served_with_its_type_cached_for_a_year_and_inert(client: Client, media):
    response = client.get("/media/courses/videos/clip.mp4")
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content) == bytes(range(256)) * 4
    assert "immutable" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_a_range_request_gets_only_those_bytes(client: Client, media):
    response = client.get("/media/courses/videos/clip.mp4", HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 10-19/1024"
    assert b"".join(response.streaming_content) == bytes(range(10, 20))
    tail = client.get("/media/courses/videos/clip.mp4", HTTP_RANGE="bytes=-4")
    assert b"".join(tail.streaming_content) == bytes(range(252, 256))


def test_a_range_past_the_end_is_refused(client: Client, media):
    response = client.get("/media/courses/videos/clip.mp4", HTTP_RANGE="bytes=5000-")
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */1024"


def test_an_unchanged_file_is_a_304(client: Client, media):
    first = client.get("/media/courses/videos/clip.mp4")
    again = client.get("/media/courses/videos/clip.mp4", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_a_file_of_another_type_is_a_download_never_a_page(client: Client, media):
    response = client.get("/media/courses/page.html")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"


@pytest.mark.parametrize(
    "path",
    ["../secret.txt", "courses/../../secret.txt", "courses/%2e%2e/%2e%2e/secret.txt", "courses", "nope.png"],
)
def test_nothing_outside_the_folder_or_missing_is_served(client: Client, media, path):
    assert client.get(f"/media/{path}").status_code == 404
