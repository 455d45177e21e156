"""reports views of the allowances app."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
