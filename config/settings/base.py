"""Settings shared by every mode, read from the environment in this one place.

The modes (`local`, `test`, `production`) only change defaults and add checks; every value
an operator may set is an environment variable documented in `.env.example`.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# Everything the running platform writes (SQLite file, mail, SMS, queue, collected static).
VAR_DIR = Path(env("PASSAGE_VAR_DIR", default=str(BASE_DIR / "var")))

ENVIRONMENT = "local"
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Where "Leave quickly" goes: a neutral page that says nothing about counselling.
QUICK_EXIT_URL = env("QUICK_EXIT_URL", default="https://www.google.com/")

INSTALLED_APPS = [
    # daphne first: `runserver` then serves ASGI (WebSockets included).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "channels",
    "servestatic",
    "ninja",
    # Our apps come before allauth so that their templates override allauth's.
    "frontend",
    "accounts",
    "booking",
    "counselling",
    "courses",
    "allowances",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
    "accounts.middleware.RateLimitedMiddleware",
]

FORM_RENDERER = "frontend.forms.FormRenderer"
ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# SQLite by default: WAL lets readers work while one writer commits, and IMMEDIATE takes the
# write lock at BEGIN so two writers queue instead of failing with "database is locked".
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
    ),
}
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
else:
    # A connection pool per process (psycopg_pool), not persistent connections: under ASGI each
    # request runs in a thread of its own, and CONN_MAX_AGE > 0 leaves one idle connection
    # behind per thread until PostgreSQL refuses new clients (bench/learning.py reached 99 with
    # 50 learners). The pool caps each daphne at DB_POOL_MAX_SIZE; replicas x that number must
    # stay under the server's max_connections. DB_POOL_MAX_SIZE=0 turns the pool off.
    POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=20)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = POOL_MAX_SIZE == 0
    if POOL_MAX_SIZE:
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            "pool": {"min_size": min(2, POOL_MAX_SIZE), "max_size": POOL_MAX_SIZE, "timeout": 10},
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery broker -------------------------------------------
REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 60},
        }
    }
    # django-redis rather than Django's own Redis backend: with IGNORE_EXCEPTIONS a Redis outage
    # makes the cache miss (logged) instead of failing every request that touches it. Presence
    # and the waiting room then degrade, and sign-in answers "try again in a moment" (allauth's
    # rate limit cannot take its lock, and stays closed rather than open) while the rest of the
    # site and the chat keep working; /healthz still reports the cache as down.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "passage",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------------------
CELERY_DATA_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    # No server needed: kombu's filesystem transport keeps the queue in var/celery/.
    # The folders are created by config.celery before any message is sent.
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    "booking-reminders": {"task": "booking.tasks.reminders_due", "schedule": 5 * 60},
    # Time passes: keep the directory's "free soonest" order fresh.
    "booking-next-free": {"task": "booking.tasks.schedule_next_free_refresh", "schedule": 10 * 60},
    # Notices are sent at once after commit; this catches any queued while the broker was down.
    "booking-notices": {"task": "booking.tasks.notices_send", "schedule": 60},
    # Likewise for the message telling a client about their new counsellor.
    "counselling-reassignment-notices": {
        "task": "counselling.tasks.reassignments_notify",
        "schedule": 5 * 60,
    },
    # People who are away hear once per burst that there are new messages (never the text).
    "counselling-new-messages": {"task": "counselling.tasks.new_messages_notify", "schedule": 60},
    # Calls that rang out, or whose people all lost their connection without a goodbye.
    "counselling-calls-expire": {"task": "counselling.tasks.calls_expire", "schedule": 60},
    # Allowances: close every programme period that has ended (safe to run twice).
    "allowances-close-periods": {"task": "allowances.tasks.periods_close", "schedule": 60 * 60},
    "accounts-clear-expired-sessions": {
        "task": "accounts.tasks.sessions_clear_expired",
        "schedule": 60 * 60,
    },
}

# --- Mail and SMS -------------------------------------------------------------------------
MAIL_DIR = VAR_DIR / "mail"
SMS_DIR = VAR_DIR / "sms"
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587; default: files in var/mail/.
_email = env.email_url("EMAIL_URL", default="filemail://")
_EMAIL_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {
            option: _email[key] for key, option in _EMAIL_OPTIONS.items() if _email.get(key) not in (None, "")
        },
    }
}
if _email["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {"file_path": str(MAIL_DIR)}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Passage <no-reply@passage.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="help@passage.invalid")
# Pluggable: any class with send(*, to: str, body: str) (see accounts/sms.py).
SMS_BACKEND = env("SMS_BACKEND", default="accounts.sms.FileSMSBackend")

# --- Accounts -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "frontend:dashboard"
LOGOUT_REDIRECT_URL = "frontend:home"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
ACCOUNT_SIGNUP_FIELDS = ["phone", "email", "password1*", "password2*"]
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "login": "accounts.forms.LoginForm",
    "verify_phone": "accounts.forms.VerifyPhoneForm",
}
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
# Six digits: typed on a phone's number pad, read aloud over a bad line.
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = 3
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 15 * 60
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = True
# Failed logins: per address and per account, in the cache; both windows expire by
# themselves, so a shared office address is slowed down for minutes, never locked out.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("LOGIN_FAILED_RATE", default="30/5m/ip,5/5m/key"),
    "signup": "20/h/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Passage"
MFA_RECOVERY_CODE_COUNT = 10
# Roles whose accounts must have TOTP before they may use anything else.
MFA_REQUIRED_ROLES = ("counsellor", "coordinator", "interpreter", "admin")
SILENCED_SYSTEM_CHECKS = ["account.W001"]

SESSION_COOKIE_AGE = 60 * 60 * 24 * 30

# --- Field encryption (case notes, phone numbers in payment records) -----------------------
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Published with the code: the default of local settings (demo, tests); production refuses it.
DEMO_FIELD_ENCRYPTION_KEY = "bG9jYWwtZGVtby1rZXktMzItYnl0ZXMtbG9uZyEhISE="

# --- Allowance payment providers -------------------------------------------------------------
# Per provider, the secret with which it signs its callbacks (provider=secret,...); a provider
# without one cannot post callbacks (404).
ALLOWANCE_CALLBACK_SECRETS = env.dict("ALLOWANCE_CALLBACK_SECRETS", default={})

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("de", _("German")),
    ("el", _("Greek")),
    ("ar", _("Arabic")),
    ("fa", _("Persian")),
    ("ps", _("Pashto")),
    ("fr", _("French")),
    ("es", _("Spanish")),
]
LANGUAGES_BIDI = ["ar", "fa", "ps", "he", "ur"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The H5P player (npm h5p-standalone, installed by `make install`), served under
# /static/h5p-standalone/ beside our own files. Its fonts and JSON are fetched from the player's
# sandboxed (opaque-origin) iframe, which ServeStatic allows: it sends
# Access-Control-Allow-Origin: * on static files by default.
STATICFILES_DIRS = [("h5p-standalone", BASE_DIR / "node_modules" / "h5p-standalone" / "dist")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names + gzip/brotli copies; ServeStatic serves them with immutable caching.
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# Unpacked H5P packages (courses.h5p_store): libraries once per version, content per package.
H5P_ROOT = VAR_DIR / "h5p"
SERVESTATIC_MAX_AGE = 60 * 60 * 24 * 365

# --- Security -----------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # read by small JS modules that POST with fetch()

# --- Logging: never message text, note text or phone numbers ------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")

# --- Calls: ICE servers handed to browsers (TURN credentials are minted per call) -----------
STUN_URLS = env.list("STUN_URLS", default=[])
TURN_URLS = env.list("TURN_URLS", default=[])
TURN_SECRET = env("TURN_SECRET", default="")
TURN_CREDENTIAL_TTL = env.int("TURN_CREDENTIAL_TTL", default=4 * 60 * 60)
if not 60 <= TURN_CREDENTIAL_TTL <= 24 * 60 * 60:
    raise ImproperlyConfigured("TURN_CREDENTIAL_TTL is in seconds, from 60 to 86400 (one day).")
# "relay" sends every call through TURN: neither person learns the other's IP address (a
# migrant's location stays hidden from everyone but the organisation); "all" lets browsers
# connect directly where they can, which saves the relay's bandwidth.
ICE_TRANSPORT_POLICY = env("ICE_TRANSPORT_POLICY", default="all")
if ICE_TRANSPORT_POLICY not in {"all", "relay"}:
    raise ImproperlyConfigured('ICE_TRANSPORT_POLICY is "all" or "relay".')
