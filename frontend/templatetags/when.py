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
from django.utils.translation import get_language

from accounts.reference import locale_for, zone_for

register = template.Library()


def _locale() -> Locale:
    return locale_for(get_language() or "en")


@lru_cache(maxsize=64)
def _day_pattern(locale: Locale) -> str:
    # The language's best pattern for "weekday, day and month" (CLDR skeleton MMMMEEEEd);
    # matching a skeleton is slow, so once per language.
    skeletons = locale.datetime_skeletons
    key = match_skeleton("MMMMEEEEd", skeletons) or "MMMEd"
    return str(skeletons[key].pattern)


@register.filter
def day(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    locale = _locale()
    return format_datetime(moment, _day_pattern(locale), tzinfo=zone_for(zone), locale=locale)


@register.filter
def clock(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return format_time(moment, "short", tzinfo=zone_for(zone), locale=_locale())


@register.filter
def when(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    # The language's own way of joining a date and a time ("{1}, {0}", "{1}، {0}", "{1} {0}").
    pattern = str(get_datetime_format("medium", locale=_locale())).replace("'", "")
    return pattern.format(clock(moment, zone), day(moment, zone))


@register.filter
def zone_city(zone: str) -> str:
    return get_timezone_location(zone_for(zone), locale=_locale(), return_city=True)
