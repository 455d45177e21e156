"""reports views of the courses app."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
