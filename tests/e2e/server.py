"""The real platform in a subprocess, set up the way production runs it, for browser tests and
benchmarks: its own var/ folder (SQLite, mail, SMS, queue, collected static), DEBUG off,
hashed and compressed static files served by ServeStatic, demo data, daphne.

    with running_server() as server:
        urlopen(server.base_url + "/healthz")
        server.sms_outbox()  # newest first
        server.pid, server.rss_kb()  # the daphne process
        server.restart()  # stop daphne, start it again on the same port (same database)
        second = server.start_another()  # a second daphne replica on the same var/ and settings

Every daphne process started from a `running_server` block is stopped when the block ends.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# The repository root (tests/e2e/server.py -> ../..) and the venv of the running interpreter.
REPO_ROOT = Path(__file__).resolve().parent.parent.parent
BIN_DIR = Path(sys.executable).parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
# Variables that would point the server at shared services instead of its own files.
_UNSET = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SMS_BACKEND", "SITE_URL")


@dataclass(frozen=True)
class SMSMessage:
    to: str
    body: str
    sent_at: str
    path: Path


@dataclass(eq=False)
class Server:
    """One daphne process serving the var/ folder of a `running_server` block."""

    base_url: str
    var_dir: Path
    log_path: Path
    env: dict[str, str] = field(default_factory=dict, repr=False)
    process: "subprocess.Popen[bytes] | None" = field(default=None, repr=False)
    # Every daphne process of the block (this one included), stopped when the block ends.
    replicas: list["Server"] = field(default_factory=list, repr=False)

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    @property
    def ws_base(self) -> str:
        """`ws://127.0.0.1:PORT`, to which a socket path such as `/ws/conversations/1/` is added."""
        return self.base_url.replace("http://", "ws://", 1)

    @property
    def pid(self) -> int:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError("daphne is not running")
        return self.process.pid

    def rss_kb(self) -> int:
        """Resident memory of the daphne process (VmRSS in /proc/<pid>/status), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("VmRSS not found")

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start daphne (again) on this port with the same settings; return once /healthz is 200."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("daphne is already running")
        self.process = _start_daphne(self.port, self.env, self.log_path)
        _wait_healthy(f"{self.base_url}/healthz", self.process, self.log_path, timeout)

    def stop(self) -> None:
        """Stop daphne (SIGTERM, then SIGKILL after STOP_TIMEOUT). The var/ folder stays."""
        if self.process is not None:
            _stop(self.process)

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        self.stop()
        self.start(timeout)

    def start_another(self, extra_env: dict[str, str] | None = None) -> "Server":
        """A further daphne process on a free port: same var/ folder (so the same SQLite file),
        same settings plus `extra_env`, its own log. Any replica serves any socket when the
        channel layer is Redis (REDIS_URL)."""
        number = len(self.replicas) + 1
        port = free_port()
        other = Server(
            base_url=f"http://127.0.0.1:{port}",
            var_dir=self.var_dir,
            log_path=self.var_dir / f"server-{number}.log",
            env={**self.env, **(extra_env or {})},
            replicas=self.replicas,
        )
        self.replicas.append(other)
        other.start()
        return other

    @property
    def sms_dir(self) -> Path:
        return self.var_dir / "sms"

    def sms_outbox(self) -> list[SMSMessage]:
        """Every SMS the server has sent (accounts.sms.FileSMSBackend), newest first."""
        if not self.sms_dir.is_dir():
            return []
        messages = []
        for path in self.sms_dir.glob("*.json"):
            data = json.loads(path.read_text(encoding="utf-8"))
            messages.append(SMSMessage(data["to"], data["body"], data["sent_at"], path))
        # File names are second-resolution timestamps plus a random suffix: sort on the
        # microsecond `sent_at`, then on modification time.
        return sorted(messages, key=lambda m: (m.sent_at, m.path.stat().st_mtime_ns), reverse=True)

    def latest_sms(self, to: str | None = None) -> SMSMessage | None:
        for message in self.sms_outbox():
            if to is None or message.to == to:
                return message
        return None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def chromium_path() -> str:
    return os.environ.get("PASSAGE_CHROMIUM", "/usr/bin/chromium")


# Debian's Chromium, never a downloaded build (see FIELD-NOTES "Browser tests").
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What most of our users hold: a 360 px wide phone.
PHONE = {"viewport": {"width": 360, "height": 800}, "device_scale_factor": 1, "is_mobile": True}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    env.update(
        {
            "PASSAGE_VAR_DIR": str(var_dir),
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DEBUG": "False",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            # A test may sign in and fail many times from 127.0.0.1.
            "LOGIN_FAILED_RATE": "1000/5m/ip,100/5m/key",
        }
    )
    return env


def _manage(args: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ manage.py {' '.join(args)}\n")
        out.flush()
        result = subprocess.run(
            [sys.executable, str(REPO_ROOT / "manage.py"), *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=300,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed (exit {result.returncode}):\n"
            + log.read_text(encoding="utf-8", errors="replace")[-4000:]
        )


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"daphne exited with status {process.returncode} before answering {url}:\n"
                + log.read_text(encoding="utf-8", errors="replace")[-4000:]
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
                if response.status == 200:
                    return
                last_error = f"status {response.status}"
        except urllib.error.HTTPError as error:
            last_error = f"status {error.code}: {error.read()[:500]!r}"
        except (urllib.error.URLError, OSError) as error:
            last_error = str(error)
        time.sleep(0.2)
    raise RuntimeError(
        f"{url} did not answer 200 within {timeout:.0f} s (last: {last_error}). Server log:\n"
        + log.read_text(encoding="utf-8", errors="replace")[-4000:]
    )


def _start_daphne(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ daphne -p {port}\n")
        out.flush()
        return subprocess.Popen(
            [str(BIN_DIR / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def running_server(
    *, keep_var_dir: bool = False, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Set up a fresh var/ folder, start daphne on a free port, yield a `Server`, stop it (and
    every replica started with `Server.start_another`).
    `extra_env` adds settings (a benchmark passes REDIS_URL to measure with Redis)."""
    var_dir = Path(tempfile.mkdtemp(prefix="passage-e2e-"))
    log = var_dir / "server.log"
    env = {**server_env(var_dir), **(extra_env or {})}
    replicas: list[Server] = []
    try:
        _manage(["migrate", "--no-input", "-v", "0"], env, log)
        _manage(["compile_translations"], env, log)
        _manage(["collectstatic", "--no-input", "-v", "0"], env, log)
        _manage(["seed_demo"], env, log)
        base_url = f"http://127.0.0.1:{free_port()}"
        server = Server(base_url=base_url, var_dir=var_dir, log_path=log, env=env, replicas=replicas)
        replicas.append(server)
        server.start()
        yield server
    finally:
        for replica in replicas:
            replica.stop()
        if not keep_var_dir:
            shutil.rmtree(var_dir, ignore_errors=True)
