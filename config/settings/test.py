"""pytest: the local defaults, made fast and deterministic."""

import tempfile
from pathlib import Path

from .local import *  # noqa: F403
from .local import env

ENVIRONMENT = "test"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
SMS_BACKEND = "accounts.sms.MemorySMSBackend"
# Tests compare against unhashed names; the manifest is exercised by the browser tests.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="sqlite:///:memory:"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
# Uploads and unpacked H5P packages of a test run go to a folder of its own, never into var/.
_TEST_FILES = Path(tempfile.mkdtemp(prefix="passage-test-files-"))
MEDIA_ROOT = _TEST_FILES / "media"
H5P_ROOT = _TEST_FILES / "h5p"
