"""The sandboxed H5P player and the files of the H5P content store.

H5P packages carry JavaScript by design. That script must never act with the learner's session,
so it runs only in the embed page, which is sandboxed twice: the lesson page frames it with
`<iframe sandbox="allow-scripts">` (no `allow-same-origin`), and the page's own CSP says
`sandbox allow-scripts`, so even opened directly it lives in an opaque origin that holds no
cookies and cannot call our API. It talks to the lesson page only by postMessage
(courses/static/courses/h5p-embed.js documents the protocol).

Chromium gives an opaque-origin document a transient HTTP cache and no service worker, so what
the player fetched itself was downloaded again on every visit and was not there offline. So the
lesson page (same origin: HTTP cache, service worker, "Save for offline") fetches the player's
files itself, as listed by `assets` (the files' URLs and sizes), and posts them into the player
with "init"; the player runs them from blob: URLs. The embed page itself carries only an inline
bootstrap (EMBED_BOOTSTRAP, allowed by its hash) that asks for those files and starts
h5p-embed.js from them, or from the network when the lesson sent none.

When the player does fetch (a lesson too large to hand over, a file not in the list), the
request is cross-origin: the file views answer with `Access-Control-Allow-Origin: *`. They hold
nothing secret beyond the content id, a random 128-bit capability, and send no
cookies-dependent answer.
"""

import base64
import hashlib
import json
import re
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import URLPattern, path, reverse
from django.utils.csp import CSP
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from config.files import file_response, safe_file
from courses.models import H5PContent, H5PLibrary
from courses.selectors.offline import h5p_player_files

CONTENT_ID = re.compile(r"^[0-9a-f]{32}$")

LIBRARY_MAX_AGE = 60 * 60 * 24 * 365  # a library folder (Name-Major.Minor) is never rewritten
# A content id is new on every upload (courses.h5p_store) and its files are never rewritten.
CONTENT_MAX_AGE = 60 * 60 * 24 * 365
# The list of a package's files names the player's hashed static files, which change on deploy.
ASSETS_MAX_AGE = 60 * 60 * 24
# The embed page is framed by a sandboxed iframe, whose own request no service worker sees: a
# saved lesson's player opens offline only from the HTTP cache, so the page stays fresh there
# for long. It names no hashed file it needs (the lesson page sends their current URLs with
# "init"; the ones in the page are fallbacks), so a deploy does not break a cached copy.
EMBED_MAX_AGE = 60 * 60 * 24 * 30

# The embed page's only inline script. It says "ready" to the lesson page, takes the lesson's
# "init" (from window.parent only, once) and starts h5p-embed.js: from the file the lesson
# handed over (a blob: URL, so it works offline and costs no download), else from the network.
# Everything else (the protocol, the player) is in h5p-embed.js. Allowed by its hash in
# EMBED_CSP, so no other inline script can run.
EMBED_BOOTSTRAP = """(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("h5p-config").textContent);
  function failed() {
    var root = document.getElementById("h5p-player");
    root.removeAttribute("aria-busy");
    root.querySelector("[data-loading]").hidden = true;
    root.querySelector("[data-failed]").hidden = false;
  }
  function onMessage(event) {
    var data = event.data;
    if (event.source !== window.parent || !data || typeof data !== "object") return;
    if (data.source !== "passage" || data.type !== "init") return;
    if (typeof event.origin !== "string" || event.origin === "null" || event.origin === "") return;
    window.removeEventListener("message", onMessage);
    window.passageH5PInit = { data: data, origin: event.origin };
    var player = data.player && typeof data.player.embedJs === "string" ? data.player : config;
    var embedJs = new URL(player.embedJs, window.location.href).href;
    var file = (Array.isArray(data.files) ? data.files : []).filter(function (f) {
      return f && f.url === embedJs && f.blob instanceof Blob;
    })[0];
    var script = document.createElement("script");
    script.src = file ? URL.createObjectURL(file.blob) : embedJs;
    script.onerror = failed;
    document.head.appendChild(script);
  }
  window.addEventListener("message", onMessage);
  if (window.parent !== window) window.parent.postMessage({ source: "passage-h5p", type: "ready" }, "*");
})();"""
EMBED_BOOTSTRAP_HASH = (
    f"'sha256-{base64.b64encode(hashlib.sha256(EMBED_BOOTSTRAP.encode()).digest()).decode()}'"
)

# The embed page's policy, found by running the player in Chromium with nothing allowed and
# adding only what it needed:
# - `sandbox allow-scripts`: an opaque origin even when opened outside the lesson's iframe.
# - scripts only from our origin ('self' still names our origin inside the sandbox), the
#   bootstrap above by its hash, and blob: URLs, which only this document can make: the files
#   the lesson page handed over (player bundle, h5p-embed.js, libraries).
# - style-src 'unsafe-inline': H5P core and its jQuery build markup with style="" attributes
#   and inject <style> (e.g. the resizer); without it content types lose their layout.
#   Inline styles cannot run script; script stays locked down.
# - connect-src 'self' blob:: files not handed over are fetched; library code may read handed
#   over ones with XMLHttpRequest.
# - frame-ancestors 'self': only our lesson pages may frame it.
EMBED_CSP = {
    "sandbox": ["allow-scripts"],
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, EMBED_BOOTSTRAP_HASH, "blob:"],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE, "blob:"],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "font-src": [CSP.SELF, "data:", "blob:"],
    "connect-src": [CSP.SELF, "blob:"],
    "frame-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
}


def _store() -> Path:
    return Path(settings.H5P_ROOT).resolve()


# The store's files are fetched by the player's opaque origin: cross-origin requests.
CROSS_ORIGIN = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}


@require_safe
def library_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """A file of an H5P library in the store, shared by every package."""
    target = safe_file(_store() / "libraries", path)
    return file_response(request, target, max_age=LIBRARY_MAX_AGE, immutable=True, headers=CROSS_ORIGIN)


@require_safe
def content_file(request: HttpRequest, content_id: str, path: str) -> HttpResponseBase:
    """A file of one package: its h5p.json and everything under content/."""
    if not CONTENT_ID.match(content_id) or not H5PContent.objects.filter(content_id=content_id).exists():
        raise Http404
    target = safe_file(_store() / "content" / content_id, path)
    return file_response(request, target, max_age=CONTENT_MAX_AGE, immutable=True, headers=CROSS_ORIGIN)


def _embed_type(content_dir: Path) -> str:
    """'div' when the package allows it: H5P then runs in the embed page itself instead of a
    second iframe inside it (less to load, and one document to measure and talk to)."""
    try:
        manifest = json.loads((content_dir / "h5p.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Http404 from None
    types = manifest.get("embedTypes") if isinstance(manifest, dict) else None
    return "div" if isinstance(types, list) and "div" in types else "iframe"


@require_safe
@xframe_options_sameorigin
@csp_override(EMBED_CSP)
@cache_control(public=True, max_age=EMBED_MAX_AGE)
def embed(request: HttpRequest, content_id: str) -> HttpResponse:
    """The player page framed by a lesson. It does not depend on who is signed in (it never
    reads the session): whoever holds the content id sees the same page."""
    content = H5PContent.objects.filter(content_id=content_id).only("content_id", "title").first()
    if content is None:
        raise Http404
    files = reverse("courses:h5p_content_file", kwargs={"content_id": content_id, "path": "h5p.json"})
    base = files.rsplit("/", 1)[0]
    libraries = reverse("courses:h5p_library_file", kwargs={"path": "x"}).rsplit("/", 1)[0]
    config = {
        "id": content_id,
        "title": content.title,
        "h5pJsonPath": base,
        "contentJsonPath": f"{base}/content",
        "librariesPath": libraries,
        "frameJs": static("h5p-standalone/frame.bundle.js"),
        "frameCss": static("h5p-standalone/styles/h5p.css"),
        "mainJs": static("h5p-standalone/main.bundle.js"),
        "embedJs": static("courses/h5p-embed.js"),
        "embedType": _embed_type(_store() / "content" / content_id),
    }
    return render(
        request,
        "courses/player/embed.html",
        {"config": config, "content": content, "bootstrap": EMBED_BOOTSTRAP},
    )


@require_safe
@cache_control(public=True, max_age=ASSETS_MAX_AGE)
def assets(request: HttpRequest, content_id: str) -> HttpResponseBase:
    """Every file the player needs for this package, with sizes: the lesson page fetches them
    (so they come from its HTTP cache or the saved lesson) and hands them to the player. Like
    the embed page, the same for everyone who holds the content id."""
    libraries = Prefetch("libraries", queryset=H5PLibrary.objects.order_by("name", "major", "minor"))
    content = H5PContent.objects.filter(content_id=content_id).prefetch_related(libraries).first()
    if content is None or not CONTENT_ID.match(content_id):
        raise Http404
    files = [{"url": file.url, "size": file.size} for file in h5p_player_files(content)]
    player = {
        "embedJs": static("courses/h5p-embed.js"),
        "mainJs": static("h5p-standalone/main.bundle.js"),
        "frameJs": static("h5p-standalone/frame.bundle.js"),
        "frameCss": static("h5p-standalone/styles/h5p.css"),
    }
    body = json.dumps(
        {"player": player, "files": files, "size": sum(file["size"] for file in files)}
    ).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response.headers["ETag"] = etag
    return response


urlpatterns: list[URLPattern] = [
    path("courses/h5p/<str:content_id>/embed/", embed, name="h5p_embed"),
    path("courses/h5p/<str:content_id>/assets.json", assets, name="h5p_assets"),
    path("courses/h5p/files/libraries/<path:path>", library_file, name="h5p_library_file"),
    path("courses/h5p/files/content/<str:content_id>/<path:path>", content_file, name="h5p_content_file"),
]
