"""Chat across daphne replicas sharing one Redis, and through a Redis restart, with real sockets.

Each test runs the real platform (tests/e2e/server.py: migrate, seed_demo, daphne) with its own
SQLite file in a fresh var/ folder and, where /usr/bin/redis-server is installed, its own
redis-server on a free port: the shared Redis of the run (REDIS_URL, db 15) is flushed by other
tests (`cache.clear()`), which would wipe the channel-layer groups under a running test, and the
restart test must be free to kill its Redis. The demo migrant Farid (migrant2) and the demo
counsellor Mariam (counsellor2, TOTP) sign in over HTTP like a browser; their conversation is in
the demo data.

Marked `redis`: run by .ci/run where Redis is reachable; skipped where REDIS_URL is unset.
"""

import asyncio
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from django.conf import settings

from tests.conftest import REQUIRED
from tests.e2e.journeys import DEMO_PASSWORD, DEMO_TOTP_SECRET, totp
from tests.e2e.server import Server, free_port, running_server

pytestmark = [pytest.mark.redis, pytest.mark.slow]

MIGRANT = "migrant2@demo.test"  # Farid: the demo data has his conversation with Mariam
COUNSELLOR = "counsellor2@demo.test"
REDIS_SERVER = os.environ.get("PASSAGE_REDIS_SERVER", "/usr/bin/redis-server")
# Generous: these are limits for a stuck run, not expectations of speed.
WAIT = 60.0
RECONNECT_DELAY = 0.5  # chat.js backs off 1, 2, 4 ... 30 s; shorter here, same behaviour
SEND_EVERY = 0.25  # per client: under the consumer's 5 frames/s per socket


# --- A Redis of the test's own --------------------------------------------------------------


class RedisProcess:
    """redis-server on a free port, no persistence: killed and started again on the same port
    it comes back empty, as a restarted Redis without a disk does."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.workdir / 'redis.log').read_text()[-2000:]}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as s,
            ):
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        """A crash: SIGKILL, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A dedicated redis-server; skipped where it is not installed, unless Redis is required."""
    binary = REDIS_SERVER if os.access(REDIS_SERVER, os.X_OK) else shutil.which("redis-server")
    if binary is None:
        message = f"redis-server is not installed ({REDIS_SERVER}); this test starts and kills its own"
        if "redis" in REQUIRED:
            pytest.fail(f"PASSAGE_REQUIRE includes redis, but {message}")
        pytest.skip(message)
    redis = RedisProcess(binary, tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


@pytest.fixture
def fanout_redis_url(tmp_path: Path) -> Iterator[str]:
    """Our own redis-server where installed, else the run's Redis (REDIS_URL)."""
    binary = REDIS_SERVER if os.access(REDIS_SERVER, os.X_OK) else shutil.which("redis-server")
    if binary is None:
        yield settings.REDIS_URL
        return
    redis = RedisProcess(binary, tmp_path)
    redis.start()
    try:
        yield redis.url
    finally:
        redis.kill()


# --- Signing in over HTTP, like a browser ---------------------------------------------------


class Browser:
    """Cookies and forms over urllib: enough to sign in and read a page."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return urllib.parse.urlsplit(response.url).path, response.read().decode()

    def submit(self, path: str, fields: dict[str, str]) -> tuple[str, str]:
        """GET the form at `path`, POST `fields` with its CSRF token; the final path and page."""
        _, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, f"no CSRF token on {path}"
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), **fields}).encode()
        url = self.base_url + path  # our own server, plain http
        request = urllib.request.Request(url, data=data, headers={"Referer": url})  # noqa: S310
        with self.opener.open(request, timeout=30) as response:
            return urllib.parse.urlsplit(response.url).path, response.read().decode()

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name and c.value is not None)


def sign_in(server: Server, email: str, *, totp_secret: str | None = None) -> Browser:
    browser = Browser(server.base_url)
    path, _ = browser.submit("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
    if totp_secret is not None:
        assert path == "/accounts/2fa/authenticate/", path
        for _attempt in range(3):
            # A code is accepted once; wait for the next 30 s step if this one was used.
            if 30 - time.time() % 30 < 5:
                time.sleep(30 - time.time() % 30 + 0.1)
            path, _ = browser.submit("/accounts/2fa/authenticate/", {"code": totp(totp_secret)})
            if path != "/accounts/2fa/authenticate/":
                break
            time.sleep(30 - time.time() % 30 + 0.1)
    assert path not in ("/accounts/login/", "/accounts/2fa/authenticate/"), f"{email} not signed in"
    return browser


def demo_conversation_id(browser: Browser) -> int:
    _, page = browser.get("/conversations/")
    found = re.search(r'class="conversation-link" href="/conversations/(\d+)/"', page)
    assert found, "the demo conversation is not listed"
    return int(found.group(1))


# --- A chat client that behaves like counselling/static/counselling/chat.js -----------------


class ChatClient:
    """One person's page: an outbox of messages not yet acknowledged, resent with the same
    client_id after every (re)connection, and "sync" from the last message seen.

    `last_seen` advances only on "message" frames (live or replayed). chat.js also advances its
    lastId on "ack": see `ack_jumps` for what that skips when a fan-out was lost.
    """

    def __init__(self, name: str, server: Server, conversation_id: int, session: str) -> None:
        self.name = name
        self.url = f"{server.ws_base}/ws/conversations/{conversation_id}/"
        self.origin = server.base_url
        self.session = session
        self.outbox: dict[str, str] = {}  # client_id -> body, until acknowledged
        self.acked: dict[str, int] = {}  # client_id -> server id
        self.seen: dict[int, str] = {}  # server id -> client_id, from "message" frames
        self.deliveries: Counter[int] = Counter()  # a message may come live and in a sync
        self.last_seen = 0
        self.hello_last_id: int | None = None
        self.connections = 0
        self.errors: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.ack_jumps: list[tuple[int, int]] = []  # (ack id, ids below it not yet seen)
        self.live = asyncio.Event()
        self.closed = asyncio.Event()  # set whenever a connection ends
        self._socket: Any = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stopping = True
        if self._socket is not None:
            await self._socket.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, timeout=WAIT)

    async def send(self, body: str) -> str:
        client_id = str(uuid.uuid4())
        self.outbox[client_id] = body
        await self._send_message(client_id)
        return client_id

    async def _send_message(self, client_id: str) -> None:
        socket_ = self._socket
        if socket_ is None or not self.live.is_set() or client_id not in self.outbox:
            return  # sent on the next connection
        with contextlib.suppress(websockets.ConnectionClosed):
            await socket_.send(
                json.dumps({"type": "message", "client_id": client_id, "body": self.outbox[client_id]})
            )

    async def _run(self) -> None:
        while not self._stopping:
            try:
                async with websockets.connect(
                    self.url,
                    origin=self.origin,
                    additional_headers={"Cookie": f"sessionid={self.session}"},
                    open_timeout=10,
                ) as socket_:
                    hello = json.loads(await asyncio.wait_for(socket_.recv(), timeout=10))
                    if hello.get("type") != "hello":
                        raise ConnectionError(f"refused: {hello}")
                    if self.hello_last_id is None:
                        self.hello_last_id = hello["last_id"]
                        self.last_seen = hello["last_id"]
                    self.connections += 1
                    self._socket = socket_
                    self.live.set()
                    await socket_.send(json.dumps({"type": "sync", "after": self.last_seen}))
                    for client_id in list(self.outbox):
                        await self._send_message(client_id)
                    async for raw in socket_:
                        await self._on_frame(json.loads(raw))
            except (OSError, TimeoutError, ConnectionError, websockets.WebSocketException):
                pass  # the server or its Redis is away: try again, like chat.js
            finally:
                self._socket = None
                self.live.clear()
                self.closed.set()
            if not self._stopping:
                await asyncio.sleep(RECONNECT_DELAY)

    async def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "message":
            known = self.seen.setdefault(frame["id"], frame["client_id"])
            if known != frame["client_id"]:
                self.problems.append(f"id {frame['id']} came with two client_ids")
            self.deliveries[frame["id"]] += 1
            self.last_seen = max(self.last_seen, frame["id"])
        elif kind == "ack":
            client_id, message_id = frame["client_id"], frame["id"]
            if self.acked.setdefault(client_id, message_id) != message_id:
                self.problems.append(f"{client_id} acknowledged as {self.acked[client_id]} and {message_id}")
            self.outbox.pop(client_id, None)
            unseen = [i for i in range(self.last_seen + 1, message_id) if i not in self.seen]
            if unseen:
                self.ack_jumps.append((message_id, len(unseen)))
        elif kind == "synced":
            if frame.get("more") and self._socket is not None:
                await self._socket.send(json.dumps({"type": "sync", "after": frame["last_id"]}))
        elif kind == "error":
            self.errors.append(frame)
            if frame.get("client_id") in self.outbox:
                if frame.get("code") == "slow_down":
                    task = asyncio.create_task(self._resend_later(frame["client_id"]))
                    self._pending.add(task)
                    task.add_done_callback(self._pending.discard)
                else:
                    self.problems.append(f"message refused: {frame}")

    async def _resend_later(self, client_id: str) -> None:
        await asyncio.sleep(1.0)  # refused as too fast: still in the outbox, send it again
        await self._send_message(client_id)

    def new_ids(self) -> set[int]:
        return {i for i in self.seen if i > (self.hello_last_id or 0)}


async def until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for: {what}")
        await asyncio.sleep(0.05)


def conversation_rows(server: Server, conversation_id: int, after_id: int) -> list[tuple[int, str]]:
    """(id, client_id) of the conversation's messages after `after_id`, read from the SQLite
    file both daphne processes share."""
    with contextlib.closing(sqlite3.connect(server.var_dir / "db.sqlite3", timeout=30)) as db:
        rows = db.execute(
            "SELECT id, client_id FROM counselling_message WHERE conversation_id = ? AND id > ? ORDER BY id",
            (conversation_id, after_id),
        ).fetchall()
    return [(row[0], str(uuid.UUID(str(row[1])))) for row in rows]


# --- The tests ------------------------------------------------------------------------------


def test_a_message_sent_through_one_daphne_reaches_the_other_person_on_another_daphne(
    fanout_redis_url: str,
) -> None:
    with running_server(extra_env={"REDIS_URL": fanout_redis_url}) as first:
        second = first.start_another()
        migrant = sign_in(first, MIGRANT)
        counsellor = sign_in(second, COUNSELLOR, totp_secret=DEMO_TOTP_SECRET)
        conversation_id = demo_conversation_id(migrant)

        async def exchange() -> tuple[ChatClient, ChatClient, str, str]:
            farid = ChatClient("farid@1", first, conversation_id, migrant.cookie("sessionid"))
            mariam = ChatClient("mariam@2", second, conversation_id, counsellor.cookie("sessionid"))
            for client in (farid, mariam):
                client.start()
                await asyncio.wait_for(client.live.wait(), timeout=WAIT)
            try:
                there = await farid.send("Salaam, sent through process 1")
                await until(lambda: there in mariam.seen.values(), "process 1 -> process 2")
                back = await mariam.send("Salaam Farid, sent through process 2")
                await until(lambda: back in farid.seen.values(), "process 2 -> process 1")
            finally:
                await farid.stop()
                await mariam.stop()
            return farid, mariam, there, back

        farid, mariam, there, back = asyncio.run(exchange())

    assert farid.connections == mariam.connections == 1  # live fan-out, no reconnection needed
    assert mariam.seen[farid.acked[there]] == there
    assert farid.seen[mariam.acked[back]] == back
    assert not farid.problems and not mariam.problems


def test_a_redis_restart_mid_conversation_loses_and_duplicates_no_message(own_redis: RedisProcess) -> None:
    per_person = 100
    kill_after = 60  # acknowledged messages, of 200
    with running_server(extra_env={"REDIS_URL": own_redis.url}) as first:
        second = first.start_another()
        migrant = sign_in(first, MIGRANT)
        counsellor = sign_in(second, COUNSELLOR, totp_secret=DEMO_TOTP_SECRET)
        conversation_id = demo_conversation_id(migrant)

        async def conversation() -> tuple[ChatClient, ChatClient, dict[str, int]]:
            farid = ChatClient("farid@1", first, conversation_id, migrant.cookie("sessionid"))
            mariam = ChatClient("mariam@2", second, conversation_id, counsellor.cookie("sessionid"))
            people = (farid, mariam)
            for client in people:
                client.start()
                await asyncio.wait_for(client.live.wait(), timeout=WAIT)

            async def talk(client: ChatClient, offset: float) -> None:
                await asyncio.sleep(offset)  # alternating: one, then the other
                for n in range(per_person):
                    await client.send(f"{client.name} message {n + 1}")
                    await asyncio.sleep(SEND_EVERY)

            talking = [asyncio.create_task(talk(farid, 0)), asyncio.create_task(talk(mariam, SEND_EVERY / 2))]
            try:
                await until(lambda: len(farid.acked) + len(mariam.acked) >= kill_after, "the first messages")
                for client in people:
                    client.closed.clear()
                own_redis.kill()
                # Each consumer waits on the channel layer; its Redis connection breaks, the
                # consumer ends and daphne closes the socket.
                await until(lambda: all(c.closed.is_set() for c in people), "both sockets to notice")
                await asyncio.to_thread(own_redis.start)  # same port, empty
                await asyncio.gather(*talking)
                await until(
                    lambda: not farid.outbox and not mariam.outbox,
                    "every message acknowledged",
                    timeout=2 * WAIT,
                )
                total = 2 * per_person
                await until(
                    lambda: len(farid.new_ids()) >= total and len(mariam.new_ids()) >= total,
                    "both people to have seen every message",
                )
            finally:
                for task in talking:
                    task.cancel()
                for client in people:
                    await client.stop()
            return farid, mariam, {**farid.acked, **mariam.acked}

        farid, mariam, acked = asyncio.run(conversation())
        rows = conversation_rows(first, conversation_id, farid.hello_last_id or 0)

    assert farid.hello_last_id == mariam.hello_last_id
    assert len(rows) == 200, f"{len(rows)} rows stored"
    assert len({client_id for _, client_id in rows}) == 200
    stored = dict(rows)  # id -> client_id
    assert {client_id: message_id for message_id, client_id in rows} == acked  # each sent once
    for client in (farid, mariam):
        assert client.connections >= 2, f"{client.name} never reconnected"
        new = {i: cid for i, cid in client.seen.items() if i > (client.hello_last_id or 0)}
        assert new == stored, f"{client.name}: lost {sorted(set(stored) - set(new))[:10]}"
        assert len(set(new.values())) == 200, f"{client.name}: a client_id shown twice"
        assert not client.problems, client.problems
