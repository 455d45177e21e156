"""PostgreSQL for the benchmarks that measure on it: whether it runs here, and a database of a
benchmark's own, made fresh and dropped afterwards (other benchmarks and the tests use theirs).

The server is the one `.ci/run` and the README expect: 127.0.0.1:5432, user postgres, trust auth.
"""

import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

HOST, PORT = "127.0.0.1", 5432
ADMIN_URL = f"postgres://postgres@{HOST}:{PORT}/postgres"
WHERE = f"{HOST}:{PORT}"


def reachable() -> bool:
    try:
        socket.create_connection((HOST, PORT), timeout=1).close()
    except OSError:
        return False
    return True


def psql(sql: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `sql` as the administrator (on the `postgres` database)."""
    return subprocess.run(["psql", ADMIN_URL, "-qAtc", sql], check=check, capture_output=True, text=True)


def url(database: str) -> str:
    return f"postgres://postgres@{HOST}:{PORT}/{database}"


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    """Create `name` empty (dropping a leftover of an interrupted run), yield its URL, and drop it
    however the block ends. Connections still open are closed by the drop (FORCE)."""
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"CREATE DATABASE {name}")
    try:
        yield url(name)
    finally:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)
