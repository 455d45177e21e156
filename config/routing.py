"""WebSocket routes of every app, gathered in one list (apps add theirs here)."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
