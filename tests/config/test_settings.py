"""Settings come from the environment; production refuses to start without its secrets."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
PRODUCTION = {
    "DJANGO_SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "passage.example.org",
    "FIELD_ENCRYPTION_KEYS": GOOD_KEY,
    "REDIS_URL": "redis://redis.invalid:6379/0",
    "EMAIL_URL": "smtp+tls://passage:secret@smtp.example.org:587",
    "SMS_BACKEND": "accounts.sms.HttpSMSBackend",
    "SMS_GATEWAY_URL": "https://sms.example.org/send",
}


def run_django(code: str, module: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `code` after django.setup() in a fresh process with only the given settings variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    clean.update(env, DJANGO_SETTINGS_MODULE=module)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def load_settings(module: str, **env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], "
        "s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL, s.DEBUG)"
    )
    return run_django(code, module, **env)


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "ALLOWED_HOSTS",
        "FIELD_ENCRYPTION_KEYS",
        "REDIS_URL",
        "EMAIL_URL",
        "SMS_GATEWAY_URL",
    ],
)
def test_production_refuses_to_start_without_a_required_variable_and_names_it(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = load_settings("config.settings.production", **env)

    assert result.returncode != 0
    assert f"The environment variable {missing} is missing" in result.stderr


def test_production_refuses_a_malformed_encryption_key():
    result = load_settings("config.settings.production", **{**PRODUCTION, "FIELD_ENCRYPTION_KEYS": "short"})

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS: key 1 is not 32 bytes" in result.stderr


def test_production_refuses_the_demo_encryption_key_published_with_the_code():
    demo = "bG9jYWwtZGVtby1rZXktMzItYnl0ZXMtbG9uZyEhISE="
    result = load_settings("config.settings.production", **{**PRODUCTION, "FIELD_ENCRYPTION_KEYS": demo})

    assert result.returncode != 0
    assert "is the demo key published with the code" in result.stderr


def test_production_starts_with_its_secrets_and_debug_off():
    result = load_settings("config.settings.production", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "False"


def test_default_is_sqlite_in_memory_channels_local_cache_and_folder_broker():
    result = load_settings("config.settings.local")

    assert result.returncode == 0, result.stderr
    engine, layer, cache, broker, _debug = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert layer == "channels.layers.InMemoryChannelLayer"
    assert cache == "django.core.cache.backends.locmem.LocMemCache"
    assert broker == "filesystem://"


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    result = load_settings(
        "config.settings.local",
        DATABASE_URL="postgres://passage@db.invalid:5432/passage",
        REDIS_URL="redis://redis.invalid:6379/0",
    )

    assert result.returncode == 0, result.stderr
    engine, layer, cache, broker, _debug = result.stdout.split()
    assert engine == "django.db.backends.postgresql"
    assert layer == "channels_redis.core.RedisChannelLayer"
    assert cache == "django_redis.cache.RedisCache"
    assert broker == "redis://redis.invalid:6379/0"


def test_the_local_sqlite_file_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0], "
        "connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    result = run_django(code, "config.settings.local", PASSAGE_VAR_DIR=str(tmp_path))

    assert result.stdout.split() == ["wal", "IMMEDIATE"], result.stderr
    assert (tmp_path / "db.sqlite3").exists()


def test_production_refuses_the_development_sms_backend():
    result = load_settings(
        "config.settings.production", **{**PRODUCTION, "SMS_BACKEND": "accounts.sms.FileSMSBackend"}
    )

    assert result.returncode != 0
    assert "SMS_BACKEND is the development file backend" in result.stderr
