"""`GET /healthz`: is every part the platform depends on reachable from this process?"""

import logging
import uuid
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    ok = cache.get(key) == "ok"
    cache.delete(key)
    if not ok:
        raise RuntimeError("value written to the cache could not be read back")


def check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def round_trip() -> None:
        channel = await layer.new_channel("healthz.")
        await layer.send(channel, {"type": "healthz.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "healthz.ping":
            raise RuntimeError("channel layer returned a different message")

    async_to_sync(round_trip)()


def check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "cache": check_cache,
    "broker": check_broker,
}


def run_checks() -> dict[str, dict[str, str]]:
    results: dict[str, dict[str, str]] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "down", reported by type
            logger.warning("health check %s failed: %s", name, type(exc).__name__)
            results[name] = {"status": "down", "error": type(exc).__name__}
        else:
            results[name] = {"status": "up"}
    return results


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    healthy = all(r["status"] == "up" for r in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": results},
        status=200 if healthy else 503,
    )
