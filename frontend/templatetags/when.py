"""Times shown to people: in a given zone, in the current interface language (CLDR via Babel).

{% load when %}
{{ appointment.start_at|day:user.time_zone }}     Mon, Jun 1  (in Arabic: الاثنين، 1 يونيو)
{{ appointment.start_at|clock:user.time_zone }}   10:00  /  10:00 AM
{{ appointment.start_at|when:user.time_zone }}    Mon, Jun 1, 10:00 AM
{{ counsellor.time_zone|zone_city }}              Lagos  /  لاغوس
"""

from datetime import datetime
from functools import lru_cache

from babel import Locale
from babel.dates import (
    format_datetime,
    format_time,
    get_datetime_format,
    get_timezone_location,
    match_skeleton,
)
from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

from accounts.reference import locale_for, zone_for

register = template.Library()


@lru_cache(maxsize=64)
def _day_pattern(locale: Locale) -> str:
    # The language's best pattern for "weekday, day and month" (CLDR skeleton MMMMEEEEd);
    # matching a skeleton is slow, so once per language.
    skeletons = locale.datetime_skeletons
    key = match_skeleton("MMMMEEEEd", skeletons) or "MMMEd"
    return str(skeletons[key].pattern)


# Formatting through CLDR is slow and lists repeat the same few instants (every counsellor
# free at 09:00 tomorrow), so results are kept per (instant, zone, language).
@lru_cache(maxsize=4096)
def _day(moment: datetime, zone: str, language: str) -> str:
    locale = locale_for(language)
    return format_datetime(moment, _day_pattern(locale), tzinfo=zone_for(zone), locale=locale)


@lru_cache(maxsize=4096)
def clock_text(moment: datetime, zone: str, language: str) -> str:
    """The time of `moment` in `zone`, written the way `language` writes times (also for frames
    sent over WebSockets, so that live messages look like the ones on the page)."""
    return format_time(moment, "short", tzinfo=zone_for(zone), locale=locale_for(language))


@lru_cache(maxsize=64)
def _joiner(language: str) -> str:
    # The language's own way of joining a date and a time ("{1}, {0}", "{1}، {0}", "{1} {0}").
    return str(get_datetime_format("medium", locale=locale_for(language))).replace("'", "")


@lru_cache(maxsize=1024)
def _city(zone: str, language: str) -> str:
    return get_timezone_location(zone_for(zone), locale=locale_for(language), return_city=True)


@register.filter
def day(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return _day(moment, zone, get_language() or "en")


@register.filter
def clock(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return clock_text(moment, zone, get_language() or "en")


@register.filter
def when(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    language = get_language() or "en"
    return _joiner(language).format(clock_text(moment, zone, language), _day(moment, zone, language))


@register.filter
def zone_city(zone: str) -> str:
    return _city(zone or "UTC", get_language() or "en")


@register.filter
def bdi(text: object) -> str:
    """A name set apart inside a translated sentence, so that a Latin name keeps its place in an
    Arabic or Persian sentence (and the other way round)."""
    return format_html("<bdi>{}</bdi>", text)
