"""Chat message latency: 100 conversations at once, each person on their own socket, through the
real platform (daphne, the consumer, the database, the channel layer — Redis when REDIS_URL is
reachable, else the in-memory layer), next to a raw WebSocket relay measured in the same run.

Latency is from the moment one person's socket sends a message until the other person's socket
receives it (stored, acknowledged, fanned out). Each conversation sends MESSAGES messages, one
every PACE seconds, starting at its own moment: about 50 messages a second in total, steady.

Budget: p95 under BUDGET_P95_MS. Exit status 1 if over budget or a message is lost.

On the same daphne process, two more figures (bench/_ws_pages.py):

- memory per idle socket: IDLE_SOCKETS sockets opened (in batches: each connect does database
  and channel-layer work) and left idle; the daphne process's RSS before and after, divided by
  the number of sockets. Budget BUDGET_IDLE_KB (about 40 KB measured, FIELD-NOTES).
- reconnect after a restart: RECONNECT_SOCKETS sockets open, messages flowing, daphne stopped and
  started again on the same port (same database, same Redis). Every page reconnects with chat.js's
  back-off (1, 2, 4 ... s), sends "sync" from its last seen id and resends its unacknowledged
  messages; the time from the stop until every page has caught up, and every page must end with
  every message of its conversation exactly once. Budget BUDGET_RESUME_S.

    .venv/bin/python bench/chat.py
"""

import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import websockets

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench._ws_pages import measure_idle_memory, measure_reconnect  # noqa: E402
from tests.e2e.server import BIN_DIR, free_port, running_server, server_env  # noqa: E402

CONVERSATIONS = 100
MESSAGES = 10
PACE = 2.0
BUDGET_P95_MS = 250.0
IDLE_SOCKETS = 1000
BUDGET_IDLE_KB = 100.0
RECONNECT_SOCKETS = 500
BUDGET_RESUME_S = 30.0

SETUP = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts import services as accounts
from accounts.models import Role
from counselling.services import conversation_get_or_create

def session(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key

rows = []
organisation = accounts.organisation_create(name="Bench partner", country="AF")
for n in range(%(n)d):
    client = accounts.user_create(
        display_name=f"Client {n}", email=f"bench-client-{n}@example.org", password=None, roles=[Role.MIGRANT]
    )
    counsellor = accounts.user_create(
        display_name=f"Counsellor {n}",
        email=f"bench-counsellor-{n}@example.org",
        password=None,
        roles=[Role.COUNSELLOR],
        organisation=organisation,
    )
    conversation = conversation_get_or_create(client=client, counsellor=counsellor)
    rows.append([conversation.pk, session(client), session(counsellor)])
print("ROWS" + json.dumps(rows))
"""


def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - not reachable: measure the embedded default
        return ""
    return url


def make_conversations(var_dir: Path, extra_env: dict[str, str]) -> list[list]:
    env = {**server_env(var_dir), **extra_env}
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "shell", "-c", SETUP % {"n": CONVERSATIONS}],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"setting up conversations failed:\n{result.stderr[-3000:]}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("ROWS"))
    return json.loads(line[4:])


async def conversation_latencies(send_socket, receive_socket, make_frame, is_theirs) -> list[float]:
    # People do not all press "send" in the same instant: each conversation starts at its own
    # moment within the first PACE seconds, so the load is steady rather than 100 at once.
    await asyncio.sleep(random.uniform(0, PACE))
    timings: list[float] = []
    for _ in range(MESSAGES):
        key = str(uuid.uuid4())
        started = time.perf_counter()
        await send_socket.send(make_frame(key))
        while True:
            frame = await asyncio.wait_for(receive_socket.recv(), timeout=30)
            if is_theirs(frame, key):
                timings.append((time.perf_counter() - started) * 1000)
                break
        await asyncio.sleep(PACE)
    return timings


async def measure_platform(ws_base: str, rows: list[list]) -> list[float]:
    def frame(key: str) -> str:
        return json.dumps({"type": "message", "client_id": key, "body": "How are you today?"})

    def theirs(raw: str, key: str) -> bool:
        data = json.loads(raw)
        return data.get("type") == "message" and data.get("client_id") == key

    async def one(conversation_id: int, client_session: str, counsellor_session: str) -> list[float]:
        url = f"{ws_base}/ws/conversations/{conversation_id}/"
        origin = ws_base.replace("ws://", "http://")
        async with (
            websockets.connect(
                url, origin=origin, additional_headers={"Cookie": f"sessionid={client_session}"}
            ) as a,
            websockets.connect(
                url, origin=origin, additional_headers={"Cookie": f"sessionid={counsellor_session}"}
            ) as b,
        ):
            await a.recv(), await b.recv()  # hello
            await asyncio.sleep(1)  # every socket open before the first message
            return await conversation_latencies(a, b, frame, theirs)

    results = await asyncio.gather(*(one(*row) for row in rows))
    return [t for timings in results for t in timings]


async def measure_relay(port: int) -> list[float]:
    async def one(n: int) -> list[float]:
        url = f"ws://127.0.0.1:{port}/pair/{n}"
        async with websockets.connect(url) as a, websockets.connect(url) as b:
            await asyncio.sleep(1)
            return await conversation_latencies(a, b, lambda key: key, lambda raw, key: raw == key)

    results = await asyncio.gather(*(one(n) for n in range(CONVERSATIONS)))
    return [t for timings in results for t in timings]


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def raise_open_files_limit(needed: int) -> None:
    """Each socket is a file descriptor here and in daphne (which inherits this limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def main() -> int:
    raise_open_files_limit(2 * IDLE_SOCKETS + 1024)
    url = redis_url()
    extra = {"REDIS_URL": url} if url else {}
    layer = "Redis" if url else "in-memory layer"
    with running_server(extra_env=extra) as server:
        rows = make_conversations(server.var_dir, extra)
        # On a fresh process first: memory freed by earlier sockets would hide part of the cost.
        memory = asyncio.run(measure_idle_memory(server, rows, IDLE_SOCKETS))
        ws_base = server.base_url.replace("http://", "ws://")
        platform = asyncio.run(measure_platform(ws_base, rows))
        reconnect = asyncio.run(measure_reconnect(server, rows, RECONNECT_SOCKETS))

    port = free_port()
    relay = subprocess.Popen(
        [str(BIN_DIR / "python"), str(Path(__file__).parent / "_ws_relay.py"), str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        relay.stdout.readline()  # "ready"
        baseline = asyncio.run(measure_relay(port))
    finally:
        relay.terminate()
        relay.wait(timeout=10)

    expected = CONVERSATIONS * MESSAGES
    p50, high = statistics.median(platform), p95(platform)
    base50, base95 = statistics.median(baseline), p95(baseline)
    ok = high <= BUDGET_P95_MS and len(platform) == expected
    verdict = "OK" if ok else "OVER"
    print(
        f"chat latency, {CONVERSATIONS} conversations, SQLite + {layer}: "
        f"p50 {p50:.1f} ms  p95 {high:.1f} ms  budget p95 {BUDGET_P95_MS:.0f} ms  {verdict}  "
        f"({len(platform)}/{expected} delivered)  [baseline raw WebSocket relay: "
        f"p50 {base50:.1f} ms p95 {base95:.1f} ms; ratio p95 {high / base95:.1f}x]",
        flush=True,
    )

    per_socket = memory.per_socket_kb
    memory_ok = memory.opened == IDLE_SOCKETS and per_socket <= BUDGET_IDLE_KB
    print(
        f"chat memory, {memory.opened} idle sockets on one daphne, SQLite + {layer}: "
        f"{per_socket:.1f} KB per socket  budget {BUDGET_IDLE_KB:.0f} KB  {'OK' if memory_ok else 'OVER'}  "
        f"(daphne RSS {memory.before_kb / 1024:.1f} MB -> {memory.after_kb / 1024:.1f} MB; "
        f"opened in {memory.open_seconds:.1f} s)",
        flush=True,
    )

    r = reconnect
    reconnect_ok = r.resumed == r.pages and r.resume_seconds <= BUDGET_RESUME_S and r.correct
    print(
        f"chat reconnect after a daphne restart, {r.pages} sockets, SQLite + {layer}: "
        f"all resumed {r.resume_seconds:.1f} s after the stop  budget {BUDGET_RESUME_S:.0f} s  "
        f"{'OK' if reconnect_ok else 'OVER'}  "
        f"({r.resumed}/{r.pages} resumed, the first after {r.first_seconds:.1f} s; daphne answered again "
        f"after {r.restart_seconds:.1f} s; back-off 1, 2, 4 s as chat.js; "
        f"{r.messages} messages: {r.gaps} missing, {r.extra} duplicated, "
        f"{r.resent} resent from outboxes, {r.repeats} frames repeated by sync and dropped by id)",
        flush=True,
    )
    return 0 if ok and memory_ok and reconnect_ok else 1


if __name__ == "__main__":
    sys.exit(main())
