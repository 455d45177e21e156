"""A local coturn for relayed-call tests, started and stopped by the test (never by hand).

Configured like production (`platform/turnserver.conf`: `use-auth-secret`, time-limited
credentials), plus `--allow-loopback-peers`, which a test on one machine needs and production
must never have. Debian's `coturn` package provides `turnserver`."""

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.server import free_port


@dataclass(frozen=True)
class Turn:
    url: str
    secret: str
    log: Path


def turnserver_path() -> str | None:
    return shutil.which("turnserver")


@contextmanager
def running_turn(secret: str = "turn-test-secret") -> Iterator[Turn]:  # noqa: S107 (a test relay)
    binary = turnserver_path()
    if binary is None:
        raise RuntimeError("coturn is not installed (Debian: apt-get install coturn)")
    port = free_port()
    relay_from = free_port() // 2 * 2 % 20000 + 40000  # an even range far from the listener
    folder = Path(tempfile.mkdtemp(prefix="passage-turn-"))
    log = folder / "turnserver.log"
    args = [
        binary,
        "-n",  # no configuration file: everything is on this line
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        f"--listening-port={port}",
        f"--min-port={relay_from}",
        f"--max-port={relay_from + 200}",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        "--realm=passage.test",
        "--fingerprint",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--allow-loopback-peers",  # tests only: both browsers are on this machine
        "--cli-password=unused",
        f"--log-file={log}",
        f"--pidfile={folder / 'turnserver.pid'}",
        f"--db={folder / 'turndb'}",
        "--simple-log",
    ]
    with log.with_suffix(".out").open("w") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"turnserver stopped at start; see {log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"turnserver did not listen on {port}; see {log}") from None
                time.sleep(0.1)
        yield Turn(url=f"turn:127.0.0.1:{port}?transport=udp", secret=secret, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
