"""The Celery app. With no REDIS_URL the broker is a folder (var/celery/), so `make run`
really runs tasks and periodic jobs without any server."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("passage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """Kombu's filesystem transport does not create its folders; `.delay()` would raise."""
    options = app.conf.broker_transport_options or {}
    if not str(app.conf.broker_url).startswith("filesystem://"):
        return
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@app.on_after_configure.connect  # type: ignore[untyped-decorator]
def _create_folders(sender: Celery, **kwargs: object) -> None:
    ensure_broker_folders()


def enqueue_on_commit(task: object, *args: object) -> None:
    """Queue `task` once the current transaction commits. A broker that is down then loses
    nothing: what the task does must also be done by a periodic job from the database."""
    import logging

    from django.db import transaction

    def enqueue() -> None:
        try:
            task.delay(*args)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - any broker failure; the periodic job catches up
            logging.getLogger(__name__).warning("broker unavailable; %s left to its periodic job", task)

    transaction.on_commit(enqueue)
