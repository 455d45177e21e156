"""Production: refuses to start without the secrets it needs, naming the missing variable."""

import base64
import binascii

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEMO_FIELD_ENCRYPTION_KEY, REDIS_URL, env


def _required(name: str) -> str:
    value = env(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"The environment variable {name} is missing or empty; production cannot start "
            "without it (see .env.example)."
        )
    return value


def _encryption_keys(raw: str) -> list[str]:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            decoded = base64.urlsafe_b64decode(key)
        except (binascii.Error, ValueError):
            decoded = b""
        if key == DEMO_FIELD_ENCRYPTION_KEY:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position} is the demo key published with the code; "
                "make a secret one."
            )
        if len(decoded) != 32:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position} is not 32 bytes of URL-safe base64 "
                "(make one with: python -c 'import base64,os; "
                "print(base64.urlsafe_b64encode(os.urandom(32)).decode())')."
            )
    return keys


ENVIRONMENT = "production"
DEBUG = False
SECRET_KEY = _required("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long.")
ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
FIELD_ENCRYPTION_KEYS = _encryption_keys(_required("FIELD_ENCRYPTION_KEYS"))
# Replicas share chat fan-out, rate limits and the task queue through Redis; without it each
# process would silently keep its own.
if not REDIS_URL:
    _required("REDIS_URL")
# Codes and notices must reach people: no mail or SMS written to files inside a container.
_required("EMAIL_URL")
SMS_BACKEND = env("SMS_BACKEND", default="accounts.sms.HttpSMSBackend")
if SMS_BACKEND == "accounts.sms.FileSMSBackend":
    raise ImproperlyConfigured(
        "SMS_BACKEND is the development file backend; set it to a gateway backend such as "
        "accounts.sms.HttpSMSBackend (see .env.example)."
    )
if SMS_BACKEND == "accounts.sms.HttpSMSBackend":
    _required("SMS_GATEWAY_URL")

# Client addresses (for login rate limits) come from the proxy's X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)

# TLS ends at the reverse proxy (platform/Caddyfile), which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
