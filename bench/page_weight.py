"""Page weight: bytes on the wire per page, first load and repeat visit, against the budgets.

Runs the real platform (tests/e2e/server.py: DEBUG off, hashed and compressed static files,
daphne) and Debian's headless Chromium at 360x800. A figure is the sum of CDP's
Network.loadingFinished `encodedDataLength` (compressed body plus response headers, as received)
over every request of the visit: the document, CSS, JS, SVG sprite, icon, manifest (fetched by
the bench when headless Chromium skips it, as phones fetch it), the service worker script and
what the worker fetches when it installs. Playwright reads that value from the
page *and* the service-worker targets; a CDP session on the page alone misses the worker's
requests (on a repeat visit the page sees the document "from service worker" with 0 bytes while
the worker fetched it from the network). Cache hits count 0, as they cost nothing.

- first load: a fresh browser context (empty HTTP cache, no service worker); signed-in pages get
  the session cookie from another context, so that signing in warms no cache;
- repeat visit: the same page again in the same context (HTTP cache + service worker).

Budgets (DESIGN.md, "Low bandwidth"): first load <= 100 KB, repeat <= 20 KB, 1 KB = 1000 bytes.
The baseline printed beside each first load is the page's HTML as the server renders it,
uncompressed, and the compression ratio actually achieved on it. Exit status 1 if any figure
is over its budget.

    .venv/bin/python bench/page_weight.py [--verbose]
"""

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from playwright.sync_api import Browser, BrowserContext, Page, Request, sync_playwright  # noqa: E402

from tests.e2e.server import CHROMIUM_ARGS, PHONE, Server, chromium_path, running_server  # noqa: E402

BUDGETS = {"first": 100_000, "repeat": 20_000}
PAGES = [
    # (name, path, demo login or None)
    ("home", "/", None),
    ("login", "/accounts/login/", None),
    ("dashboard", "/dashboard/", "migrant@demo.test"),
]
DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - published demo credential
QUIET_MS = 600
SETTLE_TIMEOUT_S = 15.0


@dataclass
class Transfer:
    url: str
    kind: str
    wire: int
    from_worker: bool


@dataclass
class Visit:
    transfers: list[Transfer] = field(default_factory=list)
    html_raw: int = 0
    html_wire_body: int = 0

    @property
    def wire(self) -> int:
        return sum(t.wire for t in self.transfers)

    @property
    def on_network(self) -> list[Transfer]:
        return [t for t in self.transfers if t.wire > 0]


class Recorder:
    """Collects every finished request of a browser context, page and service worker alike."""

    def __init__(self, context: BrowserContext) -> None:
        self.visit = Visit()
        self.in_flight = 0
        self.last_change = time.monotonic()
        context.on("request", self._started)
        context.on("requestfinished", self._finished)
        context.on("requestfailed", self._failed)

    def start(self) -> Visit:
        self.visit = Visit()
        return self.visit

    def _started(self, request: Request) -> None:
        self.in_flight += 1
        self.last_change = time.monotonic()

    def _failed(self, request: Request) -> None:
        self.in_flight -= 1
        self.last_change = time.monotonic()

    def _finished(self, request: Request) -> None:
        sizes = request.sizes()
        # = CDP Network.loadingFinished encodedDataLength; a cache hit gives 0 (or less).
        wire = max(0, sizes["responseBodySize"] + sizes["responseHeadersSize"])
        self.visit.transfers.append(
            Transfer(request.url, request.resource_type, wire, request.service_worker is not None)
        )
        self.in_flight -= 1
        self.last_change = time.monotonic()

    def settle(self, page: Page) -> None:
        """Wait until the service worker is active and the network has been quiet a while."""
        page.wait_for_load_state("load")
        page.evaluate(
            """() => "serviceWorker" in navigator && window.isSecureContext
                ? Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(r, 5000))])
                      .then(() => true)
                : false"""
        )
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)
            if self.in_flight <= 0 and (time.monotonic() - self.last_change) * 1000 >= QUIET_MS:
                return


def fetch_manifest_if_skipped(page: Page, visit: Visit) -> None:
    """Phones fetch the web app manifest on load; headless Chromium does not, so fetch it."""
    href = page.evaluate("document.querySelector('link[rel=manifest]')?.href || ''")
    if href and not any(t.url == href for t in visit.transfers):
        page.evaluate("(href) => fetch(href).then((r) => r.text())", href)


def new_phone(browser: Browser, server: Server, **options: object) -> BrowserContext:
    context = browser.new_context(**PHONE, locale="en", base_url=server.base_url, **options)  # type: ignore[arg-type]
    context.set_default_timeout(20_000)
    return context


def session_for(browser: Browser, server: Server, login: str) -> dict:
    """Sign in in a throw-away context and return its cookies (storage state)."""
    context = new_phone(browser, server)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    if not page.url.endswith("/dashboard/"):
        raise RuntimeError(f"signing in {login} ended on {page.url}")
    state = context.storage_state()
    context.close()
    return state  # type: ignore[return-value]


def measure(browser: Browser, server: Server, path: str, login: str | None) -> tuple[Visit, Visit]:
    options = {"storage_state": session_for(browser, server, login)} if login else {}
    context = new_phone(browser, server, **options)
    recorder = Recorder(context)
    page = context.new_page()

    first = recorder.start()
    response = page.goto(path)
    if response is None or response.status != 200 or not response.url.endswith(path):
        raise RuntimeError(f"{path} answered {response and response.status} at {page.url}")
    recorder.settle(page)
    fetch_manifest_if_skipped(page, first)
    recorder.settle(page)
    first.html_raw = len(response.body())
    first.html_wire_body = response.request.sizes()["responseBodySize"]

    repeat = recorder.start()
    page.goto(path)
    recorder.settle(page)
    context.close()
    return first, repeat


def kb(size: int) -> str:
    return f"{size / 1000:.1f} KB"


def report(name: str, kind: str, visit: Visit, verbose: bool) -> bool:
    budget = BUDGETS[kind]
    ok = visit.wire <= budget
    line = (
        f"page-weight {name:<9} {kind:<6} {kb(visit.wire):>9}  budget {kb(budget):>8}  "
        f"{'OK' if ok else 'OVER'}  "
        f"({len(visit.on_network)} of {len(visit.transfers)} requests on the network"
    )
    if kind == "first" and visit.html_wire_body > 0:
        ratio = visit.html_raw / visit.html_wire_body
        line += (
            f"; baseline: HTML {kb(visit.html_raw)} uncompressed, "
            f"{kb(visit.html_wire_body)} compressed, ratio {ratio:.1f}x"
        )
    print(line + ")", flush=True)
    if verbose:
        for t in sorted(visit.transfers, key=lambda t: -t.wire):
            worker = " (service worker)" if t.from_worker else ""
            print(f"    {t.wire:>7} B  {t.kind:<10} {t.url}{worker}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", "-v", action="store_true", help="list every request")
    args = parser.parse_args()

    all_ok = True
    with running_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for name, path, login in PAGES:
                first, repeat = measure(browser, server, path, login)
                all_ok &= report(name, "first", first, args.verbose)
                all_ok &= report(name, "repeat", repeat, args.verbose)
        finally:
            browser.close()
    print(f"page-weight: {'all within budget' if all_ok else 'OVER BUDGET'}", flush=True)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
