import pytest
from django.test import Client

from config import health

pytestmark = pytest.mark.django_db


def test_health_reports_every_part_up():
    response = Client().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: part["status"] for name, part in body["checks"].items()} == {
        "database": "up",
        "channel_layer": "up",
        "cache": "up",
        "broker": "up",
    }


def test_health_answers_503_and_names_the_part_that_is_down(monkeypatch):
    def broken() -> None:
        raise ConnectionRefusedError("no broker")

    monkeypatch.setitem(health.CHECKS, "broker", broken)

    response = Client().get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == {"status": "down", "error": "ConnectionRefusedError"}
    assert body["checks"]["database"] == {"status": "up"}


def test_health_reports_an_unreachable_broker_as_down(settings, tmp_path):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = Client().get("/healthz")
    finally:
        app.conf.broker_url = original

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "down"


def test_health_is_never_cached():
    response = Client().get("/healthz")

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
