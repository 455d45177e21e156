"""Static files as the real server sends them: hashed names, compressed, cached for good."""

import re
import urllib.request

import pytest

from tests.e2e.server import Server

pytestmark = pytest.mark.browser


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own server
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own server
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def test_pages_link_hashed_static_files_that_are_compressed_and_cached_immutably(server: Server):
    _status, _headers, html = fetch(server.base_url + "/")
    css = re.search(rb'href="(/static/frontend/css/passage\.[0-9a-f]{12}\.css)"', html)
    assert css, "the stylesheet is linked under a hashed name"

    status, headers, _body = fetch(server.base_url + css.group(1).decode(), **{"Accept-Encoding": "br, gzip"})

    assert status == 200
    assert headers.get("content-encoding") in {"br", "gzip"}
    assert "immutable" in headers["cache-control"]
    assert "max-age=31536000" in headers["cache-control"] or "max-age=315360000" in headers["cache-control"]


def test_the_sign_in_page_is_sent_compressed_and_kept_by_no_cache(server: Server):
    _status, headers, _body = fetch(server.base_url + "/accounts/login/", **{"Accept-Encoding": "gzip"})

    assert headers.get("content-encoding") == "gzip"
    assert "private" in headers["cache-control"]
    assert "no-store" in headers["cache-control"]
