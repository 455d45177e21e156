"""The `make run` worker: Celery with beat on the folder broker, no server needed."""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def run(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.fixture
def worker_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(DJANGO_SETTINGS_MODULE="tests.worker_settings", PASSAGE_VAR_DIR=str(tmp_path))
    run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], env)
    return env


def add_expired_session(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date) "
            "VALUES ('expired', 'x', '2000-01-01 00:00:00')"
        )


def session_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM django_session").fetchone()[0])


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BIN / "celery"), "-A", "config", "worker", "--beat", "--pool=solo", "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_beat_runs_periodic_jobs_and_the_worker_runs_tasks_without_any_server(worker_env, tmp_path):
    db = tmp_path / "db.sqlite3"
    add_expired_session(db)

    log = tmp_path / "worker.log"
    worker = start_worker(worker_env, log)
    try:
        # Beat puts the job in var/celery/queue; the worker takes it and deletes the row.
        assert wait_for(lambda: session_count(db) == 0, timeout=60), log.read_text()
    finally:
        stop(worker)
    assert "sessions_clear_expired" in log.read_text()


def test_a_task_queued_while_the_worker_is_down_runs_when_it_starts(worker_env, tmp_path):
    db = tmp_path / "db.sqlite3"
    add_expired_session(db)
    # Queue from a Django process while no worker runs: the message waits in the folder.
    env = {**worker_env, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from accounts.tasks import sessions_clear_expired; sessions_clear_expired.delay()",
        ],
        env,
    )
    assert any((tmp_path / "celery" / "queue").iterdir())

    log = tmp_path / "worker.log"
    worker = start_worker(env, log)  # no beat schedule entry runs this soon: only the queued task
    try:
        assert wait_for(lambda: session_count(db) == 0, timeout=60), log.read_text()
    finally:
        stop(worker)
