"""`make run`: one machine, no servers. Debug pages, mail and SMS written to var/."""

from .base import *  # noqa: F403
from .base import DEMO_FIELD_ENCRYPTION_KEY, VAR_DIR, env

VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-never-used-in-production")
# The demo encryption key: fixed so that data seeded once stays readable across restarts.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[DEMO_FIELD_ENCRYPTION_KEY])
SERVESTATIC_AUTOREFRESH = DEBUG
