"""Server time per page, and requests per second of one daphne process.

Runs the real platform (tests/e2e/server.py: DEBUG off, SQLite, daphne) and, in the same run, a
bare Django app (bench/_bare_django.py: one view, no middleware) on its own daphne as the
baseline. Each page is fetched REQUESTS times over keep-alive connections from this process,
first by one client (latency: what one person waits for the server), then by CONCURRENCY clients
(throughput: Django runs sync views on one thread per process, so this is what one replica
serves; scale out with more daphne replicas). Signed-in pages carry the demo migrant's session.

Budgets: p95 server time with one client (BUDGETS_MS) and requests per second of one process
(MIN_RPS). Exit status 1 if any figure misses its budget.

    .venv/bin/python bench/request_latency.py
"""

import http.client
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.e2e.server import BIN_DIR, free_port, running_server  # noqa: E402

CONCURRENCY = 8
REQUESTS = 400
WARMUP = 20
# p95 with one client; a phone on 3G adds hundreds of ms of its own to each request.
BUDGETS_MS = {"/healthz": 50, "/": 50, "/accounts/login/": 50, "/dashboard/": 50}
MIN_RPS = 40


def sign_in(host: str, port: int) -> str:
    """The demo migrant's session cookie, obtained through the real sign-in form."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    page = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "login": "migrant@demo.test", "password": "demo-pass-123"}
    )
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"http://{host}:{port}/accounts/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    cookies = response.getheader("Set-Cookie", "")
    session = re.search(r"sessionid=([^;]+)", cookies)
    if response.status != 302 or not session:
        raise RuntimeError(f"sign-in failed: {response.status}")
    return f"sessionid={session.group(1)}"


def measure(host: str, port: int, path: str, cookie: str, clients: int) -> list[float]:
    per_client = REQUESTS // clients
    headers = {"Accept-Encoding": "gzip", **({"Cookie": cookie} if cookie else {})}

    def client(_: int) -> list[float]:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        timings = []
        for i in range(per_client + WARMUP // clients):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: status {response.status}")
            if i >= WARMUP // clients:
                timings.append(time.perf_counter() - started)
        conn.close()
        return timings

    with ThreadPoolExecutor(clients) as pool:
        return [t for timings in pool.map(client, range(clients)) for t in timings]


def summary(timings: list[float], wall: float) -> tuple[float, float, float]:
    ordered = sorted(timings)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000
    return len(ordered) / wall, p50, p95


def run_page(
    host: str, port: int, path: str, cookie: str = "", clients: int = 1
) -> tuple[float, float, float]:
    started = time.perf_counter()
    timings = measure(host, port, path, cookie, clients)
    return summary(timings, time.perf_counter() - started)


def both(host: str, port: int, path: str, cookie: str = "") -> tuple[float, float, float]:
    """(p50 ms and p95 ms with one client, req/s with CONCURRENCY clients)."""
    _rps, p50, p95 = run_page(host, port, path, cookie, clients=1)
    rps, _p50, _p95 = run_page(host, port, path, cookie, clients=CONCURRENCY)
    return p50, p95, rps


def bare_django_baseline() -> tuple[float, float, float]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN_DIR / "daphne"), "-b", "127.0.0.1", "-p", str(port), "bench._bare_django:application"],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return both("127.0.0.1", port, "/")
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> int:
    base_p50, base_p95, base_rps = bare_django_baseline()
    print(
        f"latency bare-django        p50 {base_p50:5.1f} ms  p95 {base_p95:5.1f} ms  {base_rps:5.0f} req/s"
        f"  (baseline: one view, no middleware, same daphne)",
        flush=True,
    )
    over = []
    with running_server() as server:
        parsed = urllib.parse.urlparse(server.base_url)
        host, port = parsed.hostname, parsed.port
        cookie = sign_in(host, port)
        for path, budget in BUDGETS_MS.items():
            p50, p95, rps = both(host, port, path, cookie if path == "/dashboard/" else "")
            verdict = "OK" if p95 <= budget and rps >= MIN_RPS else "OVER"
            if verdict == "OVER":
                over.append(path)
            print(
                f"latency {path:18} p50 {p50:5.1f} ms  p95 {p95:5.1f} ms (budget {budget})"
                f"  {rps:5.0f} req/s (budget >= {MIN_RPS}, {CONCURRENCY} clients)  {verdict}"
                f"  [{p50 / base_p50:.1f}x bare Django time, {rps / base_rps:.2f}x its throughput]",
                flush=True,
            )
    if over:
        print(f"latency: over budget: {', '.join(over)}")
        return 1
    print("latency: all within budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
