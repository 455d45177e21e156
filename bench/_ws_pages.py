"""Helpers of bench/chat.py: many conversation pages on real sockets against a running daphne.

- `measure_idle_memory`: open N sockets, leave them idle, read daphne's RSS before and after.
- `measure_reconnect`: N pages chatting; daphne restarted; every page reconnects as chat.js does
  (back-off 1, 2, 4 ... s, "sync" from the last message seen, outbox resent with the same
  client_id) and must end with every message of its conversation exactly once.

`rows` are `[conversation id, client session key, counsellor session key]` (bench/chat.py).
"""

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import websockets

from tests.e2e.server import Server

BATCH = 50  # sockets opened at once: each connect reads the session and the conversation
OPEN_TIMEOUT = 120.0
CATCH_UP_TIMEOUT = 120.0
SEND_EVERY = 4.0  # per conversation while pages reconnect: about 25 messages/s for 100
FLOW_BEFORE = 3.0  # seconds of chat before the restart, and after everyone is back


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def until_idle(pid: int, timeout: float = 60.0) -> None:
    """Wait until daphne stops working (under 20 ms of CPU in half a second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        spent = _cpu_seconds(pid)
        await asyncio.sleep(0.5)
        if _cpu_seconds(pid) - spent < 0.02:
            return


async def until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def _socket_plan(rows: list[list], count: int) -> list[tuple[int, str, int]]:
    """(conversation id, session, tab number): sockets spread over every conversation, the
    client's and the counsellor's tabs in turn."""
    plan = []
    for n in range(count):
        conversation_id, client_session, counsellor_session = rows[n % len(rows)]
        tab = n // len(rows)
        plan.append((conversation_id, client_session if tab % 2 == 0 else counsellor_session, tab))
    return plan


def _connect(server: Server, conversation_id: int, session: str) -> Any:
    return websockets.connect(
        f"{server.ws_base}/ws/conversations/{conversation_id}/",
        origin=server.base_url,
        additional_headers={"Cookie": f"sessionid={session}"},
        open_timeout=OPEN_TIMEOUT,
        ping_interval=None,  # browsers send no protocol pings; chat.js pings every 25 s
        max_queue=None,
    )


# --- Memory per idle socket -------------------------------------------------------------------


@dataclass
class Memory:
    opened: int
    before_kb: int
    after_kb: int
    open_seconds: float

    @property
    def per_socket_kb(self) -> float:
        return (self.after_kb - self.before_kb) / max(self.opened, 1)


async def measure_idle_memory(server: Server, rows: list[list], count: int) -> Memory:
    async def open_one(conversation_id: int, session: str, _tab: int) -> Any:
        socket = await _connect(server, conversation_id, session)
        hello = json.loads(await asyncio.wait_for(socket.recv(), timeout=OPEN_TIMEOUT))
        if hello.get("type") != "hello":
            raise RuntimeError(f"socket refused: {hello}")
        return socket

    plan = _socket_plan(rows, count)
    # Warm up first: code paths, caches and connection pools are not a per-socket cost.
    warm = await asyncio.gather(*(open_one(*entry) for entry in plan[:BATCH]))
    await asyncio.gather(*(socket.close() for socket in warm))
    await until_idle(server.pid)
    before = server.rss_kb()
    started = time.monotonic()
    sockets: list[Any] = []
    try:
        for first in range(0, count, BATCH):
            sockets += await asyncio.gather(*(open_one(*entry) for entry in plan[first : first + BATCH]))
        open_seconds = time.monotonic() - started
        await until_idle(server.pid)
        after = server.rss_kb()
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    await until_idle(server.pid)
    return Memory(len(sockets), before, after, open_seconds)


# --- Reconnect after a restart ----------------------------------------------------------------


class Page:
    """One open conversation page, reconnecting as counselling/static/counselling/chat.js does."""

    def __init__(self, server: Server, conversation_id: int, session: str) -> None:
        self.server = server
        self.conversation_id = conversation_id
        self.session = session
        self.outbox: dict[str, str] = {}
        self.acked: dict[str, int] = {}
        self.seen: set[int] = set()
        self.repeats = 0  # frames of a message already shown (a sync overlapping live fan-out)
        self.resent = 0
        self.first_id: int | None = None  # the conversation's last id when the page opened
        self.last_seen = 0
        self.connections = 0
        self.dropped = False
        self.resumed_at: float | None = None
        self.stopping = False
        self.socket: Any = None

    def live(self) -> bool:
        return self.socket is not None

    async def send(self, body: str) -> None:
        client_id = str(uuid.uuid4())
        self.outbox[client_id] = body
        await self._send_message(client_id)

    async def _send_message(self, client_id: str) -> None:
        if self.socket is None or client_id not in self.outbox:
            return  # sent when the page is connected again
        frame = {"type": "message", "client_id": client_id, "body": self.outbox[client_id]}
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.socket.send(json.dumps(frame))

    async def run(self) -> None:
        retry = 0
        while not self.stopping:
            try:
                async with _connect(self.server, self.conversation_id, self.session) as socket:
                    hello = json.loads(await asyncio.wait_for(socket.recv(), timeout=OPEN_TIMEOUT))
                    if hello.get("type") != "hello":
                        raise ConnectionError(f"refused: {hello}")
                    if self.first_id is None:
                        self.first_id = self.last_seen = hello["last_id"]
                    retry = 0
                    self.connections += 1
                    self.socket = socket
                    await socket.send(json.dumps({"type": "sync", "after": self.last_seen}))
                    waiting = list(self.outbox)
                    self.resent += len(waiting) if self.connections > 1 else 0
                    for client_id in waiting:
                        await self._send_message(client_id)
                    async for raw in socket:
                        await self._on_frame(json.loads(raw))
            except (OSError, TimeoutError, ConnectionError, websockets.WebSocketException):
                pass
            finally:
                if self.socket is not None:
                    self.dropped = True
                self.socket = None
            if not self.stopping:
                retry = min(retry + 1, 5)  # chat.js: 1, 2, 4 ... 30 s
                await asyncio.sleep(min(30, 2 ** (retry - 1)))

    async def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "message":
            if frame["id"] in self.seen:
                self.repeats += 1
            self.seen.add(frame["id"])
            self.last_seen = max(self.last_seen, frame["id"])
        elif kind == "ack":
            self.outbox.pop(frame["client_id"], None)
            self.acked.setdefault(frame["client_id"], frame["id"])
        elif kind == "synced":
            if frame.get("more"):
                await self.socket.send(json.dumps({"type": "sync", "after": frame["last_id"]}))
            elif self.dropped and self.resumed_at is None:
                self.resumed_at = time.monotonic()
        elif kind == "error" and frame.get("code") == "slow_down" and frame.get("client_id"):
            await asyncio.sleep(1)
            await self._send_message(frame["client_id"])

    async def stop(self) -> None:
        self.stopping = True
        if self.socket is not None:
            await self.socket.close()


@dataclass
class Reconnect:
    pages: int
    resumed: int
    resume_seconds: float
    first_seconds: float
    restart_seconds: float
    messages: int
    gaps: int
    extra: int
    repeats: int
    resent: int
    caught_up: bool

    @property
    def correct(self) -> bool:
        return self.caught_up and self.gaps == 0 and self.extra == 0


async def measure_reconnect(server: Server, rows: list[list], count: int) -> Reconnect:
    plan = _socket_plan(rows, count)
    pages = [Page(server, conversation_id, session) for conversation_id, session, _tab in plan]
    # The first tab of each conversation writes; every tab of the conversation must see it all.
    senders = {page.conversation_id: page for page in reversed(pages)}
    by_conversation: dict[int, list[Page]] = {}
    for page in pages:
        by_conversation.setdefault(page.conversation_id, []).append(page)
    running: list[asyncio.Task[None]] = []
    talking = True

    async def talk(page: Page) -> None:
        await asyncio.sleep(SEND_EVERY * (page.conversation_id % 17) / 17)
        n = 0
        while talking:
            n += 1
            await page.send(f"message {n}")
            await asyncio.sleep(SEND_EVERY)

    try:
        for first in range(0, count, BATCH):  # in batches, as for the memory
            batch = pages[first : first + BATCH]
            running += [asyncio.create_task(page.run()) for page in batch]
            if not await until(lambda: all(page.connections for page in batch), OPEN_TIMEOUT):  # noqa: B023
                raise RuntimeError("not every page could connect")
        writers = [asyncio.create_task(talk(page)) for page in senders.values()]
        await asyncio.sleep(FLOW_BEFORE)
        stopped_at = time.monotonic()
        await asyncio.to_thread(server.restart)
        restart_seconds = time.monotonic() - stopped_at
        await until(lambda: all(page.resumed_at for page in pages), CATCH_UP_TIMEOUT)
        resumed = [page.resumed_at for page in pages if page.resumed_at]
        resume_seconds = (max(resumed) if resumed else time.monotonic()) - stopped_at
        first_seconds = (min(resumed) if resumed else time.monotonic()) - stopped_at
        await asyncio.sleep(FLOW_BEFORE)
        talking = False
        await asyncio.gather(*writers)

        def everyone_has_everything() -> bool:
            for conversation_id, tabs in by_conversation.items():
                written = set(senders[conversation_id].acked.values())
                if senders[conversation_id].outbox:
                    return False
                if any(not written <= tab.seen for tab in tabs):
                    return False
            return True

        caught_up = await until(everyone_has_everything, CATCH_UP_TIMEOUT)
    finally:
        for page in pages:
            await page.stop()
        await asyncio.gather(*running, return_exceptions=True)

    gaps = extra = 0
    for conversation_id, tabs in by_conversation.items():
        sender = senders[conversation_id]
        written = set(sender.acked.values())
        extra += len(sender.acked) - len(written)  # one client_id stored twice
        for tab in tabs:
            new = {i for i in tab.seen if i > (tab.first_id or 0)}
            gaps += len(written - new)
            extra += len(new - written)  # a message nobody wrote, e.g. a resend stored again
    return Reconnect(
        pages=len(pages),
        resumed=sum(1 for page in pages if page.resumed_at),
        resume_seconds=resume_seconds,
        first_seconds=first_seconds,
        restart_seconds=restart_seconds,
        messages=sum(len(page.acked) for page in senders.values()),
        gaps=gaps,
        extra=extra,
        repeats=sum(page.repeats for page in pages),
        resent=sum(page.resent for page in pages),
        caught_up=caught_up,
    )
