"""Settings for the worker test: the local defaults with one job every second."""

from config.settings.local import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "clear-sessions-every-second": {
        "task": "accounts.tasks.sessions_clear_expired",
        "schedule": 1.0,
    }
}
