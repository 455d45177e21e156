"""With REDIS_URL, replicas share the channel layer, the cache (rate limits) and the broker.

Run against a real Redis by .ci/run (marked `redis`).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.redis


async def test_a_message_sent_to_a_group_reaches_a_member_on_another_layer_instance():
    from channels_redis.core import RedisChannelLayer

    # Two layer instances behave like two daphne processes sharing one Redis.
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    layer_a, layer_b = RedisChannelLayer(**config), RedisChannelLayer(**config)
    channel = await layer_a.new_channel()
    await layer_a.group_add("conv.test", channel)
    try:
        await layer_b.group_send("conv.test", {"type": "chat.message", "id": 1})
        message = await layer_a.receive(channel)
    finally:
        await layer_a.group_discard("conv.test", channel)
        await layer_a.flush()
        await layer_b.flush()

    assert message == {"type": "chat.message", "id": 1}
    assert get_channel_layer().__class__ is RedisChannelLayer


@pytest.mark.django_db(transaction=True)
def test_health_is_up_with_redis_as_channel_layer_cache_and_broker():
    body = Client().get("/healthz").json()

    assert body["status"] == "ok", body
    assert settings.CELERY_BROKER_URL.startswith("redis://")


@pytest.mark.django_db(transaction=True)
def test_a_login_lockout_made_on_one_replica_holds_on_another():
    user = make_user(email="shared@example.org")
    client = Client()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})

    # A second process, like a second daphne replica: same database, same Redis.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env["PASSAGE_TEST_DB_NAME"] = connection.settings_dict["NAME"]
    env["ALLOWED_HOSTS"] = "testserver"
    script = (
        "import os, django; django.setup(); "
        "from django.conf import settings; from django.db import connections; "
        "settings.DATABASES['default']['NAME'] = os.environ['PASSAGE_TEST_DB_NAME']; "
        "connections['default'].settings_dict['NAME'] = os.environ['PASSAGE_TEST_DB_NAME']; "
        "from django.test import Client; "
        "from tests.factories import PASSWORD; "
        "r = Client().post('/accounts/login/', {'login': 'shared@example.org', 'password': PASSWORD}); "
        "print(r.status_code, 'Too many failed login attempts' in r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.stdout.split() == ["200", "True"], result.stderr[-2000:]


@pytest.mark.django_db
def test_while_the_cache_server_is_down_sign_in_asks_to_try_again_instead_of_failing(settings):
    """Redis restarting must not crash sign-in: the rate limit cannot count attempts, so it
    refuses politely (429, "try again") rather than letting guesses through or answering 500."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    user = make_user(email="while-down@example.org")

    response = Client().post(reverse("account_login"), {"login": user.email, "password": "wrong"})

    assert response.status_code == 429
    assert "try again" in response.content.decode().lower()
    assert Client().get("/").status_code == 200  # the rest of the site is up
    assert Client().get("/healthz").status_code == 503  # the outage is still reported
