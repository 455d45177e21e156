"""Learning: bytes on the wire of a lesson (text and H5P), and xAPI statement ingestion.

Runs the real platform (tests/e2e/server.py: DEBUG off, hashed and compressed static files,
demo data, daphne) on PostgreSQL when it is reachable on 127.0.0.1:5432 (a database of its own,
dropped afterwards), else on the embedded SQLite default; byte counts do not depend on the
database, ingestion is only measured on PostgreSQL.

1. First load of a text lesson of the demo German course, signed in as the demo migrant, in a
   fresh browser context (Debian's Chromium at 360x800): bytes on the wire as bench/page_weight.py
   counts them (its Recorder: CDP `encodedDataLength` from the page, its iframes and the service
   worker; cache hits count 0; the session comes from another context so that signing in warms
   no cache). User media (/media/) is left out and shown aside. Budget 100 KB.
2. First load of an H5P lesson, in three parts: the lesson page (budget 100 KB); the H5P player
   (the sandboxed embed page, h5p-embed.css/js and h5p-standalone's bundles, CSS and fonts; no
   budget, DESIGN.md excludes it); the content (the package's files and its libraries under
   /courses/h5p/files/; no budget, the author's content, like user media). The player runs in an
   out-of-process iframe (Chromium isolates sandboxed frames); Playwright attaches to it, so its
   requests are in the context's events.
3. Repeat visit of both lessons in the same context (HTTP cache warm, service worker installed),
   budget 20 KB for the page; the player and content figures are shown, and whether the player's
   files were downloaded again.
4. xAPI ingestion on PostgreSQL: LEARNERS learners, each a real enrolled user with their own
   session and CSRF token (from the lesson page, as a browser gets it) and their own keep-alive
   connection, POST STATEMENTS answered/completed statements each. Two rounds on the settings
   as shipped (a connection pool per process): first at a learner's pace (each sends one
   statement a second, LEARNER_PACE; budget p95 <= 250 ms, and the server keeps up), then as
   fast as the server answers (a closed loop, 50 always in flight; budget >= MIN_RATE a
   second, see there why). 10% of the statements are sent again identically (must be 200) and
   1% again with other content (must be 409); at the end the database must hold exactly the
   statements sent, with the first content. Baseline in the same run: the same clients at the
   same pace against GET /healthz (same daphne and middleware, one database round trip).

Exit status 1 if a figure is over budget or a check fails.

    .venv/bin/python bench/learning.py [--verbose]
"""

import argparse
import contextlib
import http.client
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
# bench/ holds booking.py and chat.py: it must not shadow the apps of the same names.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from bench import _postgres as postgres  # noqa: E402
from bench.page_weight import (  # noqa: E402
    Recorder,
    Transfer,
    Visit,
    fetch_manifest_if_skipped,
    kb,
    new_phone,
    session_for,
)
from tests.e2e.server import CHROMIUM_ARGS, Server, chromium_path, running_server  # noqa: E402

COURSE = "german-a1-first-steps"
LEARNER = "migrant@demo.test"
BUDGETS = {"first": 100_000, "repeat": 20_000}
PLAYER_TIMEOUT_MS = 30_000

PG_DB = "passage_bench_learning"
LEARNERS = 50
STATEMENTS = 30  # per learner, besides replays
REPLAY_EVERY = 10  # 10% identical replays
CONFLICT_EVERY = 100  # 1% replays with other content
BUDGET_P95_MS = 250.0
# What the 50 learners of this run can ask for at their fastest: an H5P exercise emits a
# statement or two when the learner presses "Check", at most about once a second each, so 50 a
# second; below that, a queue builds up while they work. (A learner really answers every ten
# seconds or more, so this is also about 500 learners at work on one daphne process.)
MIN_RATE = 50.0
# Seconds between two statements of one learner in the latency round: one "Check" a second,
# the fastest a person answers.
LEARNER_PACE = 1.0
LESSON_EXTENSION = "urn:x-passage:lesson"
VERBS = {
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
}

# --- Parts 1-3: bytes on the wire --------------------------------------------------------------

# The embed page, and the list of files the lesson page fetches for the player (assets.json).
EMBED_PAGE = re.compile(r"^/courses/h5p/[0-9a-f]{32}/(embed/|assets\.json)$")


def part_of(url: str) -> str:
    """Which figure a request belongs to: page, player, content or media (left out)."""
    path = urllib.parse.urlsplit(url).path
    if path.startswith("/media/"):
        return "media"
    if path.startswith("/courses/h5p/files/"):
        return "content"
    if (
        EMBED_PAGE.match(path)
        or path.startswith("/static/h5p-standalone/")
        or path.startswith("/static/courses/h5p-embed.")
    ):
        return "player"
    return "page"


@dataclass
class LessonVisit:
    kind: str  # "first" or "repeat"
    visit: Visit

    def part(self, name: str) -> list[Transfer]:
        return [t for t in self.visit.transfers if part_of(t.url) == name]

    def wire(self, name: str) -> int:
        return sum(t.wire for t in self.part(name))


def wait_for_player(page: Page) -> None:
    """The iframe is loading="lazy": scroll to it, as a learner does, and wait until H5P runs."""
    page.locator("iframe[data-h5p-frame]").scroll_into_view_if_needed()
    player = page.frame_locator("iframe[data-h5p-frame]")
    player.locator("#h5p-player:not([aria-busy])").wait_for(state="attached", timeout=PLAYER_TIMEOUT_MS)
    if player.locator("[data-failed]").is_visible():
        raise RuntimeError("the H5P player says the activity could not be loaded")
    if player.locator(".h5p-content").count() == 0:
        raise RuntimeError("the H5P player ran but shows no content")


def open_lesson(page: Page, recorder: Recorder, path: str, *, h5p: bool, first: bool) -> Visit:
    visit = recorder.start()
    response = page.goto(path)
    if response is None or response.status != 200 or not response.url.endswith(path):
        raise RuntimeError(f"{path} answered {response and response.status} at {page.url}")
    recorder.settle(page)
    if h5p:
        wait_for_player(page)
        recorder.settle(page)
    if first:
        fetch_manifest_if_skipped(page, visit)
        recorder.settle(page)
    return visit


def measure_lesson(browser: Browser, server: Server, path: str, *, h5p: bool) -> list[LessonVisit]:
    # Signing in happens in a throw-away context: none of its bytes are counted or cached here.
    context = new_phone(browser, server, storage_state=session_for(browser, server, LEARNER))
    recorder = Recorder(context)
    page = context.new_page()
    try:
        first = open_lesson(page, recorder, path, h5p=h5p, first=True)
        repeat = open_lesson(page, recorder, path, h5p=h5p, first=False)
    finally:
        context.close()
    return [LessonVisit("first", first), LessonVisit("repeat", repeat)]


def lesson_paths(server: Server) -> dict[str, str]:
    """The first lesson of each kind (text, h5p) in the demo course, in course order."""
    lessons = json.loads(
        manage_shell(
            server,
            "import json\nfrom courses.models import Lesson\nprint('OUT' + json.dumps(list("
            f"Lesson.objects.filter(module__course__slug={COURSE!r})"
            ".order_by('module__position', 'position').values_list('pk', 'kind'))))",
        )
    )
    by_kind: dict[str, str] = {}
    for pk, kind in lessons:
        by_kind.setdefault(kind, f"/courses/{COURSE}/lessons/{pk}/")
    return by_kind


def repeated(transfers: list[Transfer]) -> list[tuple[str, int]]:
    """URLs downloaded more than once in one visit (each time over the network)."""
    counts: dict[str, int] = {}
    for t in transfers:
        if t.wire > 0:
            counts[t.url] = counts.get(t.url, 0) + 1
    return [(url, n) for url, n in counts.items() if n > 1]


def cache_control(url: str) -> str:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310 - our own server
        return response.headers.get("Cache-Control", "(none)")


def short(url: str) -> str:
    return urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1] or urllib.parse.urlsplit(url).path


def report_weights(name: str, path: str, visits: list[LessonVisit], verbose: bool) -> bool:
    ok = True
    for lesson_visit in visits:
        kind = lesson_visit.kind
        page = lesson_visit.part("page")
        budget = BUDGETS[kind]
        wire = lesson_visit.wire("page")
        verdict = "OK" if wire <= budget else "OVER"
        ok &= verdict == "OK"
        media = lesson_visit.part("media")
        on_network = sum(1 for t in page if t.wire > 0)
        print(
            f"learning {name:<4} lesson {kind:<6} page    {kb(wire):>9}  budget {kb(budget):>8}  {verdict}  "
            f"({on_network} of {len(page)} requests on the network; user media left out: "
            f"{kb(lesson_visit.wire('media'))} in {len(media)} requests; {path})",
            flush=True,
        )
        for part, why in (
            ("player", "no budget: DESIGN excludes the H5P player"),
            ("content", "no budget: the author's package and its H5P libraries"),
        ):
            transfers = lesson_visit.part(part)
            if not transfers:
                continue
            fetched = [t for t in transfers if t.wire > 0]
            line = (
                f"learning {name:<4} lesson {kind:<6} {part:<7} {kb(lesson_visit.wire(part)):>9}  ({why}; "
                f"{len(fetched)} of {len(transfers)} requests on the network"
            )
            if part == "player":
                bundles = sum(t.wire for t in transfers if "/h5p-standalone/" in t.url)
                shell = sum(t.wire for t in transfers) - bundles
                line += f"; h5p-standalone {kb(bundles)}, embed page and h5p-embed.css/js {kb(shell)}"
            twice = repeated(transfers)
            if twice:
                line += "; fetched more than once in this visit: " + ", ".join(
                    f"{urllib.parse.urlsplit(url).path.removeprefix('/courses/h5p/files/')} x{n}"
                    for url, n in twice
                )
            print(line + ")", flush=True)
        if verbose:
            for t in sorted(lesson_visit.visit.transfers, key=lambda t: -t.wire):
                worker = " (service worker)" if t.from_worker else ""
                print(f"    {t.wire:>7} B  {part_of(t.url):<7} {t.kind:<10} {t.url}{worker}")
    return ok


def report_player_repeat(visits: list[LessonVisit]) -> None:
    """Say plainly whether a repeat visit downloads the player again, and why."""
    repeat = visits[1]
    again = [t for t in repeat.part("player") if t.wire > 0 and "/embed/" not in t.url]
    if not again:
        print("learning h5p  repeat visit: the H5P player's files came from a cache (0 bytes)", flush=True)
        return
    sample = next((t.url for t in again if "/h5p-standalone/" in t.url), again[0].url)
    content_again = sum(t.wire for t in repeat.part("content"))
    print(
        f"learning h5p  FINDING: a repeat visit downloads the H5P player again: "
        f"{kb(sum(t.wire for t in again))} in {len(again)} files ({', '.join(short(t.url) for t in again)}), "
        f"and the content again ({kb(content_again)}), although they are served with "
        f'Cache-Control "{cache_control(sample)}" (e.g. {short(sample)}). The player runs in an '
        f'<iframe sandbox="allow-scripts"> with an opaque origin: no service worker controls it, and '
        f"Chromium keys the HTTP cache of its requests to that origin, a new one on every load (a "
        f"transient partition), so nothing it fetches is ever reused. Only the embed page itself, "
        f"fetched by the lesson page's frame, came from the cache.",
        flush=True,
    )


def measure_weights(server: Server, verbose: bool) -> bool:
    paths = lesson_paths(server)
    ok = True
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            text = measure_lesson(browser, server, paths["text"], h5p=False)
            ok &= report_weights("text", paths["text"], text, verbose)
            h5p = measure_lesson(browser, server, paths["h5p"], h5p=True)
            ok &= report_weights("h5p", paths["h5p"], h5p, verbose)
            report_player_repeat(h5p)
        finally:
            browser.close()
    return ok


# --- Part 4: xAPI ingestion on PostgreSQL --------------------------------------------------------

SETUP = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from accounts import services as accounts
from accounts.models import Role
from courses.models import Course, Lesson
from courses.services import progress as records

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
course = Course.objects.get(slug=%(course)r)
lessons = list(
    Lesson.objects.filter(module__course=course, kind="h5p")
    .order_by("module__position", "position")
    .values_list("pk", "h5p__content_id")
)
learners = []
for n in range(%(n)d):
    user = accounts.user_create(
        display_name=f"Bench learner {n}", email=f"bench-learner-{n}@example.org", password=None,
        roles=[Role.MIGRANT],
    )
    records.enrolment_create(user=user, course=course)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    learners.append([user.pk, store.session_key])
print("OUT" + json.dumps({"learners": learners, "lessons": lessons}))
"""

STORED = """
import json
from courses.models import XAPIStatement
rows = XAPIStatement.objects.filter(user_id__in=%(users)r).values_list("statement_id", "statement")
print("OUT" + json.dumps({str(i): s.get("result", {}).get("score", {}).get("raw") for i, s in rows}))
"""


def manage_shell(server: Server, code: str) -> str:
    """Run `code` in `manage.py shell` on the server's settings and database; what it printed
    after "OUT"."""
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "shell", "-c", code],
        cwd=REPO_ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py shell failed:\n{result.stderr[-3000:]}")
    return next(line for line in result.stdout.splitlines() if line.startswith("OUT"))[3:]


@dataclass
class Learner:
    user_id: int
    session: str
    lesson: int
    content_id: str
    csrf: str = ""


@dataclass
class Sent:
    """One request of the run and its answer."""

    what: str  # "statement", "replay", "conflict" or "healthz"
    statement_id: str
    status: int
    ms: float
    body: Any = None


@dataclass
class Run:
    sent: list[Sent] = field(default_factory=list)
    seconds: float = 0.0

    def timings(self) -> list[float]:
        return sorted(s.ms for s in self.sent)

    @property
    def rate(self) -> float:
        return len(self.sent) / self.seconds

    def percentile(self, share: float) -> float:
        ordered = self.timings()
        return ordered[max(0, int(len(ordered) * share) - 1)]


def csrf_token(host: str, port: int, learner: Learner) -> str:
    """The CSRF cookie a browser gets when it opens the lesson page with this session."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    lesson = f"/courses/{COURSE}/lessons/{learner.lesson}/"
    conn.request("GET", lesson, headers={"Cookie": f"sessionid={learner.session}"})
    response = conn.getresponse()
    response.read()
    conn.close()
    cookies = " ".join(value for name, value in response.getheaders() if name.lower() == "set-cookie")
    token = re.search(r"csrftoken=([^;]+)", cookies)
    if response.status != 200 or token is None:
        raise RuntimeError(f"lesson page for learner {learner.user_id}: {response.status}, no CSRF cookie")
    return token.group(1)


def statement(learner: Learner, statement_id: str, number: int, raw: int | None = None) -> dict[str, Any]:
    """What the lesson page sends for one H5P event, as h5p-embed.js and lesson.js build it."""
    verb = "completed" if number % 3 == 2 else "answered"
    score = number % 4 if raw is None else raw
    return {
        "id": statement_id,
        "actor": {"objectType": "Agent", "name": "ignored: the server sets the actor"},
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": {
            "id": f"urn:x-passage:h5p:{learner.content_id}",
            "objectType": "Activity",
            "definition": {
                "name": {"en-US": "Bench exercise"},
                "interactionType": "choice",
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "correctResponsesPattern": ["0"],
            },
        },
        "result": {
            "score": {"min": 0, "raw": score, "max": 3, "scaled": score / 3},
            "completion": True,
            "success": score == 3,
            "duration": f"PT{5 + number % 40}.2S",
            "response": str(number % 3),
        },
        "context": {
            "contextActivities": {"category": [{"id": "http://h5p.org/libraries/H5P.MultiChoice-1.16"}]},
            "extensions": {LESSON_EXTENSION: learner.lesson},
        },
        "timestamp": datetime.now(UTC).isoformat(),
    }


def plan(index: int, learner: Learner) -> list[tuple[str, dict[str, Any]]]:
    """One learner's requests: STATEMENTS statements, each REPLAY_EVERY-th (counted over all
    learners) followed by an identical replay of an earlier one, each CONFLICT_EVERY-th by the
    same id with another score. Replays come a few statements later, as from an offline queue."""
    originals: list[dict[str, Any]] = []
    steps: list[tuple[str, dict[str, Any]]] = []
    for n in range(STATEMENTS):
        originals.append(statement(learner, str(uuid.uuid4()), n))
        steps.append(("statement", originals[-1]))
        overall = index * STATEMENTS + n
        if overall % REPLAY_EVERY == REPLAY_EVERY - 1:
            steps.append(("replay", originals[max(0, n - 4)]))
        if overall % CONFLICT_EVERY == CONFLICT_EVERY // 2:
            earlier = originals[max(0, n - 2)]
            changed = statement(learner, earlier["id"], n, raw=(earlier["result"]["score"]["raw"] + 1) % 4)
            steps.append(("conflict", changed))
    return steps


def decoded(payload: bytes) -> Any:
    """The JSON of an answer, or the start of its text when it is not JSON (a 500 page)."""
    try:
        return json.loads(payload)
    except ValueError:
        return payload[:200].decode(errors="replace")


def run_clients(
    host: str, port: int, jobs: list[tuple[dict[str, str], list[tuple[str, str, bytes]]]], pace: float = 0.0
) -> Run:
    """One thread and one keep-alive connection per client; all start at the same moment.
    Each job is (headers, [(what, method path, body)]). With `pace`, each client sends a
    request every `pace` seconds (staggered across clients) instead of as fast as it can: the
    load learners make, at which latency is measured."""
    run = Run()
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs) + 1)

    def client(index: int, headers: dict[str, str], steps: list[tuple[str, str, bytes]]) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.connect()
        mine: list[Sent] = []
        try:
            start.wait()
            origin = time.perf_counter() + pace * (index / len(jobs))
            for n, (what, target, body) in enumerate(steps):
                method, path = target.split(" ", 1)
                if pace:
                    time.sleep(max(0.0, origin + n * pace - time.perf_counter()))
                began = time.perf_counter()
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                ms = (time.perf_counter() - began) * 1000
                answer = decoded(payload) if method == "POST" or response.status != 200 else None
                statement_id = json.loads(body)["id"] if body else ""
                mine.append(Sent(what, statement_id, response.status, ms, answer))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            conn.close()
            with lock:
                run.sent.extend(mine)

    threads = [threading.Thread(target=client, args=(n, *job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed, the first: {errors[0]!r}")
    return run


class ConnectionPeak:
    """The most PostgreSQL connections to the bench database seen while the block runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        sql = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{PG_DB}'"  # noqa: S608 - a constant
        while not self._stop.wait(0.25):
            seen = postgres.psql(sql, check=False).stdout.strip()
            if seen.isdigit():
                self.peak = max(self.peak, int(seen))

    def __enter__(self) -> "ConnectionPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def make_learners(server: Server) -> list[Learner]:
    setup = json.loads(manage_shell(server, SETUP % {"course": COURSE, "n": LEARNERS}))
    lessons = setup["lessons"]
    learners = [
        Learner(user_id, session, *lessons[n % len(lessons)])
        for n, (user_id, session) in enumerate(setup["learners"])
    ]
    for learner in learners:
        learner.csrf = csrf_token("127.0.0.1", server.port, learner)
    return learners


def ingestion_round(
    server: Server, learners: list[Learner], label: str, known: set[str], *, pace: float, round_no: int
) -> bool:
    """One baseline run and one xAPI run against `server`, then the database checks. `known`
    holds the ids of earlier rounds (same learners) and gets this round's. With `pace`, every
    learner sends one statement each `pace` seconds (latency under the load learners make:
    budget p95); without, as fast as the server answers (throughput: budget MIN_RATE)."""
    host, port = "127.0.0.1", server.port
    plans = [plan(n + round_no * len(learners), learner) for n, learner in enumerate(learners)]
    steps_per_client = len(plans[0])
    # Baseline first, on the same daphne: as many requests per client, to a trivial endpoint.
    with ConnectionPeak() as base_peak:
        baseline = run_clients(
            host, port, [({}, [("healthz", "GET /healthz", b"")] * steps_per_client) for _ in learners], pace
        )
    jobs = []
    for learner, steps in zip(learners, plans, strict=True):
        headers = {
            "Content-Type": "application/json",
            "Cookie": f"sessionid={learner.session}; csrftoken={learner.csrf}",
            "X-CSRFToken": learner.csrf,
        }
        posts = [(what, "POST /api/xapi/statements", json.dumps(body).encode()) for what, body in steps]
        jobs.append((headers, posts))
    with ConnectionPeak() as peak:
        run = run_clients(host, port, jobs, pace)

    # Checks: every answer as DESIGN.md says, and the database holds exactly what was sent.
    sent_ids = {json.loads(body)["id"] for _headers, steps in jobs for _what, _target, body in steps}
    first_score = {
        body["id"]: body["result"]["score"]["raw"]
        for steps in plans
        for what, body in steps
        if what == "statement"
    }
    wrong: list[str] = []
    for s in run.sent:
        expected = 409 if s.what == "conflict" else 200
        if s.status != expected:
            wrong.append(f"{s.what} {s.statement_id}: {s.status} {json.dumps(s.body)[:200]}")
        elif expected == 200 and s.body != [s.statement_id]:
            wrong.append(f"{s.what} {s.statement_id}: answered {s.body}")
    everything = json.loads(
        manage_shell(server, STORED % {"users": [learner.user_id for learner in learners]})
    )
    stored = {i: raw for i, raw in everything.items() if i not in known}
    known |= sent_ids
    if set(stored) != sent_ids:
        wrong.insert(
            0,
            f"stored {len(stored)} statements for {len(sent_ids)} distinct ids sent "
            f"({len(sent_ids - set(stored))} missing, {len(set(stored) - sent_ids)} unexpected)",
        )
    # Only where the first POST was stored: when it failed, a later conflicting one may be first.
    accepted = {s.statement_id for s in run.sent if s.what == "statement" and s.status == 200}
    first_score = {i: raw for i, raw in first_score.items() if i in accepted}
    overwritten = [i for i, raw in stored.items() if i in first_score and raw != first_score[i]]
    if overwritten:
        wrong.insert(0, f"{len(overwritten)} stored statements do not hold their first content")

    counts = {
        what: sum(1 for s in run.sent if s.what == what) for what in ("statement", "replay", "conflict")
    }
    failed = sum(1 for s in run.sent if s.status >= 500)
    base_failed = sum(1 for s in baseline.sent if s.status != 200)
    p50, p95 = statistics.median(run.timings()), run.percentile(0.95)
    base50, base95 = statistics.median(baseline.timings()), baseline.percentile(0.95)
    if pace:
        offered = len(learners) / pace
        ok = p95 <= BUDGET_P95_MS and run.rate >= 0.9 * offered
        figures = (
            f"{LEARNERS} learners, one statement each every {pace:g} s ({offered:.0f}/s offered): "
            f"{run.rate:.0f} statements/s; p50 {p50:.1f} ms  p95 {p95:.1f} ms  "
            f"budget p95 {BUDGET_P95_MS:.0f} ms  {'OK' if ok else 'OVER'}"
        )
    else:
        ok = run.rate >= MIN_RATE
        figures = (
            f"{LEARNERS} learners as fast as the server answers (closed loop, {LEARNERS} always in flight): "
            f"{run.rate:.0f} statements/s  budget >= {MIN_RATE:.0f}  {'OK' if ok else 'UNDER'}; "
            f"p50 {p50:.1f} ms p95 {p95:.1f} ms"
        )
    print(
        f"learning xapi ingestion, PostgreSQL, {label}: {figures}  "
        f"({len(run.sent)} POSTs of one statement in {run.seconds:.1f} s: {counts['statement']} new, "
        f"{counts['replay']} identical replays, {counts['conflict']} conflicting; {failed} answered 5xx; "
        f"peak {peak.peak} PostgreSQL connections)  "
        f"[baseline GET /healthz, same clients and pace: {baseline.rate:.0f} req/s, p50 {base50:.1f} ms, "
        f"p95 {base95:.1f} ms, {base_failed} not 200, peak {base_peak.peak} connections; "
        f"ratio: p95 {p95 / base95:.1f}x the baseline's, {baseline.rate / run.rate:.1f}x fewer per second]",
        flush=True,
    )
    replays_ok = sum(1 for s in run.sent if s.what == "replay" and s.status == 200)
    conflicts_ok = sum(1 for s in run.sent if s.what == "conflict" and s.status == 409)
    print(
        f"learning xapi checks, {label}: {len(stored)} statements stored for {len(sent_ids)} distinct ids "
        f"sent; replays answered 200: {replays_ok}/{counts['replay']}; conflicts answered 409: "
        f"{conflicts_ok}/{counts['conflict']}; first content kept: "
        f"{len(first_score) - len(overwritten)}/{len(first_score)}  {'OK' if not wrong else 'FAILED'}",
        flush=True,
    )
    for line in wrong[:5]:
        print(f"    {line}", flush=True)
    if len(wrong) > 5:
        print(f"    ... and {len(wrong) - 5} more", flush=True)
    return ok and not wrong and base_failed == 0


def measure_ingestion(server: Server) -> bool:
    """Two rounds on the settings as shipped (a PostgreSQL connection pool per process): the
    latency at the pace learners work, then the most the server takes."""
    learners = make_learners(server)
    known: set[str] = set()
    ok = ingestion_round(server, learners, "at a learner's pace", known, pace=LEARNER_PACE, round_no=0)
    ok &= ingestion_round(server, learners, "flat out", known, pace=0.0, round_no=1)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", "-v", action="store_true", help="list every request of each visit")
    args = parser.parse_args()

    on_postgres = postgres.reachable()
    ok = True
    with contextlib.ExitStack() as stack:
        extra: dict[str, str] = {}
        if on_postgres:
            # Entered first, left last: the server has stopped, and closed its connections,
            # before the database is dropped.
            extra = {"DATABASE_URL": stack.enter_context(postgres.fresh_database(PG_DB))}
        server = stack.enter_context(running_server(extra_env=extra))
        ok &= measure_weights(server, args.verbose)
        if on_postgres:
            ok &= measure_ingestion(server)
        else:
            print(
                f"learning xapi ingestion: PostgreSQL is not reachable on {postgres.WHERE}; not measured",
                flush=True,
            )
    print(f"learning: {'all within budget' if ok else 'OVER BUDGET or FAILED'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
