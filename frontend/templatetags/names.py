"""Names of countries and languages in the viewer's language: `{{ code|language_label }}`."""

from django import template
from django.conf import settings

from accounts.reference import country_name, language_name

register = template.Library()


@register.filter
def country_label(code: str) -> str:
    return country_name(code) if code else ""


@register.filter
def language_label(code: str) -> str:
    return language_name(code) if code else ""


@register.filter
def text_dir(code: str) -> str:
    """The text direction of a language code (rtl or ltr), for `dir` on content written in a
    language other than the page's (an Arabic course title on an English page)."""
    return "rtl" if (code or "").split("-")[0].lower() in settings.LANGUAGES_BIDI else "ltr"
