"""WebSocket routes of every app, gathered in one list (apps add theirs here)."""

from django.urls import URLPattern

from counselling.routing import websocket_urlpatterns as counselling_routes

websocket_urlpatterns: list[URLPattern] = [*counselling_routes]
