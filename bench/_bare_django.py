"""A bare Django ASGI app (one view, no middleware): the baseline for bench/request_latency.py."""

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="bench-only-bare-django-baseline",  # noqa: S106
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!doctype html><title>hello</title><p>hello</p>")


urlpatterns = [path("", hello)]
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
